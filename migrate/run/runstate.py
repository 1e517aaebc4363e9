"""What a run keeps under ``OUT/.state``, one run per OUT, and what a killed run left.

- :class:`RunLock`: one run at a time per OUT (the kernel drops it when the run dies).
- :func:`run_token` and :func:`sweep_temp_files`: each run records a token its temp names carry;
  the next removes, under the lock, the temp files that carry a recorded token (each writer
  says how it names them), only in the folders the run owns.
- :func:`checkpoint`: the test hook ``EGG_MIGRATE_TEST_KILL_AFTER=<point>[:<n>]`` that
  makes the process SIGKILL itself at a named point (see :data:`KILL_POINTS`), so tests
  prove a run killed there resumes to the same bytes. It does nothing when unset.
- small JSON state files, written atomically.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

from migrate.errors import MigrateError
from migrate.fsutil import ExclusiveLock, fsync_dir, is_tagged, new_temp_tag, set_temp_tag, write_atomic

KILL_ENV = "EGG_MIGRATE_TEST_KILL_AFTER"
KILL_POINTS = (
    "fetch",      # eggs on disk, nothing converted
    "wheel",      # :n  the n-th wheel written (in its staging folder), nothing recorded (in the converting process)
    "convert",    # :n  the n-th convert record saved
    "publish",    # the mirror swapped in, its stamp not yet written
    "manifest",   # manifest.json written
    "pin",        # requirements.txt written, its stamp not yet written
    "report",     # report.txt written: the run is complete
)


class Busy(MigrateError):
    """Another run holds OUT (one line)."""


def checkpoint(point: str, n: Optional[int] = None) -> None:
    """The test hook: SIGKILL this process at ``EGG_MIGRATE_TEST_KILL_AFTER=<point>[:<n>]``."""
    wanted = os.environ.get(KILL_ENV)
    if not wanted:
        return
    name, _, count = wanted.partition(":")
    if name == point and (not count or n == int(count)):
        os.kill(os.getpid(), signal.SIGKILL)


def fingerprint(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def write_json(path: Path, data) -> None:
    write_atomic(path, json.dumps(data, indent=2) + "\n")  # key order kept: records are manifest rows


def remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


# ---------------------------------------------------------------- one run per OUT, and its leftovers

class RunLock(ExclusiveLock):
    """OUT/.state/lock: one run per OUT (fsutil.ExclusiveLock explains the kind of lock).

    Entering raises :class:`Busy` when another run holds it.
    """

    def __init__(self, path: Path):
        super().__init__(path, Busy(f"{Path(path).parent.parent}: another egg-migrate run is using this folder"))


# The folders of OUT a run writes temp files in, and whether their subfolders are the run's too.
# Everything else under OUT (a user's notes/, the mirror, which recovers its own) is not entered.
OWNED = (("", False), ("eggs", False), ("wheels", False), (".state", True))

TOKENS = "run-tokens"  # in OUT/.state: the temp tags of runs whose leftovers are not swept yet


def recorded_tokens(state: Path) -> list[str]:
    try:
        return (Path(state) / TOKENS).read_text("ascii").split()
    except (OSError, ValueError):
        return []


@contextmanager
def run_token(state: Path) -> Iterator[str]:
    """A fresh temp tag for this run, recorded durably in ``OUT/.state/run-tokens`` before the
    first temp file carries it, and the process's (and its pool workers') tag while inside.

    Why a token and not a journal of temp files (as the mirror keeps): a run makes thousands of
    temp names, in worker processes, most gone a moment later; one token per run costs one
    appended line, and the sweep one substring test per file. The order keeps it safe: the token
    is appended and fsynced before any temp name carries it, so a killed run's leftovers always
    carry a recorded token; a name that carries none is never removed (at worst a temp file made
    outside a run leaks). Tokens already swept (:func:`sweep_temp_files` runs first) are forgotten.
    """
    state, token = Path(state), new_temp_tag()
    fd = os.open(state / TOKENS, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, f"{token}\n".encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(state)
    old = set_temp_tag(token)
    try:
        write_atomic(state / TOKENS, f"{token}\n")  # the swept ones forgotten; its temp name carries the new one
        yield token
    finally:
        set_temp_tag(old)


def sweep_temp_files(out: Path, temp_names: Iterable[re.Pattern], tokens: Iterable[str],
                     leave: Iterable[Path] = ()) -> int:
    """Remove the files and folders a run that recorded one of ``tokens`` left in the folders of
    OUT the run owns (:data:`OWNED`); how many.

    A name goes only when it has the shape of a temp name some writer gives (``temp_names``:
    ``fsutil.TEMP_NAME``, ``wheelstore.TEMP_NAMES``..., all starting with a dot) and carries a
    recorded token (:func:`run_token`). A user's ``OUT/eggs/.notes.abc123.tmp`` carries none and
    stays; ``OUT/notes/`` is in no folder the run owns. Folders in ``leave`` are not entered.
    Only called while holding the run lock, so no live writer owns them.
    """
    temp_names, skip, tokens = tuple(temp_names), {str(p) for p in leave}, tuple(tokens)
    if not tokens:
        return 0

    def ours(name: str) -> bool:
        return is_tagged(name, tokens) and any(p.search(name) for p in temp_names)

    removed = 0
    for folder, deep in OWNED:
        top = os.path.join(out, folder) if folder else str(out)
        for dirpath, dirnames, filenames in os.walk(top):
            if dirpath in skip:
                dirnames[:] = []
                continue
            removed += _sweep_here(dirpath, dirnames, filenames, ours)
            if not deep:
                dirnames[:] = []
    return removed


def _sweep_here(dirpath: str, dirnames: list[str], filenames: list[str], ours: Callable[[str], bool]) -> int:
    removed = 0
    for name in list(dirnames):
        if ours(name):
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                os.unlink(path)
            else:
                shutil.rmtree(path, ignore_errors=True)
            dirnames.remove(name)
            removed += 1
    for name in filenames:
        if ours(name):
            try:
                os.unlink(os.path.join(dirpath, name))
                removed += 1
            except FileNotFoundError:
                pass
    return removed
