"""Benchmark: ``egg-migrate run`` end to end on 1,000 synthetic eggs, -j 1 vs -j 2; or, with
--sizes, how the cost grows with the number of eggs.

    .venv/bin/python benchmarks/run.py [--eggs 1000] [--jobs 1 2] [--keep DIR]
    .venv/bin/python benchmarks/run.py --sizes 1000 4000 16000 [--jobs 2] [--keep DIR] [--stage-peaks]

The eggs are made from the bundled sample (data/sample-repo): its 15 eggs as they
are (so the copies' dependencies resolve), then renamed copies of the 14 good ones,
round robin, until there are --eggs: project ``<name>b<NNNN>`` in the file name and
in PKG-INFO, so every wheel and mirror page is distinct. They are laid out like
Galaxy's repository (``<repo>/<name>/<egg>``), so the fetch stage reads a listing
and hard-links (or copies) every egg, as ``run`` does with a local source.

For each -j: a fresh OUT, one ``migrate.pipeline.run`` in this process (the same
function the command calls), timed per stage; then a second run on the same OUT,
which must redo nothing. Prints eggs/s, the stage split and the scaling
(time at -j 1 / time at -j N). Prints figures only; it never fails on a goal.

With --sizes, each size runs once (first run only) in a fresh process, so that its
peak RSS is its own: a table of the stages, the time per egg and the peak RSS (the
run's process and its workers), and both as a ratio to the first size. The CPU time
(the run's process and its workers; making the repository left out) per egg is
printed too: on a busy machine the wall-clock figures say more about the others' load. Linear cost
means ratios near 1. With --keep, a size's repository is made once and reused by later runs
(16,000 eggs take minutes to make). --stage-peaks adds, per size, each stage's own peak RSS
in the run's process: the kernel's high-water mark (VmHWM) reset as the stage starts.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from migrate.run import pipeline  # noqa: E402
from migrate.run.pipeline import RunOptions  # noqa: E402

SAMPLE = ROOT / "data" / "sample-repo"
_NAME = re.compile(rb"^Name: .*$", re.MULTILINE)


def make_repo(dest: Path, count: int) -> int:
    """The sample's eggs plus renamed copies of its good ones, in Galaxy layout; how many."""
    eggs = sorted(SAMPLE.glob("*/*.egg"))
    made = 0
    for egg in eggs:
        (dest / egg.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(egg, dest / egg.parent.name / egg.name)
        made += 1
    good = [e for e in eggs if e.parent.name != "brokenegg"]
    for i, egg in zip(range(1, count - made + 1), itertools.cycle(good)):
        project, rest = egg.name.split("-", 1)
        new = f"{project}b{i:04d}"
        folder = dest / new
        folder.mkdir()
        _renamed(egg, folder / f"{new}-{rest}", new)
        made += 1
    return made


def _renamed(egg: Path, target: Path, project: str) -> None:
    with zipfile.ZipFile(egg) as src, zipfile.ZipFile(target, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "EGG-INFO/PKG-INFO":
                data = _NAME.sub(b"Name: " + project.encode(), data, count=1)
            out.writestr(info, data, compress_type=info.compress_type)


def measure(repo: Path, out: Path, jobs: int, again: bool = True) -> dict[str, Any]:
    lines: list[str] = []
    started = time.perf_counter()
    report = pipeline.run(RunOptions(out=out, source=str(repo), jobs=jobs), say=lines.append, bars=None)
    first = time.perf_counter() - started
    result = {"seconds": first, "stages": dict(report.seconds), "cpu_stages": dict(report.cpu),
              "counts": report.counts, "work": report.work,
              "pins": report.pins_count, "lines": lines}
    if again:
        started = time.perf_counter()
        result["again_work"] = pipeline.run(RunOptions(out=out, source=str(repo), jobs=jobs), bars=None).work
        result["again"] = time.perf_counter() - started
    return result


def peak_rss_mb() -> tuple[float, float]:
    """(this process, its largest finished child) peak RSS in MB."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


# The run's stages as pipeline.run calls them (module globals of migrate.run.pipeline), in order.
STAGES = (("fetch", "fetch_eggs"), ("convert", "convert_and_check"), ("publish", "publish_wheels"),
          ("manifest", "write_run_manifest"), ("pin", "pin_requirements"), ("report", "write_run_report"))


def _status_mb(field: str) -> float:
    """A figure of /proc/self/status (VmHWM, VmRSS) in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def watch_stages(peaks: dict[str, list[float]]) -> None:
    """Each stage's own peak RSS in this process: the kernel's high-water mark is reset to the
    current RSS as a stage starts (``echo 5 > /proc/self/clear_refs``) and read as it ends;
    ``peaks[stage]`` = [RSS at its start, its peak, RSS at its end] in MB."""
    for stage, name in STAGES:
        setattr(pipeline, name, _watched(stage, getattr(pipeline, name), peaks))


def _watched(stage: str, real: Any, peaks: dict[str, list[float]]) -> Any:
    def stage_run(*args: Any) -> Any:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        start = _status_mb("VmRSS")
        try:
            return real(*args)
        finally:
            peaks[stage] = [start, _status_mb("VmHWM"), _status_mb("VmRSS")]

    return stage_run


def one_size(base: Path, eggs: int, jobs: int, report: Path, stage_peaks: bool = False) -> int:
    """The child of --sizes: make the repository (or reuse the one made before at this size), run
    once, write the figures as JSON."""
    repo, made_file = base / "repo", base / "repo.made"
    if not made_file.is_file() or made_file.read_text().split()[:1] != [str(eggs)]:
        shutil.rmtree(repo, ignore_errors=True)
        made_file.unlink(missing_ok=True)
        made_file.write_text(f"{eggs} {make_repo(repo, eggs)}\n")
    made = int(made_file.read_text().split()[1])
    shutil.rmtree(base / "out", ignore_errors=True)
    peaks: dict[str, list[float]] = {}
    if stage_peaks:
        watch_stages(peaks)
    cpu = _cpu()
    r = measure(repo, base / "out", jobs, again=False)
    r["cpu"] = _cpu() - cpu
    r["eggs"], (r["rss_run"], r["rss_workers"]) = made, peak_rss_mb()
    r["stage_peaks"] = peaks
    r.pop("lines")
    report.write_text(json.dumps(r))
    return 0


def _cpu() -> float:
    """User + system CPU seconds of this process and its finished children (the run's workers)."""
    return sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for f in ("ru_utime", "ru_stime"))


def sizes(base: Path, counts: list[int], jobs: int, stage_peaks: bool = False) -> None:
    """Each size in its own process; a table with ratios to the first size."""
    print(f"machine: {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f}), Python "
          f"{sys.version.split()[0]}; run -j {jobs}, first run only, each size in a fresh process")
    rows = []
    for n in counts:
        folder = base / f"eggs-{n}"
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, __file__, "--eggs", str(n), "--jobs", str(jobs), "--keep", str(folder),
                        "--child-report", str(folder / "figures.json")] + ["--stage-peaks"] * stage_peaks,
                       check=True)
        rows.append(json.loads((folder / "figures.json").read_text()))
        print(f"  {n} eggs done (load average {os.getloadavg()[0]:.1f})", flush=True)
    print_table(rows)
    if stage_peaks:
        print_stage_peaks(rows)


