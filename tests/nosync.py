"""``os.fsync`` in the test processes: the descriptor checked as fsync would, the flush to the disk left out.

A flush only matters when the machine loses power: no test can see it (a killed process loses
nothing the kernel holds), but each costs milliseconds of waiting on the disk, and the suite's
runs make thousands (a run of the 15-egg sample ~100). The tests that prove the flushes happen,
and in which order, replace ``os.fsync`` themselves and count the calls, as before. A descriptor
fsync would refuse is refused: a closed one by ``fstat``, anything but a file or a folder by the
real fsync. ``EGG_MIGRATE_TEST_FSYNC=1`` keeps the real flush. ``python -m migrate`` subprocesses
are not changed: they flush as a user's run does.
"""
from __future__ import annotations

import os
import stat

KEEP_ENV = "EGG_MIGRATE_TEST_FSYNC"
REAL_FSYNC = os.fsync


def fsync_checked(fd) -> None:
    """What ``os.fsync(fd)`` checks of ``fd``, without the wait for the disk."""
    fd = fd if isinstance(fd, int) else fd.fileno()
    mode = os.fstat(fd).st_mode  # OSError(EBADF) for a closed descriptor, as fsync's
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        REAL_FSYNC(fd)  # a pipe or a socket: fsync's own error


def install() -> None:
    """In this process, unless ``EGG_MIGRATE_TEST_FSYNC`` asks for real flushes."""
    if not os.environ.get(KEEP_ENV):
        os.fsync = fsync_checked
