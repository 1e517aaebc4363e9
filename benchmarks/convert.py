"""Benchmark: egg-migrate convert vs `wheel convert` vs the floor, measured in one run.

    .venv/bin/python benchmarks/convert.py [--copies 20] [--rounds 3] [--big-mb 500]
        [--sdist-eggs DIR] [--real-eggs DIR] [--ours-from DIR | --ours-here] [--before DIR]
        [--only WORD] [--instructions]

Each tool runs as one process per round, the tools in turn (ours, wheel, floor, ours...),
so drift of a shared machine hits all alike; the medians and their ratios are printed,
with the CPU seconds (user + sys) of each process beside the wall seconds. Each tool is
installed alike: ``wheel`` from PyPI and egg-migrate from this checkout (or ``--ours-from``
another one), each into a throwaway venv of its own; ``--ours-here`` times the egg-migrate
of the running venv instead (an editable install with the test extras starts slower).

Egg sets:
- tiny: N renamed copies of the committed fixture eggs (per-egg overhead dominates);
- sdist: real-size eggs built from sdists (``--sdist-eggs``, default
  ``~/.cache/egg-migrate/bench-eggs`` when present);
- real: the real PyPI eggs of ``scripts/real-eggs`` (its cache, when present);
- medium: 20 synthetic eggs of ~1 MB of Python-like text;
- mixed: all of the above in one folder.

Goals: ``wheel convert`` / ours at -j 1 >= 4x on the mixed set and >= 3x on tiny eggs;
ours / floor <= 1.5x (the floor: ``benchmarks/floor.py``, a bare script that imports only zipfile and
hashlib and inflates and sha256-hashes every member, run by the Python of wheel's venv: its start-up
is Python's, not this script's). Two more peers bound what a converter can reach: "floor + files"
also writes a file per egg; "floor + rules" also writes them durably (temporary names, one syncfs,
renames) and parses each requires.txt line with packaging, as egg-migrate must. ``--before DIR``: another checkout's egg-migrate too, in turn.
Also the peak RSS of converting one synthetic egg of --big-mb MB (goal < 100 MB).
``--instructions`` runs each tool once under valgrind and prints the instructions each spent,
which a busy machine does not change (they leave out the kernel's time, which CPU seconds count).
Prints figures only; it never fails on a goal. Needs PyPI once, for the two venvs.
"""
from __future__ import annotations

import argparse
import compileall
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import venv
import zipfile
import zlib
from pathlib import Path
from typing import Callable, NamedTuple, Optional

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "eggs"
FLOOR = Path(__file__).resolve().parent / "floor.py"
CACHE = Path.home() / ".cache" / "egg-migrate"
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}


class Run(NamedTuple):
    wall: float
    cpu: float  # user + sys of the process and its children
    peak_mb: float


def make_copies(dest: Path, copies: int) -> list[Path]:
    eggs = [e for e in sorted(FIXTURES.glob("*.egg")) if e.is_file()]
    made = []
    for i in range(copies):
        for egg in eggs:
            project, version, rest = egg.name.split("-", 2)
            target = dest / f"{project}-{version.split('_')[0]}.{i}-{rest}"
            shutil.copyfile(egg, target)
            made.append(target)
    return made


def copy_eggs(source: Path, dest: Path) -> list[Path]:
    made = []
    for egg in sorted(source.glob("*.egg")):
        if egg.is_file():
            shutil.copyfile(egg, dest / egg.name)
            made.append(dest / egg.name)
    return made


def medium_eggs(dest: Path, count: int = 20) -> list[Path]:
    """Eggs of ~1 MB: 200 modules of Python-like text each (deterministic)."""
    rng = random.Random(1)
    words = " ".join(p.read_text() for p in sorted((ROOT / "migrate" / "wheels").rglob("*.py"))).split()
    made = []
    for i in range(count):
        path = dest / f"medium{i}-1.0-py2.7.egg"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("EGG-INFO/PKG-INFO", f"Metadata-Version: 1.0\nName: medium{i}\nVersion: 1.0\n")
            for j in range(200):
                zf.writestr(f"medium{i}/mod{j}.py", " ".join(rng.choice(words) for _ in range(1500)))
        made.append(path)
    return made


