"""Reading what a publish is given: which wheels are known (not read again) and which are new.

A wheel whose source key (absolute path, size, mtime, inode) the live state has is trusted
unread; every other one is read (in a process pool when there are thousands) and handed to
``store``, which places it. The first wheel of a file name wins; a bad one is left out with a
problem that names it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, NamedTuple, Optional, Union

from migrate import problems as P
from migrate.mirror.live import Live
from migrate.mirror.pool import read_many
from migrate.mirror.state import UNSAFE, Row
from migrate.mirror.wheels import BadWheel, Wheel, inspect


@dataclass(frozen=True)
class Given:
    """The wheels given, sorted."""

    kept: list  # source keys of the known wheels
    new_rows: list  # (source key, Row) of the wheels read and placed this time
    by_name: dict  # file name -> source key of the wheel published under it
    added: list  # file names of the wheels read this time
    problems: list


class _File(NamedTuple):
    """One wheel given; ``path`` is None and ``key`` the OSError when it cannot be read."""

    wheel: str  # as given
    path: Optional[str]  # absolute
    filename: Optional[str]
    key: Union[str, OSError]  # the state's source key
    size: int


def collect(wheels: Iterable, live: Live, store: Callable[[str, Wheel], Row], jobs: int) -> Given:
    """Sort the wheels into known (state line unchanged: not read) and new (read and stored)."""
    old_rows = live.rows
    given = _stat(wheels)
    early = _read_in_pool(given, old_rows, jobs)
    upcoming = next(early, None)  # (position in given, what the pool read there)
    kept: list = []
    new_rows: list = []
    by_name: dict = {}
    added: list = []
    problems: list = []
    for n, (wheel, path, filename, key, size) in enumerate(given):
        if path is None:
            problems.append(P.error("R001", f"{wheel}: cannot read ({key.strerror or key})"))
            continue
        if key in old_rows:
            if filename in by_name:
                problems += _clash(wheel, filename, Row.parse(old_rows[key]).sha256, by_name[filename], live, new_rows)
                continue
            by_name[filename] = key
            kept.append(key)
            continue
        if UNSAFE.search(path):
            problems.append(P.error("R001", f"{wheel!r}: control character in the path; rename it"))
            continue
        found = None
        if upcoming is not None and upcoming[0] == n:
            found, upcoming = upcoming[1], next(early, None)
        try:
            if found is None:
                found = inspect(wheel, size)
            elif isinstance(found, str):
                raise BadWheel(found)
        except BadWheel as exc:
            problems.append(P.error("R002", f"{filename}: {exc}"))
            continue
        if filename in by_name:
            problems += _clash(wheel, filename, found.sha256, by_name[filename], live, new_rows)
            continue
        try:
            row = store(wheel, found)
        except BadWheel as exc:
            problems.append(P.error("R002", f"{filename}: {exc}"))
            continue
        by_name[filename] = key
        new_rows.append((key, row))
        added.append(filename)
    return Given(kept, new_rows, by_name, added, problems)


def _stat(wheels: Iterable) -> list:
    """A ``_File`` per wheel given, in order: one ``stat`` each."""
    cwd = os.getcwd()
    given = []
    for wheel in wheels:
        wheel = os.fspath(wheel)
        try:
            st = os.stat(wheel)
        except OSError as exc:
            given.append(_File(wheel, None, None, exc, 0))
            continue
        path = wheel if wheel[:1] == os.sep else os.path.join(cwd, wheel)  # isabs(), without the call
        key = f"{path}\t{st.st_size}\t{st.st_mtime_ns}\t{st.st_ino}"
        given.append(_File(wheel, path, path.rpartition(os.sep)[2], key, st.st_size))
    return given


def _read_in_pool(given: list, old_rows: dict, jobs: int) -> Iterator:
    """Many new wheels: read and hash them in a process pool while this process places the ones
    read (one process creating files: several would spin on the folder's lock in the kernel).
    Yields (position in ``given``, the wheel read or why it is bad), in order.

    Only the first wheel of each file name goes to the pool, so which one wins a name clash is
    decided in order, as without the pool."""
    if jobs < 2:
        return
    seen, todo = set(), []
    for n, (wheel, path, filename, key, size) in enumerate(given):
        if path is None:
            continue
        if filename not in seen and key not in old_rows and not UNSAFE.search(path):
            todo.append((n, wheel, size))
        seen.add(filename)
    yield from read_many(todo, jobs)


def _clash(wheel: str, filename: str, sha: str, first: str, live: Live, new_rows: list) -> list:
    """A problem when a second wheel named ``filename`` differs from the first one given (kept)."""
    first_sha = (live.rows[first] if first in live.rows else
                 next(r.text() for k, r in new_rows if k == first)).split("\t")[3]
    if first_sha == sha:
        return []
    return [P.error("R003", f"{wheel}: another wheel named {filename} with different content was given; kept the first")]
