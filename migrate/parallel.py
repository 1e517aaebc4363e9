"""Process-pool maps and progress bars: the parallelism of the CLI and the pipeline.

Conversion is CPU-bound (inflate, hash, ELF parsing), so eggs go to a process
pool; one egg is one task, results come back in input order.
"""
from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterator


def parallel_map(func: Callable, items: list, jobs: int) -> Iterator:
    """``map`` over a process pool when jobs > 1, in input order."""
    if jobs <= 1 or len(items) <= 1:
        yield from map(func, items)
        return
    with ProcessPoolExecutor(max_workers=min(jobs, len(items))) as pool:
        yield from pool.map(func, items, chunksize=max(1, min(16, len(items) // (jobs * 4) or 1)))


def progress(items, desc: str, total: int = None, unit: str = "egg"):
    """A tqdm bar on stderr when it is a terminal; the plain iterable otherwise."""
    if not sys.stderr.isatty():
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, total=total, unit=unit, leave=False, file=sys.stderr)
