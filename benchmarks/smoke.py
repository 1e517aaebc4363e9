"""Benchmark: ``check --smoke`` with wheels batched vs each wheel alone, same wheels, same run.

N small pure wheels (distinct names, a module each) for one interpreter are smoke-tested
by ``migrate.checks.smoke_test`` twice, in turn, with the base venv made beforehand in a
shared cache folder (so neither side pays for it): once as it runs (batches: one pip
install and one pip check per batch, an import probe per wheel in a venv of its own), once
with batches of one wheel (the peer: a venv copy, a pip install, a probe and a pip check
per wheel, what it did before batching). Prints wall and CPU seconds (its own and its
children's) of each, and the ratios. Every result must be ``passed`` on both sides.
Usage: ``python benchmarks/smoke.py [--wheels 24] [--python 3.10] [-j 2] [--rounds 2]``.
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from migrate import interpreters  # noqa: E402
from migrate.checks import smoke, smoke_batch  # noqa: E402
from tests.test_check_wheelmaker import build_wheel, standard_files  # noqa: E402

BATCH = smoke_batch.MAX_BATCH


def cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(wheels: list[Path], interp, cache: Path, jobs: int, batch: int) -> tuple[float, float]:
    smoke_batch.MAX_BATCH = batch
    wall, used = time.monotonic(), cpu()
    results = smoke.smoke_test(wheels, jobs=jobs, interpreters=[interp], cache_dir=cache)
    wall, used = time.monotonic() - wall, cpu() - used
    bad = [(r.wheel, [str(p) for p in r.problems]) for r in results if r.status != smoke.PASSED]
    assert not bad, bad
    return wall, used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wheels", type=int, default=24)
    parser.add_argument("--python", default="3.10")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    interp = interpreters.find(args.python)
    if interp is None:
        sys.exit(f"no Python {args.python} on this machine")
    with tempfile.TemporaryDirectory(prefix="bench-smoke-") as tmp:
        folder, cache = Path(tmp) / "wheels", Path(tmp) / "cache"
        wheels = [build_wheel(folder, standard_files(name=f"w{i}", modules={f"w{i}/__init__.py": b"VALUE = 1\n"}),
                              f"w{i}-1.0-py3-none-any.whl") for i in range(args.wheels)]
        cache.mkdir()
        smoke._Venvs(cache).base(interp)
        batched, alone = [], []
        for _ in range(args.rounds):
            batched.append(measure(wheels, interp, cache, args.jobs, BATCH))
            alone.append(measure(wheels, interp, cache, args.jobs, 1))
    best_b, best_a = min(batched), min(alone)
    cpu_b, cpu_a = min(c for _, c in batched), min(c for _, c in alone)
    print(f"{args.wheels} wheels, Python {interp.short}, -j {args.jobs}, best of {args.rounds}")
    print(f"  each wheel alone: {best_a[0]:6.1f} s wall  {cpu_a:6.1f} s CPU")
    print(f"  batched:          {best_b[0]:6.1f} s wall  {cpu_b:6.1f} s CPU")
    print(f"  ratio (alone / batched): wall {best_a[0] / best_b[0]:.2f}x  CPU {cpu_a / cpu_b:.2f}x")


if __name__ == "__main__":
    main()