def print_table(rows: list[dict[str, Any]]) -> None:
    head = ("eggs", "fetch", "convert+check", "publish", "pin (pins)", "total", "CPU s: fetch/convert/publish/manifest/pin",
            "ms/egg", "CPU ms/egg", "peak RSS", "ms/egg ratio", "CPU/egg ratio", "RSS ratio")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    first = rows[0]
    for r in rows:
        st = r["stages"]
        per_egg = 1000 * r["seconds"] / r["eggs"]
        rss = max(r["rss_run"], r["rss_workers"])
        ratio = per_egg / (1000 * first["seconds"] / first["eggs"])
        rss_ratio = rss / max(first["rss_run"], first["rss_workers"])
        cpu_ratio = (r.get("cpu", 0) / r["eggs"]) / ((first.get("cpu") or 1) / first["eggs"])
        cpu = r.get("cpu_stages", {})
        split = " / ".join(f"{cpu.get(s, 0):.1f}" for s in ("fetch", "convert", "publish", "manifest", "pin"))
        cells = (f"{r['eggs']:,}", f"{st.get('fetch', 0):.1f} s", f"{st.get('convert', 0):.1f} s",
                 f"{st.get('publish', 0):.1f} s", f"{st.get('pin', 0):.1f} s ({r['pins']:,})", f"{r['seconds']:.1f} s",
                 split, f"{per_egg:.1f}", f"{1000 * r.get('cpu', 0) / r['eggs']:.1f}",
                 f"{rss:.0f} MB (run {r['rss_run']:.0f}, workers {r['rss_workers']:.0f})",
                 f"{ratio:.2f}", f"{cpu_ratio:.2f}", f"{rss_ratio:.2f}")
        print("| " + " | ".join(cells) + " |")


