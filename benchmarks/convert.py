"""Benchmark: egg-migrate convert vs `wheel convert` vs the floor, measured in one run.

    .venv/bin/python benchmarks/convert.py [--copies 20] [--big-mb 500]

- eggs/s of ``egg-migrate convert`` (-j 1 and -j <cores>) and of ``wheel convert``
  (installed in a throwaway venv) on two egg sets: N renamed copies of the committed
  fixture eggs (tiny: per-egg overhead dominates) and 20 medium eggs of ~1 MB of
  Python source each (data volume dominates, as in real repositories); ratio (goal >= 3x);
- the floor: inflate + sha256 of every member of the same eggs, run as a process of
  its own like the others (``convert.py --floor DIR``); ratio egg-migrate/floor
  (goal <= 1.5x);
- peak RSS of converting one synthetic egg of --big-mb MB (goal < 100 MB).

Prints figures only; it never fails on a goal. Needs PyPI for the wheel venv.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import venv
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "eggs"
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}


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


def medium_eggs(dest: Path, count: int = 20) -> list[Path]:
    """Eggs of ~1 MB: 200 modules of Python-like text each (deterministic)."""
    import random

    rng = random.Random(1)
    words = (ROOT / "migrate" / "tags.py").read_text().split()
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
    env = dict(CLEAN_ENV, PIP_CONFIG_FILE=os.devnull)
    subprocess.run([where / "bin" / "python", "-m", "pip", "install", "-q", "wheel"], check=True, env=env)
    return where / "bin" / "wheel"


def timed(cmd) -> float:
    start = time.perf_counter()
    subprocess.run([str(c) for c in cmd], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def floor(eggs: list[Path]) -> float:
    """Inflate and hash every member: the least any converter must do (timed as a process)."""
    return timed([sys.executable, __file__, "--floor", eggs[0].parent])


def floor_work(folder: Path) -> None:
    for egg in sorted(folder.glob("*.egg")):
        with zipfile.ZipFile(egg) as zf:
            for info in zf.infolist():
                with zf.open(info) as fp:
                    h = hashlib.sha256()
                    for chunk in iter(lambda: fp.read(1 << 16), b""):
                        h.update(chunk)


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


def peak_rss_mb(cmd) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run([str(c) for c in cmd], check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(after, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--big-mb", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--floor", type=Path, help=argparse.SUPPRESS)  # the floor's own process
    args = parser.parse_args()
    if args.floor:
        floor_work(args.floor)
        return
    egg_migrate = Path(sys.executable).parent / "egg-migrate"
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        wheel = wheel_venv(tmp / "wheel-venv")
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; median of {args.rounds} rounds")
        sets = {"fixture copies": make_copies, "medium eggs": lambda d, _: medium_eggs(d)}
        for label, maker in sets.items():
            eggs_dir = tmp / label.replace(" ", "-")
            eggs_dir.mkdir()
            eggs = maker(eggs_dir, args.copies)
            runs: dict[str, list[float]] = {"ours -j 1": [], f"ours -j {os.cpu_count()}": [], "wheel": [], "floor": []}
            for r in range(args.rounds):  # alternate, so drift hits all alike
                for jobs in (1, os.cpu_count()):
                    runs[f"ours -j {jobs}"].append(
                        timed([egg_migrate, "convert", eggs_dir, "-d", tmp / f"o{label}{r}{jobs}", "-j", jobs]))
                out = tmp / f"w{label}{r}"
                out.mkdir()
                runs["wheel"].append(timed([wheel, "convert", "-d", out, *eggs]))
                runs["floor"].append(floor(eggs))
            med = {k: sorted(v)[len(v) // 2] for k, v in runs.items()}
            n = len(eggs)
            size = sum(e.stat().st_size for e in eggs) / 1e6
            print(f"\n{label}: {n} eggs, {size:.1f} MB")
            for k, v in med.items():
                print(f"  {k:<14} {v:7.2f} s  {n / v:8.1f} eggs/s")
            for k in (k for k in med if k.startswith("ours")):
                print(f"  wheel convert / {k}: {med['wheel'] / med[k]:.2f}x (goal >= 3x)")
            print(f"  ours -j 1 / floor: {med['ours -j 1'] / med['floor']:.2f}x (goal <= 1.5x; both timed as processes)")
        if args.big_mb:
            big = tmp / "big-1.0-py3.10.egg"
            big_egg(big, args.big_mb)
            rss = peak_rss_mb([egg_migrate, "convert", big, "-d", tmp / "big-out", "-j", "1"])
            size = big.stat().st_size / 1e6
            print(f"peak RSS converting a {size:.0f} MB egg: {rss:.0f} MB (goal < 100 MB)")


if __name__ == "__main__":
    main()
