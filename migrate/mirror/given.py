"""Reading what a publish is given: which wheels are known (not read again) and which are new.

A wheel whose source key (absolute path, size, mtime, inode) the live state has is trusted
unread; every other one is read (in a process pool when there are thousands) and handed to
``store``, which places it. The first wheel of a file name wins (``Foo_Bar-1.0-…`` and
``foo_bar-1.0-…`` are one name, as pip sees them); a bad one is left out with a problem that
names it.
"""
from __future__ import annotations

import os
from array import array
from dataclasses import dataclass
from typing import Any, Callable, Container, Iterable, Iterator, NamedTuple, Optional, Sequence, Union

from migrate import problems as P
from migrate.intmap import IntMap
from migrate.mirror.guard import refused_by_add, served
from migrate.mirror.live import Live
from migrate.mirror.pool import Read, ToRead, read_many
from migrate.mirror.state import SHARDS, UNSAFE, Row, shard
from migrate.mirror.wheels import BadWheel, Wheel, inspect, one_file_key
from migrate.spill import Buckets, SpillList


@dataclass(frozen=True)
class Given:
    """The wheels given, sorted. What is kept per wheel given is a few bytes (its ``stat`` in arrays,
    a hash, a flag), or in a temp file past a few hundred (``migrate.spill``): a publish of 16,000
    wheels must not hold 16,000 sets of names and rows."""

    kept: "_Kept"  # the known wheels, published unread
    new_rows: "NewRows"  # (source key, Row) of the wheels read and placed this time, by state shard
    new_distros: dict[str, int]  # distro index -> new rows re-tagged for it
    files: int  # wheel files published
    added: SpillList[str]  # file names of the wheels read this time, in the order given
    added_in_order: bool  # ``added`` is sorted (the run gives its wheels by file name)
    problems: list[P.Problem]
    firsts: "_Firsts"  # the first wheel given of each file: what ``publishes`` asks

    def publishes(self, filename: str) -> bool:
        """A wheel given under exactly this file name is published."""
        first = self.firsts.get(one_file_key(filename))
        return first is not None and first.filename == filename


class NewRows:
    """(source key, Row) of the wheels placed, filed by state shard in ``spill.Buckets``, each row as a
    plain tuple: a NamedTuple is pickled and unpickled through Python calls, about three times the CPU of
    a tuple (half a second for 100,000 wheels)."""

    def __init__(self) -> None:
        self.buckets: Buckets[tuple[str, tuple[Any, ...]]] = Buckets(SHARDS)

    def add(self, key: str, row: Row) -> None:
        self.buckets.add(shard(row.project), (key, tuple(row)))

    def bucket(self, i: int) -> Iterator[tuple[str, Row]]:
        """Shard ``i``'s rows, in the order added."""
        for key, fields in self.buckets.bucket(i):
            yield key, Row(*fields)

    def filled(self) -> list[int]:
        return self.buckets.filled()

    def __iter__(self) -> Iterator[tuple[str, Row]]:
        for i in self.filled():
            yield from self.bucket(i)

    def __len__(self) -> int:
        return len(self.buckets)


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


def collect(wheels: Sequence[str], live: Live, store: Callable[[str, Wheel], Row],
            jobs: int, add: bool = False, tick: Callable[[], None] = lambda: None) -> Given:
    """Sort the wheels into known (state line unchanged: not read) and new (read and stored).

    ``add``: every wheel the mirror serves stays (a merge), and a wheel whose name it serves with
    other bytes is refused. ``tick``: called after each wheel is sorted (the progress bar)."""
    given = _Stats(wheels, live.rows)
    early = _read_in_pool(given, jobs)
    upcoming = next(early, None)  # (position in given, what the pool read there)
    sorting = _Sorting(live, store, served(live) if add else None, given)
    known = given.known
    for n, wheel in enumerate(wheels):
        if known[n]:
            sorting.keep(n, wheel)
        else:
            found = None
            if upcoming is not None and upcoming[0] == n:
                found, upcoming = upcoming[1], next(early, None)
            # given.file, not given[n]: a SpillList of paths keeps one chunk for indexing, the feeder's
            sorting.take(n, given.file(n, wheel), found)
        tick()
    if add:
        sorting.keep_the_rest()
    return Given(sorting.kept, sorting.new_rows, sorting.new_distros, sorting.files, sorting.added,
                 sorting.added_in_order, sorting.problems, sorting.firsts)


