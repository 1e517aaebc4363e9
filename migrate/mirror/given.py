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
from typing import Callable, Iterable, Iterator, NamedTuple, Optional, Sequence, Union

from migrate import problems as P
from migrate.disklog import DiskLog
from migrate.mirror.guard import refused_by_add, served
from migrate.mirror.live import Live
from migrate.mirror.pool import Read, ToRead, read_many
from migrate.mirror.state import UNSAFE, Row
from migrate.mirror.wheels import BadWheel, Wheel, inspect, one_file_key


@dataclass(frozen=True)
class Given:
    """The wheels given, sorted. What is kept per wheel given is on disk (``DiskLog``) or a few bytes
    of a hash: a publish of 16,000 wheels must not hold 16,000 sets of names and rows."""

    kept: list[str]  # source keys of the known wheels
    new_rows: Sequence[tuple[str, Row]]  # (source key, Row) of the wheels read and placed this time
    files: int  # wheel files published
    added: list[str]  # file names of the wheels read this time
    problems: list[P.Problem]
    firsts: "_Firsts"  # the first wheel given of each file: what ``publishes`` asks

    def publishes(self, filename: str) -> bool:
        """A wheel given under exactly this file name is published."""
        first = self.firsts.get(one_file_key(filename))
        return first is not None and first.filename == filename


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
    given = DiskLog(_stat(wheels))  # on disk: walked twice, once by the pool's feeder, once here
    early = _read_in_pool(given, live.rows, jobs)
    upcoming = next(early, None)  # (position in given, what the pool read there)
    sorting = _Sorting(live, store, served(live) if add else None, given)
    for n, file in enumerate(given):
        found = None
        if upcoming is not None and upcoming[0] == n:
            found, upcoming = upcoming[1], next(early, None)
        sorting.take(n, file, found)
        tick()
    if add:
        sorting.keep_the_rest()
    return Given(sorting.kept, sorting.new_rows, sorting.files, sorting.added, sorting.problems, sorting.firsts)


class _Firsts:
    """The first wheel given of each file (``one_file_key``): its position in the wheels given, by the
    hash of its key (an int, not two strings per wheel); the ``_File`` itself is read back from disk."""

    def __init__(self, given: Sequence[Union["_File", "_Unreadable"]]):
        self.given = given
        self.by_hash: dict[int, int] = {}
        self.spilled: dict[str, int] = {}  # the rare key whose hash another key has

    def get(self, key: str) -> Optional["_File"]:
        for at in (self.by_hash.get(hash(key)), self.spilled.get(key)):
            if at is not None:
                file = self.given[at]
                if isinstance(file, _File) and one_file_key(file.filename) == key:
                    return file
        return None

    def add(self, key: str, at: int) -> None:
        if hash(key) in self.by_hash:
            self.spilled[key] = at
        else:
            self.by_hash[hash(key)] = at


class _Sorting:
    """The wheels sorted so far, in the order given: the first wheel of a file name wins."""

    def __init__(self, live: Live, store: Callable[[str, Wheel], Row], add_to: Optional[dict[str, str]],
                 given: Sequence[Union[_File, _Unreadable]]):
        self.live, self.store = live, store
        self.add_to = add_to  # with --add: {file name: sha256} the mirror serves
        self.kept: list[str] = []
        self.new_rows: DiskLog[tuple[str, Row]] = DiskLog()
        self.files = 0
        self.firsts = _Firsts(given)
        self.added: list[str] = []
        self.problems: list[P.Problem] = []

    def take(self, at: int, file: Union[_File, _Unreadable], early: Union[Wheel, str, None]) -> None:
        """Sort one wheel (the ``at``-th given); ``early``: what the pool read of it (the wheel, or why it
        is bad), if it did."""
        if isinstance(file, _Unreadable):
            self.problems.append(P.error("R001", f"{file.wheel}: cannot read ({file.error.strerror or file.error})"))
        elif file.key in self.live.rows:
            self._keep(at, file)
        elif UNSAFE.search(file.path):
            self.problems.append(P.error("R001", f"{file.wheel!r}: control character in the path; rename it"))
        else:
            self._add(at, file, early)

    def _keep(self, at: int, file: _File) -> None:
        """A wheel the live state knows: trusted unread."""
        name = one_file_key(file.filename)
        first = self.firsts.get(name)
        if first is not None:
            sha = Row.parse(self.live.rows[file.key]).sha256
            self.problems += _clash(file.wheel, file.filename, sha, first.key, self.live, self.new_rows)
            return
        self._publish(at, name)
        self.kept.append(file.key)

    def _publish(self, at: int, name: str) -> None:
        self.files += 1
        self.firsts.add(name, at)

    def _add(self, at: int, file: _File, early: Union[Wheel, str, None]) -> None:
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
        name = one_file_key(file.filename)
        first = self.firsts.get(name)
        if first is not None:
            self.problems += _clash(file.wheel, file.filename, found.sha256, first.key, self.live, self.new_rows)
            return
        try:
            row = self.store(file.wheel, found)
        except BadWheel as exc:
            self.problems.append(P.error("R002", f"{file.filename}: {exc}"))
            return
        self._publish(at, name)
        self.new_rows.append((file.key, row))
        self.added.append(file.filename)

    def keep_the_rest(self) -> None:
        """--add: the wheels the mirror serves under a name not given stay, unread."""
        for key, text in self.live.rows.items():
            filename = text.split("\t", 1)[0]
            first = self.firsts.get(one_file_key(filename))
            if first is None or first.filename != filename:
                self.files += 1
                self.kept.append(key)


