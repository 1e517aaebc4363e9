"""``publish()``: the steps of one publish, from reading the live generation to collecting garbage.

Under the mirror's lock, a publish reads the live generation and its state (``live``), sorts the
wheels given into known and new, placing the new ones (``given``, ``placing``; in a process pool
when there are thousands), plans the next generation (``planning``), writes the pages that do not
exist yet (``pagestore``) and the next generation beside the live one (``generation``), swaps
``current`` with one rename, and then deletes what no generation in use refers to (``garbage``).
Each step hands the next a value; none keeps the others' state. The package docstring
(``migrate/mirror/__init__.py``) says why the mirror is shaped this way.
"""
from __future__ import annotations

import functools
import os
import time
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Optional, Protocol, Sequence, Union

from migrate import problems as P
from migrate.fsutil import fsync_dir
from migrate.mirror.files import Placer, point, sync
from migrate.mirror.garbage import collect_garbage
from migrate.mirror.generation import prepare_next, write_generation
from migrate.mirror.given import Given, collect
from migrate.mirror.guard import check_folders, check_shrink, preview, served
from migrate.mirror.journal import Journal
from migrate.mirror.layout import link_indexes, lock
from migrate.mirror.live import Live, open_live
from migrate.mirror.pagestore import write_new_pages
from migrate.mirror.pagetable import PageTable
from migrate.mirror.placing import Claims
from migrate.mirror.planning import plan_change
from migrate.mirror.state import STATE_DIR, WORK, gen
from migrate.mirror.wheels import forget_names
from migrate.parallel import paused_gc
from migrate.spill import SpillList


@dataclass(frozen=True)
class PublishReport:
    mirror: str
    files: int  # wheel files listed in simple/
    projects: int
    distros: tuple[str, ...]  # distro index names
    added: Sequence[str]  # filenames newly read this time, sorted (a SpillList from a publish of many)
    removed: tuple[str, ...]  # filenames no longer published
    pages_written: int  # project pages rendered
    pages_reused: int  # project pages kept from an earlier publish
    problems: tuple[P.Problem, ...] = field(default=())
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not P.has_errors(self.problems)


class PublishProgress(Protocol):
    """Told how many wheels a publish is given, then each one sorted (found known, or read and
    placed); the command layer passes one that draws a bar."""

    def start(self, total: int) -> None: ...

    def step(self) -> None: ...


class _Silent:
    def start(self, total: int) -> None:
        pass

    def step(self) -> None:
        pass


@dataclass(frozen=True)
class PublishMode:
    """How a publish treats the wheels the mirror serves and is not given."""

    add: bool = False  # a merge: they stay, and a served name is never given other bytes
    allow_shrink: bool = False  # a sync may remove half or more of the mirror
    dry_run: bool = False  # say what would be added and removed; write nothing


def publish(wheels: Iterable[Union[str, os.PathLike[str]]], mirror_dir: Union[str, os.PathLike[str]],
            base_url: Optional[str] = None, durable: bool = True, link: bool = False, jobs: int = 1,
            mode: PublishMode = PublishMode(), progress: Optional[PublishProgress] = None) -> PublishReport:
    """Make ``mirror_dir`` serve exactly ``wheels`` (a sync, not an append); atomic, incremental.

    ``durable``: flush new files before the swap (survives power loss, not only crashes).
    ``link``: hard-link wheels into packages/ instead of copying them (cheaper; only for wheel
    folders whose files are replaced by rename, never rewritten in place, as ``egg-migrate
    convert`` does).
    ``jobs``: processes that read and place new wheels and write pages when there are many.
    ``mode``: ``add`` (merge), ``allow_shrink``, ``dry_run`` (see :class:`PublishMode`); a sync that
    would remove half the mirror or more raises :class:`~migrate.mirror.guard.ShrinkRefused`.
    ``progress``: told how many wheels there are and each one sorted.
    """
    started = time.perf_counter()
    mirror = Path(os.path.abspath(mirror_dir))
    base_url = base_url.rstrip("/") + "/" if base_url else None
    # walked a few times: a list given is used as it is (its caller holds it anyway); anything else is
    # kept in a SpillList, not a list (the run hands its 16,000 paths over one at a time)
    paths: Sequence[str] = wheels if isinstance(wheels, list) and all(isinstance(w, str) for w in wheels) \
        else SpillList(os.fspath(w) for w in wheels)
    if mode.dry_run:
        report = _preview(paths, str(mirror), mode)
    else:
        check_folders(mirror, paths)  # before the first write
        mirror.mkdir(parents=True, exist_ok=True)
        state_root = mirror / STATE_DIR
        state_root.mkdir(exist_ok=True)
        try:
            with lock(state_root / "lock"), paused_gc(), closing(Journal(str(mirror), str(state_root))) as journal:
                report = _publish(journal, paths, str(mirror), str(state_root), base_url, durable, link, jobs, mode,
                                  progress or _Silent())
        finally:
            forget_names()  # memory flat across a long run's stages
    return replace(report, mirror=str(Path(mirror_dir)), seconds=time.perf_counter() - started)