def wheel_venv(where: Path) -> Path:
    venv.create(where, with_pip=True)
    env = dict(CLEAN_ENV, PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    subprocess.run([where / "bin" / "python", "-m", "pip", "install", "-q", "wheel"], check=True, env=env)
    return where / "bin" / "wheel"


def ours_venv(where: Path, source: Path) -> Path:
    """egg-migrate installed from ``source`` (not editable, its run-time dependencies only)."""
    venv.create(where, with_pip=True)
    env = dict(CLEAN_ENV, PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    subprocess.run([where / "bin" / "python", "-m", "pip", "install", "-q", str(source)], check=True, env=env)
    return where / "bin" / "egg-migrate"


def timed(cmd) -> Run:
    """Wall and CPU seconds and peak RSS of one process (and the children it waited for)."""
    start = time.perf_counter()
    proc = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    return Run(time.perf_counter() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def floor_cmd(wheel: Path, folder: Path) -> list:
    """The floor's process: benchmarks/floor.py, a bare script (zipfile and hashlib, nothing of this
    one), run by the Python of wheel's venv, which holds no editable install to load at start-up."""
    return [wheel.parent / "python", FLOOR, folder]


def big_egg(path: Path, megabytes: int) -> None:
    """A large egg: incompressible data files plus a little code."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("EGG-INFO/PKG-INFO", "Metadata-Version: 1.0\nName: big\nVersion: 1.0\n")
        zf.writestr("big/__init__.py", "")
        block = os.urandom(1 << 20)
        for i in range(megabytes // 10):
            with zf.open(f"big/data/blob{i:03d}.bin", "w") as fp:
                for j in range(10):
                    fp.write(zlib.compress(block + bytes([j, i % 256])))  # distinct, incompressible


def egg_sets(tmp: Path, args) -> dict[str, list[Path]]:
    """{label: eggs in a folder of their own}; the mixed set is all of them in one more folder."""
    makers: dict[str, Callable[[Path], list[Path]]] = {"tiny (fixture copies)": lambda d: make_copies(d, args.copies)}
    for label, source in (("sdist (real-size eggs from sdists)", args.sdist_eggs),
                          ("real (scripts/real-eggs)", args.real_eggs)):
        if source and Path(source).is_dir() and any(Path(source).glob("*.egg")):
            makers[label] = lambda d, s=Path(source): copy_eggs(s, d)
    makers["medium (synthetic, ~1 MB)"] = medium_eggs
    sets: dict[str, list[Path]] = {}
    mixed = tmp / "set-mixed"
    mixed.mkdir()
    for n, (label, maker) in enumerate(makers.items()):
        folder = tmp / f"set{n}"
        folder.mkdir()
        sets[label] = maker(folder)
        for egg in sets[label]:
            os.link(egg, mixed / egg.name)
    sets["mixed (all of the above)"] = sorted(mixed.glob("*.egg"))
    return sets


def tool_commands(eggs: list[Path], wheel: Path, egg_migrate: Path, before: Optional[Path],
                  jobs: tuple[int, ...], files_floor: bool = True) -> dict[str, Callable[[Path], list]]:
    """{label: the command that converts ``eggs`` into the folder given}, in the order they take turns."""
    folder = eggs[0].parent
    tools: dict[str, Callable[[Path], list]] = {}
    for n in jobs:
        tools[f"ours -j {n}"] = lambda out, n=n: [egg_migrate, "convert", folder, "-d", out, "-j", n]
    if before is not None:
        tools["before -j 1"] = lambda out: [before, "convert", folder, "-d", out, "-j", 1]
    tools["wheel convert"] = lambda out: [wheel, "convert", "-d", out, *eggs]
    tools["floor"] = lambda out: floor_cmd(wheel, folder)
    if files_floor:  # the kernel's cost of leaving a file per egg, which instructions do not count
        tools["floor + files"] = lambda out: [*floor_cmd(wheel, folder), "--write", out]
        tools["floor + rules"] = lambda out: [*floor_cmd(wheel, folder), "--write", out, "--rules"]
    return tools


def measure(tools: dict[str, Callable[[Path], list]], tmp: Path, rounds: int) -> dict[str, list[Run]]:
    runs: dict[str, list[Run]] = {label: [] for label in tools}
    for _ in range(rounds):
        for label, cmd in tools.items():
            out = tmp / "out"
            out.mkdir()  # wheel convert writes into a folder that is there
            runs[label].append(timed(cmd(out)))
            shutil.rmtree(out)
    return runs


def instructions(cmd, tmp: Path) -> int:
    """User-space instructions of one process, counted by valgrind (callgrind): the same on a busy
    machine as on a quiet one, where CPU seconds are not."""
    out = tmp / "callgrind.out"
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *map(str, cmd)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    summary = next(line for line in out.read_text().splitlines() if line.startswith("summary:"))
    out.unlink()
    return int(summary.split()[1])


def count(label: str, eggs: list[Path], tools: dict[str, Callable[[Path], list]], tmp: Path) -> None:
    """Each tool once under valgrind: instructions and their ratios."""
    out = tmp / "counted"
    made = {}
    for tool, cmd in tools.items():
        out.mkdir()
        made[tool] = instructions(cmd(out), tmp)
        shutil.rmtree(out)
    print(f"\n{label}: {len(eggs)} eggs, instructions (valgrind)")
    for tool, n in made.items():
        print(f"  {tool:<14} {n / 1e6:10,.0f} M  ({n / len(eggs) / 1e6:.2f} M per egg)")
    for tool in (t for t in made if t.endswith("-j 1")):
        print(f"  {tool}: wheel convert / it {made['wheel convert'] / made[tool]:.2f}x, "
              f"it / floor {made[tool] / made['floor']:.2f}x")


CEILINGS = {"floor + files": " (the most any converter can be faster)",
            "floor + rules": " (the most a converter that writes durably and parses requires.txt with packaging can be)"}


def report(label: str, eggs: list[Path], runs: dict[str, list[Run]]) -> None:
    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    wall = {k: median([r.wall for r in v]) for k, v in runs.items()}
    cpu = {k: median([r.cpu for r in v]) for k, v in runs.items()}
    size = sum(e.stat().st_size for e in eggs) / 1e6
    print(f"\n{label}: {len(eggs)} eggs, {size:.1f} MB")
    for k in wall:
        spread = f"{min(r.wall for r in runs[k]):.2f}-{max(r.wall for r in runs[k]):.2f}"
        print(f"  {k:<14} wall {wall[k]:7.2f} s ({spread})  cpu {cpu[k]:7.2f} s  {len(eggs) / wall[k]:8.1f} eggs/s")
    for k in (k for k in wall if k not in ("wheel convert", "floor")):
        print(f"  wheel convert / {k}: wall {wall['wheel convert'] / wall[k]:.2f}x, "
              f"cpu {cpu['wheel convert'] / cpu[k]:.2f}x"
              + CEILINGS.get(k, ""))
    for k in (k for k in wall if k.endswith("-j 1")):
        print(f"  {k} / floor: wall {wall[k] / wall['floor']:.2f}x, cpu {cpu[k] / cpu['floor']:.2f}x (goal <= 1.5x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--big-mb", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sdist-eggs", default=str(CACHE / "bench-eggs"), metavar="DIR")
    parser.add_argument("--real-eggs", default=str(CACHE / "real-eggs"), metavar="DIR")
    parser.add_argument("--only", metavar="WORD", help="only the egg sets whose label has WORD")
    parser.add_argument("--ours-from", type=Path, default=ROOT, metavar="DIR",
                        help="the egg-migrate checkout to install and time (default: this one)")
    parser.add_argument("--ours-here", action="store_true", help="time this venv's egg-migrate as it is installed")
    parser.add_argument("--before", type=Path, metavar="DIR",
                        help="also time (-j 1) the egg-migrate of another checkout, in turn with the others")
    parser.add_argument("--instructions", action="store_true",
                        help="count each tool's instructions once with valgrind instead of timing rounds")
    args = parser.parse_args()
    if args.ours_here:  # as an installed package: compiled once (`wheel` is, by pip), whatever PYTHONDONTWRITEBYTECODE says
        compileall.compile_dir(str(ROOT / "migrate"), quiet=1)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        wheel = wheel_venv(tmp / "wheel-venv")
        egg_migrate = Path(sys.executable).parent / "egg-migrate" if args.ours_here \
            else ours_venv(tmp / "ours-venv", args.ours_from)
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; median of {args.rounds} rounds "
              "(min-max of wall seconds in brackets)")
        before = ours_venv(tmp / "before-venv", args.before) if args.before else None
        print(f"ours: {'this venv' if args.ours_here else args.ours_from}; wheel: a throwaway venv"
              + (f"; before: {args.before}" if before else ""))
        for label, eggs in egg_sets(tmp, args).items():
            if args.only and args.only not in label:
                continue
            if args.instructions:
                count(label, eggs, tool_commands(eggs, wheel, egg_migrate, before, (1,), files_floor=False), tmp)
            else:
                tools = tool_commands(eggs, wheel, egg_migrate, before, (1, os.cpu_count() or 1))
                report(label, eggs, measure(tools, tmp, args.rounds))
        if args.big_mb and not args.instructions:
            big = tmp / "big-1.0-py3.10.egg"
            big_egg(big, args.big_mb)
            run = timed([egg_migrate, "convert", big, "-d", tmp / "big-out", "-j", "1"])
            print(f"peak RSS converting a {big.stat().st_size / 1e6:.0f} MB egg: {run.peak_mb:.0f} MB (goal < 100 MB)")


if __name__ == "__main__":
    main()
