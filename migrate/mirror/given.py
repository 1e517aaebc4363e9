"""Reading what a publish is given: which wheels are known (not read again) and which are new.

A wheel whose source key (absolute path, size, mtime, inode) the live state has is trusted
unread; every other one is read (in a process pool when there are thousands) and handed to
``store``, which places it. The first wheel of a file name wins (``Foo_Bar-1.0-…`` and
``foo_bar-1.0-…`` are one name, as pip sees them); a bad one is left out with a problem that
names it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, NamedTuple, Optional, Union

from migrate import problems as P
from migrate.mirror.guard import refused_by_add, served
from migrate.mirror.live import Live
from migrate.mirror.pool import Read, ToRead, read_many
from migrate.mirror.state import UNSAFE, Row
from migrate.mirror.wheels import BadWheel, Wheel, inspect, one_file_key


@dataclass(frozen=True)
class Given:
    """The wheels given, sorted."""

    kept: list[str]  # source keys of the known wheels
    new_rows: list[tuple[str, Row]]  # (source key, Row) of the wheels read and placed this time
    by_name: dict[str, str]  # file name -> source key of the wheel published under it
    added: list[str]  # file names of the wheels read this time
    problems: list[P.Problem]


class _File(NamedTuple):
    """One wheel given."""

    wheel: str  # as given
    path: str  # absolute
    filename: str
    key: str  # the state's source key
    size: int


class _Unreadable(NamedTuple):
    """A wheel given that cannot be read (its ``stat`` failed)."""

    wheel: str  # as given
    error: OSError


def collect(wheels: Iterable[Union[str, os.PathLike[str]]], live: Live, store: Callable[[str, Wheel], Row],
            jobs: int, add: bool = False, tick: Callable[[], None] = lambda: None) -> Given:
    """Sort the wheels into known (state line unchanged: not read) and new (read and stored).

    ``add``: every wheel the mirror serves stays (a merge), and a wheel whose name it serves with
    other bytes is refused. ``tick``: called after each wheel is sorted (the progress bar)."""
    given = _stat(wheels)
    early = _read_in_pool(given, live.rows, jobs)
    upcoming = next(early, None)  # (position in given, what the pool read there)
    sorting = _Sorting(live, store, served(live) if add else None)
    for n, file in enumerate(given):
        found = None
        if upcoming is not None and upcoming[0] == n:
            found, upcoming = upcoming[1], next(early, None)
        sorting.take(file, found)
        tick()
    if add:
        sorting.keep_the_rest()
    return Given(sorting.kept, sorting.new_rows, sorting.by_name, sorting.added, sorting.problems)


class _Sorting:
    """The wheels sorted so far, in the order given: the first wheel of a file name wins."""

    def __init__(self, live: Live, store: Callable[[str, Wheel], Row], add_to: Optional[dict[str, str]]):
        self.live, self.store = live, store
        self.add_to = add_to  # with --add: {file name: sha256} the mirror serves
        self.kept: list[str] = []
        self.new_rows: list[tuple[str, Row]] = []
        self.by_name: dict[str, str] = {}
        self.by_key: dict[str, str] = {}  # one_file_key -> source key of the wheel published under it
        self.added: list[str] = []
        self.problems: list[P.Problem] = []

    def take(self, file: Union[_File, _Unreadable], early: Union[Wheel, str, None]) -> None:
        """Sort one wheel; ``early``: what the pool read of it (the wheel, or why it is bad), if it did."""
        if isinstance(file, _Unreadable):
            self.problems.append(P.error("R001", f"{file.wheel}: cannot read ({file.error.strerror or file.error})"))
        elif file.key in self.live.rows:
            self._keep(file)
        elif UNSAFE.search(file.path):
            self.problems.append(P.error("R001", f"{file.wheel!r}: control character in the path; rename it"))
        else:
            self._add(file, early)

    def _keep(self, file: _File) -> None:
        """A wheel the live state knows: trusted unread."""
        first = self.by_key.get(one_file_key(file.filename))
        if first is not None:
            sha = Row.parse(self.live.rows[file.key]).sha256
            self.problems += _clash(file.wheel, file.filename, sha, first, self.live, self.new_rows)
            return
        self._publish(file)
        self.kept.append(file.key)

    def _publish(self, file: _File) -> None:
        self.by_name[file.filename] = file.key
        self.by_key[one_file_key(file.filename)] = file.key

    def _add(self, file: _File, early: Union[Wheel, str, None]) -> None:
        """A new wheel: read (unless the pool did), then placed by ``store``."""
        try:
            found = _wheel(file, early)
        except BadWheel as exc:
            self.problems.append(P.error("R002", f"{file.filename}: {exc}"))
            return
        refused = self.add_to is not None and refused_by_add(found.sha256, file.filename,
                                                              self.add_to.get(file.filename))
        if refused:
            self.problems.append(P.error("R004", refused))
            return
        first = self.by_key.get(one_file_key(file.filename))
        if first is not None:
            self.problems += _clash(file.wheel, file.filename, found.sha256, first, self.live, self.new_rows)
            return
        try:
            row = self.store(file.wheel, found)
        except BadWheel as exc:
            self.problems.append(P.error("R002", f"{file.filename}: {exc}"))
            return
        self._publish(file)
        self.new_rows.append((file.key, row))
        self.added.append(file.filename)


    def keep_the_rest(self) -> None:
        """--add: the wheels the mirror serves under a name not given stay, unread."""
        for key, text in self.live.rows.items():
            filename = text.split("\t", 1)[0]
            if filename not in self.by_name:
                self.by_name[filename] = key
                self.kept.append(key)


def _wheel(file: _File, early: Union[Wheel, str, None]) -> Wheel:
    """The wheel as the pool read it, else read now; BadWheel when it is bad."""
    if early is None:
        return inspect(file.wheel, file.size)
    if isinstance(early, str):
        raise BadWheel(early)
    return early


def _stat(wheels: Iterable[Union[str, os.PathLike[str]]]) -> list[Union[_File, _Unreadable]]:
    """A ``_File`` per wheel given, in order: one ``stat`` each."""
    cwd = os.getcwd()
    given: list[Union[_File, _Unreadable]] = []
    for item in wheels:
        wheel = os.fspath(item)
        try:
            st = os.stat(wheel)
        except OSError as exc:
            given.append(_Unreadable(wheel, exc))
            continue
        path = wheel if wheel[:1] == os.sep else os.path.join(cwd, wheel)  # isabs(), without the call
        key = f"{path}\t{st.st_size}\t{st.st_mtime_ns}\t{st.st_ino}"
        given.append(_File(wheel, path, path.rpartition(os.sep)[2], key, st.st_size))
    return given


def _read_in_pool(given: list[Union[_File, _Unreadable]], old_rows: dict[str, str], jobs: int) -> Iterator[Read]:
    """Many new wheels: read and hash them in a process pool while this process places the ones
    read (one process creating files: several would spin on the folder's lock in the kernel).
    Yields (position in ``given``, the wheel read or why it is bad), in order.

    Only the first wheel of each file name goes to the pool, so which one wins a name clash is
    decided in order, as without the pool."""
    if jobs < 2:
        return
    seen: set[str] = set()
    todo: list[ToRead] = []
    for n, file in enumerate(given):
        if isinstance(file, _Unreadable):
            continue
        key = one_file_key(file.filename)
        if key not in seen and file.key not in old_rows and not UNSAFE.search(file.path):
            todo.append((n, file.wheel, file.size))
        seen.add(key)
    yield from read_many(todo, jobs)


def _clash(wheel: str, filename: str, sha: str, first: str, live: Live,
           new_rows: list[tuple[str, Row]]) -> list[P.Problem]:
    """A problem when a second wheel named ``filename`` (or spelled so: ``Foo_Bar``/``foo_bar``)
    differs from the first one given (kept)."""
    first_text = live.rows[first] if first in live.rows else next(r.text() for k, r in new_rows if k == first)
    if first_text.split("\t")[3] == sha:
        return []
    first_name = os.path.basename(first.split("\t", 1)[0])  # a source key is PATH\tSIZE\tMTIME\tINODE
    named = filename if first_name == filename else f"{first_name} (one file to pip)"
    return [P.error("R003", f"{wheel}: another wheel named {named} with different content was given; kept the first")]