def _publish(journal: Journal, wheels: Sequence[str], root: str, state_root: str, base_url: Optional[str], durable: bool, link: bool,
             jobs: int, mode: PublishMode, progress: PublishProgress) -> PublishReport:
    """The steps, in order, under the lock."""
    live = open_live(state_root, base_url)
    if not (mode.add or mode.allow_shrink):
        check_shrink(root, live, wheels)
    placer = Placer(link, journal)  # remembers what it creates: flushed before the swap
    # The next generation's folder is made before the first new file (its presence marks a crash).
    make_next = functools.cache(functools.partial(prepare_next, root, state_root, live, placer.dirs))
    progress.start(len(wheels))
    given = collect(wheels, live, Claims(root, placer, live, make_next).store, jobs, mode.add, progress.step)
    if _unchanged(state_root, live, given):
        link_indexes(Path(root), sorted(live.gen.distros))
        return _report(root, given, sorted(live.gen.distros), live.gen.pages, 0, ())
    recycled = make_next()
    plan = plan_change(live, given, base_url, recycled.pages)
    write_new_pages(state_root, placer, plan.new_pages, base_url, jobs)
    written = write_generation(state_root, live, given, plan, recycled, placer, base_url)
    _swap_in(root, state_root, live.gen.number + 1, plan.distros, placer, durable)
    collect_garbage(root, state_root, live, plan, written, journal)
    return _report(root, given, plan.distros, plan.pages, len(plan.new_pages), plan.removed)


def _preview(wheels: Sequence[str], root: str, mode: PublishMode) -> PublishReport:
    """--dry-run: what would be added and removed, from the live state alone; nothing is written."""
    state_root = f"{root}/{STATE_DIR}"
    live = open_live(state_root, None, clear=False) if os.path.isdir(state_root) else None
    if live is None:
        return PublishReport(root, len(set(map(os.path.basename, wheels))), 0, (),
                             tuple(sorted(set(map(os.path.basename, wheels)))), (), 0, 0)
    if not (mode.add or mode.allow_shrink):
        check_shrink(root, live, wheels)
    added, removed = preview(live, wheels, mode.add)
    files = len(served(live)) + len(added) - len(removed)
    return PublishReport(root, files, len(live.gen.pages), tuple(sorted(live.gen.distros)), tuple(added),
                         tuple(removed), 0, 0)


def _unchanged(state_root: str, live: Live, given: Given) -> bool:
    """The live generation already serves exactly these wheels, and owes no sweep: nothing to do."""
    old = live.gen
    return bool(old.known and old.number and not live.rerender and not live.crashed
                and not given.new_rows and len(given.kept) == len(live.rows)
                and not old.state.get("full_gc_next")
                and os.path.exists(f"{state_root}/{gen(old.number)}/gc-done"))


def _swap_in(root: str, state_root: str, number: int, distros: list[str], placer: Placer, durable: bool) -> None:
    """Switch every index to generation ``number`` at once: one rename of ``current``."""
    placer.dirs |= link_indexes(Path(root), distros)  # dangling until the swap, then all at once
    if durable:
        sync(Path(root), placer.files, placer.dirs)
    os.replace(f"{state_root}/{WORK}", f"{state_root}/{gen(number)}")
    point(Path(state_root) / "current", gen(number))
    if durable:
        fsync_dir(state_root)


def _report(root: str, given: Given, distros: list[str], pages: PageTable, written: int,
            removed: Iterable[str]) -> PublishReport:
    total = sum(1 + len(idx) for _sig, idx in pages.values())
    return PublishReport(
        mirror=root, files=given.files, projects=len(pages), distros=tuple(distros),
        added=given.added if given.added_in_order else tuple(sorted(given.added)), removed=tuple(sorted(removed)),
        pages_written=written,
        pages_reused=total - written, problems=tuple(given.problems))