def print_stage_peaks(rows: list[dict[str, Any]]) -> None:
    """The run's process, each stage: RSS at its start -> its own peak -> RSS at its end, in MB."""
    print()
    head = ["eggs"] + [f"{stage}: start / peak / end" for stage, _ in STAGES]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for r in rows:
        peaks = r.get("stage_peaks", {})
        cells = [f"{r['eggs']:,}"] + [" / ".join(f"{mb:.1f}" for mb in peaks.get(stage, [])) or "-"
                                      for stage, _ in STAGES]
        print("| " + " | ".join(cells) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eggs", type=int, default=1000)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--keep", metavar="DIR", help="build in DIR and keep it (default: a temp folder)")
    parser.add_argument("--sizes", type=int, nargs="+", metavar="EGGS",
                        help="run once at each size (e.g. 1000 4000 16000), each in a fresh process: the scaling table")
    parser.add_argument("--stage-peaks", action="store_true",
                        help="with --sizes: each stage's own peak RSS in the run's process (Linux /proc)")
    parser.add_argument("--child-report", metavar="JSON", help=argparse.SUPPRESS)
    args = parser.parse_args()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="egg-migrate-bench-run-"))
    base.mkdir(parents=True, exist_ok=True)
    if args.child_report:
        return one_size(base, args.eggs, args.jobs[0], Path(args.child_report), args.stage_peaks)
    try:
        if args.sizes:
            sizes(base, args.sizes, args.jobs[-1], args.stage_peaks)
            return 0
        repo = base / "repo"
        shutil.rmtree(repo, ignore_errors=True)
        made = make_repo(repo, args.eggs)
        size = sum(p.stat().st_size for p in repo.glob("*/*.egg"))
        print(f"machine: {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f}), Python "
              f"{sys.version.split()[0]}")
        print(f"eggs: {made} in {repo} ({size / 1e6:.1f} MB; the sample's 15 + renamed copies)")
        results = {}
        for jobs in args.jobs:
            out = base / f"out-j{jobs}"
            shutil.rmtree(out, ignore_errors=True)
            r = results[jobs] = measure(repo, out, jobs)
            c = r["counts"]
            stages = ", ".join(f"{k} {v:.1f} s" for k, v in r["stages"].items())
            print(f"-j {jobs}: {r['seconds']:.1f} s, {made / r['seconds']:.0f} eggs/s end to end "
                  f"({c['converted']} converted, {c['failed']} failed); {stages}")
            convert = r["stages"].get("convert")
            if convert:
                print(f"      convert + check alone: {r['work']['convert'] / convert:.0f} eggs/s")
            print(f"      second run (nothing to do): {r['again']:.2f} s, redone: "
                  f"{ {k: v for k, v in r['again_work'].items() if v} or 'nothing'}")
        if 1 in results:
            for jobs, r in results.items():
                if jobs != 1:
                    total = results[1]["seconds"] / r["seconds"]
                    conv = results[1]["stages"]["convert"] / r["stages"]["convert"]
                    print(f"scaling -j 1 -> -j {jobs}: end to end x{total:.2f}, convert + check x{conv:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