class _Stats(Sequence[Union[_File, _Unreadable]]):
    """The wheels given, each with what one ``stat`` said of it and whether the live state knows it:
    25 bytes a wheel in arrays beside the paths the caller holds. A ``_File`` is made each time one is
    asked for, and not kept."""

    def __init__(self, wheels: Sequence[str], live_keys: Container[str]):
        self.wheels, self.cwd = wheels, os.getcwd()
        self.sizes, self.mtimes, self.inodes = array("q"), array("q"), array("Q")
        self.known = bytearray()  # 1: its source key is in the live state (trusted unread)
        self.errors: dict[int, OSError] = {}  # position -> why its stat failed
        for n, wheel in enumerate(wheels):
            try:
                st = os.stat(wheel)
            except OSError as exc:
                self.errors[n] = exc
                st = os.stat_result((0,) * 10)
            self.sizes.append(st.st_size)
            self.mtimes.append(st.st_mtime_ns)
            self.inodes.append(st.st_ino)
            self.known.append(n not in self.errors and self._key(n, self._path(wheel)) in live_keys)

    def __len__(self) -> int:
        return len(self.sizes)

    def __getitem__(self, n: Any) -> Any:
        n = range(len(self))[n]
        return self.file(n, self.wheels[n])

    def __iter__(self) -> Iterator[Union[_File, _Unreadable]]:
        for n, wheel in enumerate(self.wheels):
            yield self.file(n, wheel)

    def file(self, n: int, wheel: str) -> Union[_File, _Unreadable]:
        """The ``n``-th wheel given, whose path is ``wheel``."""
        if self.errors and n in self.errors:
            return _Unreadable(wheel, self.errors[n])
        path = self._path(wheel)
        return _File(wheel, path, path.rpartition(os.sep)[2], self._key(n, path), self.sizes[n])

    def _path(self, wheel: str) -> str:
        return wheel if wheel[:1] == os.sep else os.path.join(self.cwd, wheel)  # isabs(), without the call

    def _key(self, n: int, path: str) -> str:
        """The state's source key: absolute path, size, mtime, inode."""
        return f"{path}\t{self.sizes[n]}\t{self.mtimes[n]}\t{self.inodes[n]}"


class _Kept:
    """The known wheels published unread: a flag per wheel given, and with ``--add`` the live source
    keys not given (references to the live state's own strings)."""

    def __init__(self, given: _Stats):
        self.given = given
        self.flags = bytearray(len(given))
        self.rest: list[str] = []
        self.count = 0

    def keep(self, at: int) -> None:
        self.flags[at] = 1
        self.count += 1

    def keep_live(self, key: str) -> None:
        self.rest.append(key)
        self.count += 1

    def __len__(self) -> int:
        return self.count

    def removed(self, live_keys: Iterable[str]) -> set[str]:
        """The live source keys not kept (worked out only when some are: a walk of the wheels given)."""
        gone = set(live_keys)
        if len(gone) == self.count:
            return set()
        gone.difference_update(self.rest)
        for flag, file in zip(self.flags, self.given):
            if flag and isinstance(file, _File):
                gone.discard(file.key)
        return gone


class _Firsts:
    """The first wheel given of each file (``one_file_key``): its position in the wheels given, by the
    hash of its key (two ints in arrays, not two strings per wheel); the ``_File`` is made again when asked."""

    def __init__(self, given: Sequence[Union["_File", "_Unreadable"]]):
        self.given = given
        self.by_hash = IntMap(len(given))  # a file name per wheel given, at most
        self.spilled: dict[str, int] = {}  # the rare key whose hash another key has

    def get(self, key: str) -> Optional["_File"]:
        for at in (self.by_hash.get(hash(key)), self.spilled.get(key) if self.spilled else None):
            if at is not None:
                file = self.given[at]
                if isinstance(file, _File) and one_file_key(file.filename) == key:
                    return file
        return None

    def add(self, key: str, at: int) -> None:
        if self.by_hash.setdefault(hash(key), at) != at:  # another key's hash
            self.spilled[key] = at

    def get_or_add(self, key: str, at: int) -> Optional["_File"]:
        """The first wheel of ``key``, else None and the ``at``-th is its first: one probe for the two
        questions (a republish asks them of every wheel given)."""
        if self.by_hash.setdefault(hash(key), at) == at:
            return None
        first = self.get(key)
        if first is None:  # another key's hash
            self.spilled[key] = at
        return first


