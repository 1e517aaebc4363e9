"""Process- and thread-pool maps: the parallelism of the CLI and the pipeline.

Conversion is CPU-bound (inflate, hash, ELF parsing), so eggs go to a process
pool; one egg is one task, results come back in input order. Fetching waits on
the network, so listings and downloads go to a thread pool (:func:`thread_map`).
A forked worker starts as big as its parent is when it forks: :class:`EarlyWorkers`
forks them before the parent grows.
"""
from __future__ import annotations

import functools
import gc
import os
import signal
import sys
from collections import deque
from contextlib import contextmanager
from itertools import islice
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, TypeVar

from migrate.fsutil import set_temp_tag, temp_tag

if TYPE_CHECKING:  # imported when a pool is made: a run with -j 1 does not pay for multiprocessing
    from concurrent.futures import Executor, Future, ProcessPoolExecutor
    from queue import SimpleQueue

_T = TypeVar("_T")
_R = TypeVar("_R")


def parallel_map(func: Callable[[_T], _R], items: list[_T], jobs: int) -> Iterator[_R]:
    """``map`` over a process pool when jobs > 1, in input order."""
    if jobs <= 1 or len(items) <= 1:
        yield from map(func, items)
        return
    with _pool(min(jobs, len(items))) as pool:
        yield from pool.map(func, items, chunksize=max(1, min(16, len(items) // (jobs * 4) or 1)))


def bounded_map(func: Callable[[_T], _R], tasks: Iterable[_T], jobs: int) -> Iterator[_R]:
    """``map`` over a process pool, in input order, with at most ``2 * jobs`` results waiting.

    For big results (wheel bytes) consumed by a slower caller: ``parallel_map`` submits every
    task at once, so its results could pile up in memory."""
    with _pool(jobs) as pool:
        yield from _ahead(pool, func, tasks, 2 * jobs)


def streamed_map(func: Callable[[_T], _R], tasks: Iterable[_T], jobs: int, count: int) -> Iterator[_R]:
    """``parallel_map`` over ``count`` tasks made one at a time as the pool takes them (none held in a
    list), in input order: sent in chunks as ``parallel_map`` sends them (one message per task costs
    more CPU than small tasks do), at most ``4 * jobs`` chunks submitted and not yet taken."""
    if jobs <= 1 or count <= 1:
        yield from map(func, tasks)
        return
    size = max(1, min(16, count // (jobs * 4)))
    tasks = iter(tasks)
    chunks = iter(lambda: list(islice(tasks, size)), [])
    with _pool(min(jobs, count)) as pool:
        for results in _ahead(pool, functools.partial(_map_chunk, func), chunks, 4 * jobs):
            yield from results


def _map_chunk(func: Callable[[_T], _R], chunk: list[_T]) -> list[_R]:
    """Pool worker: one chunk of ``streamed_map``."""
    return [func(task) for task in chunk]


def thread_completed(func: Callable[[_T], _R], items: Iterable[_T], jobs: int,
                     ahead: int = 256) -> Iterator[tuple[int, _R]]:
    """``(index, func(item))`` over a thread pool as each finishes, with at most ``ahead`` items started
    and not yet taken: for one result per egg, handed on one at a time. A slow item holds back none
    of the others (in input order, it held back the ``ahead`` after it); the caller puts them in order."""
    if jobs <= 1:
        yield from enumerate(map(func, items))
        return
    from concurrent.futures import ThreadPoolExecutor
    from queue import SimpleQueue

    finished: SimpleQueue[tuple[int, Future[_R]]] = SimpleQueue()  # filled by the pool's threads as tasks end
    tasks = enumerate(items)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        started = 0
        try:
            for n, item in islice(tasks, max(ahead, 2 * jobs)):
                pool.submit(func, item).add_done_callback(functools.partial(_put, finished, n))
                started += 1
            while started:
                n, future = finished.get()
                started -= 1
                for m, item in islice(tasks, 1):
                    pool.submit(func, item).add_done_callback(functools.partial(_put, finished, m))
                    started += 1
                yield n, future.result()
        finally:  # left early: the tasks not begun are not run
            pool.shutdown(cancel_futures=True)


def _put(finished: SimpleQueue[tuple[int, Future[_R]]], n: int, future: Future[_R]) -> None:
    finished.put((n, future))


def _ahead(pool: Executor, func: Callable[[_T], _R], tasks: Iterable[_T], ahead: int) -> Iterator[_R]:
    """The results of ``func`` over ``tasks`` in order, with at most ``ahead`` submitted and not yet taken."""
    tasks = iter(tasks)
    pending = deque(pool.submit(func, task) for task in islice(tasks, ahead))
    try:
        while pending:
            result = pending.popleft().result()
            for task in tasks:
                pending.append(pool.submit(func, task))
                break
            yield result
    finally:  # left early (an error, a closed generator): a shared pool must not go on with the rest
        for future in pending:
            future.cancel()


def thread_map(func: Callable[[_T], _R], items: list[_T], jobs: int) -> list[_R]:
    """``map`` over a thread pool when jobs > 1, in input order: for work that waits on I/O."""
    if jobs <= 1 or len(items) <= 1:
        return [func(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(jobs, len(items))) as pool:
        return list(pool.map(func, items))


_EARLY: list[tuple[int, ProcessPoolExecutor]] = []  # (workers, pool) of the open EarlyWorkers blocks


class EarlyWorkers:
    """Fork the process pool's ``jobs`` workers now, while this process is small; every process-pool
    map inside the ``with`` block uses them (a pool made later forks from whatever the parent holds
    by then) until :meth:`close`.

    A forked worker's pages are its parent's until written, and they count in its RSS: workers
    forked at the end of a 16,000-egg fetch start as big as the parent has grown. Forked before
    it, they stay the size of the imports plus one task's work."""

    def __init__(self, jobs: int):
        self.jobs, self._pool = jobs, None if jobs <= 1 else _new_pool(jobs)

    def __enter__(self) -> "EarlyWorkers":
        if self._pool is not None:
            self._pool.submit(int).result()  # the fork start method forks every worker at the first task
            _EARLY.append((self.jobs, self._pool))
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the workers (waiting for them: their CPU time then counts as this process's children's)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            _EARLY[:] = [(n, p) for n, p in _EARLY if p is not pool]
            pool.shutdown(cancel_futures=True)


@contextmanager
def _pool(workers: int) -> Iterator[Executor]:
    """The workers of the innermost :class:`EarlyWorkers` block (when they are enough), else a pool
    of its own for the ``with`` block."""
    if _EARLY and _EARLY[-1][0] >= workers:
        yield _EARLY[-1][1]
        return
    with _new_pool(workers) as pool:
        yield pool


def _new_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool whose workers die with this process (see ``_die_with_parent``)."""
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=(os.getpid(), temp_tag()))


@contextmanager
def paused_gc():
    """No cyclic garbage collection inside: for loops that make hundreds of thousands of acyclic
    values (rows, tuples, strings), where the collector finds nothing yet takes ~10% of the CPU
    (seen with ``perf`` in a 100,000-wheel publish). Reference counting still frees everything."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _start_worker(parent: int, tag: str) -> None:
    """Pool worker start-up: the parent's temp tag (a forked worker has it already; a spawned one
    not), and death with the parent."""
    set_temp_tag(tag)
    _die_with_parent(parent)


def _die_with_parent(parent: int) -> None:
    """Pool worker start-up: ask Linux to SIGKILL the worker when its parent dies.

    A ``kill -9`` of a run then leaves no orphaned workers holding files or locks.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGKILL)
