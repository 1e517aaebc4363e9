"""What a run keeps under ``OUT/.state``, one run per OUT, and what a killed run left.

- :class:`RunLock`: one run at a time per OUT (the kernel drops it when the run dies).
- :func:`sweep_temp_files`: the temp files killed runs left, removed under the lock.
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
from pathlib import Path
from typing import Optional

from migrate.errors import MigrateError
from migrate.fsutil import ExclusiveLock, write_atomic

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


def read_json(path: Path) -> dict:
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

def RunLock(path: Path) -> ExclusiveLock:
    """OUT/.state/lock: one run per OUT (fsutil.ExclusiveLock explains the kind of lock)."""
    return ExclusiveLock(path, Busy(f"{Path(path).parent.parent}: another egg-migrate run is using this folder"))


# What the writers of each part of OUT name their temp files (all renamed into place when whole):
#   .NAME.XXXXXXXX.tmp      convert, manifest, report, pins, this module's state (mkstemp)
#   .NAME.tmp-PID[-TID]     fetch (eggs/: copies, fetch manifest), this module (staging, wheels/ links)
#   NAME.tmp-PID            fetch's state journal
#   .NAME.old-PID-TID       fetch, a folder egg being replaced
# mirror/.egg-migrate/ is left alone: a publish finds and clears what a killed one left there.
# ``.part`` files are not temp files: fetch resumes an HTTP download from them.
_TEMP = re.compile(r"(^\..+\.[A-Za-z0-9_]{6,}\.tmp$)|(\.tmp-\d+(-\d+)?$)|(^\..+\.old-\d+-\d+$)")


def sweep_temp_files(out: Path) -> int:
    """Remove the temp files and folders killed runs left under OUT; how many.

    Only called while holding the run lock, so no live writer owns them.
    """
    removed = 0
    own_state = os.path.join(str(out), "mirror", ".egg-migrate")  # migrate.mirror recovers its own
    for dirpath, dirnames, filenames in os.walk(out):
        if dirpath == own_state:
            dirnames[:] = []
            continue
        for name in list(dirnames):
            if _TEMP.search(name):
                path = os.path.join(dirpath, name)
                if os.path.islink(path):
                    os.unlink(path)
                else:
                    shutil.rmtree(path, ignore_errors=True)
                dirnames.remove(name)
                removed += 1
        for name in filenames:
            if _TEMP.search(name):
                try:
                    os.unlink(os.path.join(dirpath, name))
                    removed += 1
                except FileNotFoundError:
                    pass
    return removed