class _Sorting:
    """The wheels sorted so far, in the order given: the first wheel of a file name wins."""

    def __init__(self, live: Live, store: Callable[[str, Wheel], Row], add_to: Optional[dict[str, str]],
                 given: _Stats):
        self.live, self.store = live, store
        self.add_to = add_to  # with --add: {file name: sha256} the mirror serves
        self.kept = _Kept(given)
        self.new_rows = NewRows()
        self.new_distros: dict[str, int] = {}
        self.files = 0
        self.firsts = _Firsts(given)
        self.given = given
        self.added: SpillList[str] = SpillList()
        self.added_in_order = True
        self.problems: list[P.Problem] = []

    def take(self, at: int, file: Union[_File, _Unreadable], early: Union[Wheel, str, None]) -> None:
        """Sort one wheel the live state does not know (the ``at``-th given); ``early``: what the pool
        read of it (the wheel, or why it is bad), if it did."""
        if isinstance(file, _Unreadable):
            self.problems.append(P.error("R001", f"{file.wheel}: cannot read ({file.error.strerror or file.error})"))
        elif UNSAFE.search(file.path):
            self.problems.append(P.error("R001", f"{file.wheel!r}: control character in the path; rename it"))
        else:
            self._add(at, file, early)

    def keep(self, at: int, wheel: str) -> None:
        """The ``at``-th wheel given, which the live state knows: trusted unread (no ``_File`` made for it,
        unless it clashes)."""
        first = self.firsts.get_or_add(one_file_key(wheel.rpartition(os.sep)[2]), at)
        if first is not None:
            file = self.given[at]
            row = Row.parse(self.live.rows[file.key])
            self.problems += _clash(file.wheel, file.filename, row.sha256, first.key, self.live,
                                    self.new_rows.bucket(shard(row.project)))
            return
        self.files += 1
        self.kept.keep(at)

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
            self.problems += _clash(file.wheel, file.filename, found.sha256, first.key, self.live,
                                    self.new_rows.bucket(shard(found.project)))
            return
        try:
            row = self.store(file.wheel, found)
        except BadWheel as exc:
            self.problems.append(P.error("R002", f"{file.filename}: {exc}"))
            return
        self._publish(at, name)
        self.new_rows.add(file.key, row)
        if row.distro:
            self.new_distros[row.distro] = self.new_distros.get(row.distro, 0) + 1
        if self.added_in_order and self.added and file.filename < self.added[-1]:
            self.added_in_order = False
        self.added.append(file.filename)

    def keep_the_rest(self) -> None:
        """--add: the wheels the mirror serves under a name not given stay, unread."""
        for key, text in self.live.rows.items():
            filename = text.split("\t", 1)[0]
            first = self.firsts.get(one_file_key(filename))
            if first is None or first.filename != filename:
                self.files += 1
                self.kept.keep_live(key)


def _wheel(file: _File, early: Union[Wheel, str, None]) -> Wheel:
    """The wheel as the pool read it, else read now; BadWheel when it is bad."""
    if early is None:
        return inspect(file.wheel, file.size)
    if isinstance(early, str):
        raise BadWheel(early)
    return early


def _read_in_pool(given: _Stats, jobs: int) -> Iterator[Read]:
    """Many new wheels: read and hash them in a process pool while this process places the ones
    read (one process creating files: several would spin on the folder's lock in the kernel).
    Yields (position in ``given``, the wheel read or why it is bad), in order.

    The pool only reads: which wheel wins a name clash is decided here, in order, as without it."""
    if jobs < 2:
        return
    yield from read_many(_to_read(given), jobs)


def _to_read(given: _Stats) -> Iterator[ToRead]:
    """(position, path, size) of each new wheel, made as the pool takes them. A second wheel of one file
    name goes too (it is refused as a clash in order, as without the pool): rare, and a set of the
    names seen would hold one per wheel."""
    n = given.known.find(0)
    while n >= 0:
        file = given[n]
        if isinstance(file, _File) and not UNSAFE.search(file.path):
            yield n, file.wheel, file.size
        n = given.known.find(0, n + 1)


def _clash(wheel: str, filename: str, sha: str, first: str, live: Live,
           new_rows: Iterable[tuple[str, Row]]) -> list[P.Problem]:
    """A problem when a second wheel named ``filename`` (or spelled so: ``Foo_Bar``/``foo_bar``)
    differs from the first one given (kept). ``new_rows``: those of its project's shard (one file to
    pip is one project)."""
    first_text = live.rows[first] if first in live.rows else next(r.text() for k, r in new_rows if k == first)
    if first_text.split("\t")[3] == sha:
        return []
    first_name = os.path.basename(first.split("\t", 1)[0])  # a source key is PATH\tSIZE\tMTIME\tINODE
    named = filename if first_name == filename else f"{first_name} (one file to pip)"
    return [P.error("R003", f"{wheel}: another wheel named {named} with different content was given; kept the first")]