def _wheel(file: _File, early: Union[Wheel, str, None]) -> Wheel:
    """The wheel as the pool read it, else read now; BadWheel when it is bad."""
    if early is None:
        return inspect(file.wheel, file.size)
    if isinstance(early, str):
        raise BadWheel(early)
    return early


def _stat(wheels: Iterable[Union[str, os.PathLike[str]]]) -> Iterator[Union[_File, _Unreadable]]:
    """A ``_File`` per wheel given, in order: one ``stat`` each."""
    cwd = os.getcwd()
    for item in wheels:
        wheel = os.fspath(item)
        try:
            st = os.stat(wheel)
        except OSError as exc:
            yield _Unreadable(wheel, exc)
            continue
        path = wheel if wheel[:1] == os.sep else os.path.join(cwd, wheel)  # isabs(), without the call
        key = f"{path}\t{st.st_size}\t{st.st_mtime_ns}\t{st.st_ino}"
        yield _File(wheel, path, path.rpartition(os.sep)[2], key, st.st_size)


def _read_in_pool(given: Sequence[Union[_File, _Unreadable]], old_rows: dict[str, str], jobs: int) -> Iterator[Read]:
    """Many new wheels: read and hash them in a process pool while this process places the ones
    read (one process creating files: several would spin on the folder's lock in the kernel).
    Yields (position in ``given``, the wheel read or why it is bad), in order.

    Only the first wheel of each file name goes to the pool, so which one wins a name clash is
    decided in order, as without the pool."""
    if jobs < 2:
        return
    yield from read_many(_to_read(given, old_rows), jobs)


def _to_read(given: Sequence[Union[_File, _Unreadable]], old_rows: dict[str, str]) -> Iterator[ToRead]:
    """(position, path, size) of each new wheel, made as the pool takes them. Names seen are kept as
    hashes: a collision only means a wheel is read by this process instead of the pool."""
    seen: set[int] = set()
    for n, file in enumerate(given):
        if isinstance(file, _Unreadable) or file.key in old_rows:
            continue  # (a new wheel named as a known one is read, and then refused as a clash, as without the pool)
        key = hash(one_file_key(file.filename))
        if key not in seen and not UNSAFE.search(file.path):
            yield n, file.wheel, file.size
        seen.add(key)


def _clash(wheel: str, filename: str, sha: str, first: str, live: Live,
           new_rows: Iterable[tuple[str, Row]]) -> list[P.Problem]:
    """A problem when a second wheel named ``filename`` (or spelled so: ``Foo_Bar``/``foo_bar``)
    differs from the first one given (kept)."""
    first_text = live.rows[first] if first in live.rows else next(r.text() for k, r in new_rows if k == first)
    if first_text.split("\t")[3] == sha:
        return []
    first_name = os.path.basename(first.split("\t", 1)[0])  # a source key is PATH\tSIZE\tMTIME\tINODE
    named = filename if first_name == filename else f"{first_name} (one file to pip)"
    return [P.error("R003", f"{wheel}: another wheel named {named} with different content was given; kept the first")]
