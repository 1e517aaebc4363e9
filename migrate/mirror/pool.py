"""The process pool of a publish: when it is worth starting, how the work is cut, and its workers.

Only a publish of thousands of new wheels starts one. The workers read and hash wheels and
render pages; the main process creates every file (``files.Placer``). They are top-level here so
that a fresh process can import them.
"""
from __future__ import annotations

from itertools import chain, islice
from typing import Iterable, Iterator, Optional, Union

from migrate.mirror.pages import render_project
from migrate.mirror.state import Entry
from migrate.mirror.wheels import BadWheel, Wheel, inspect
from migrate.parallel import bounded_map, paused_gc

_POOL_MIN = 2000  # new wheels worth starting a process pool for
_PER_TASK = 64  # wheels per pool task: a few tasks wait with their wheels' bytes, so few per task
_PAGES_PER_TASK = 64  # pages per pool task
SHIP_BYTES = 1 << 20  # wheels up to this size come back from a pool worker with their bytes

ToRead = tuple[int, str, int]  # a new wheel: (tag: its position in what was given, path, size)
Read = tuple[int, Union[Wheel, str]]  # (tag, the Wheel or why it is bad)
PageTask = tuple[str, str, str, list[Entry], int]  # a page to render: (store, sig, project, entries, depth)
Rendered = tuple[str, bytes, bytes]  # a page rendered: (its folder, index.html, index.json)


def read_many(todo: Iterable[ToRead], jobs: int) -> Iterator[Read]:
    """(tag, the Wheel or why it is bad) of each (tag, path, size) in ``todo``, in order, read in a
    pool; nothing when there are too few to be worth one (the caller reads them itself). ``todo`` is
    taken as the pool goes: only the first few thousand are held, to know whether to start one."""
    todo = iter(todo)
    first = list(islice(todo, _POOL_MIN))
    if len(first) < _POOL_MIN:
        return
    rest = chain(first, todo)
    del first
    tasks = iter(lambda: list(islice(rest, _PER_TASK)), [])
    for results in bounded_map(read_wheels, tasks, jobs):
        yield from results


def render_many(base_url: Optional[str], new_pages: Iterable[PageTask], count: int,
                jobs: int) -> Iterator[list[Rendered]]:
    """[(folder, index.html, index.json)] of the ``count`` pages in ``new_pages`` (store, sig, project,
    entries, depth), a share at a time, taken as they are rendered; in a pool when there are many."""
    pages = iter(new_pages)
    tasks = iter(lambda: (base_url, list(islice(pages, _PAGES_PER_TASK))), (base_url, []))
    pool = jobs > 1 and count >= _POOL_MIN // 8
    return bounded_map(render_pages, tasks, jobs) if pool else map(render_pages, tasks)


# ---------------------------------------------------------------- the workers (top level: a fresh process imports them)

def read_wheels(items: list[ToRead]) -> list[Read]:
    """Pool worker: read a share of the new wheels, given as (tag, path, size):
    [(tag, the Wheel or why it is bad)].

    A wheel's bytes come back with it when small (the main process then writes them without
    reading the file again); larger ones it copies from the file, checking the hash."""
    results: list[Read] = []
    with paused_gc():
        for tag, wheel, size in items:
            try:
                found = inspect(wheel, size)
            except BadWheel as exc:
                results.append((tag, str(exc)))
                continue
            results.append((tag, found if size <= SHIP_BYTES else found._replace(data=None)))
    return results


def render_pages(task: tuple[Optional[str], list[PageTask]]) -> list[Rendered]:
    """Pool worker (and the main process, for a few): [(folder, index.html, index.json)] of new pages."""
    base_url, new_pages = task
    with paused_gc():
        return [_rendered(f"{store}/{sig}", *render_project(project, files, depth, base_url))
                for store, sig, project, files, depth in new_pages]


def _rendered(folder: str, page: str, data: str) -> Rendered:
    return folder, page.encode("utf-8"), data.encode("utf-8")
