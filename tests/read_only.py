"""A folder the kernel itself refuses to write into, for the tests of read-only outputs.

Three ways, each a real refusal by the kernel (nothing of egg-migrate is patched):

- ``mode``: ``chmod 555``, refused with EACCES; root writes through mode bits
  (CAP_DAC_OVERRIDE), so this way is skipped as root;
- ``immutable``: ``chattr +i``, refused with EPERM even for root; it needs
  CAP_LINUX_IMMUTABLE and a file system with the attribute (ext4, xfs, btrfs, tmpfs);
- ``mount``: a read-only bind mount of the folder, refused with EROFS. It is made in a
  private mount namespace (``unshare --mount``, plus ``--map-root-user`` when not root)
  that only the command under test lives in, so nothing outside the test sees it.

The command runs in a subprocess (:func:`cli_in`), as a user would run it. A way the
system lacks is skipped with the reason, never faked.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

# Each way, and the reason in words egg-migrate must give (fsutil's one line).
WAYS = {"mode": "permission denied", "immutable": "not permitted", "mount": "read-only file system"}

_NO_MOUNT = 77  # the exit status of the mount prelude when the namespace or the mount is refused

# Run inside the new mount namespace: bind the folder over itself read-only, then the CLI.
_MOUNT_PRELUDE = """\
import subprocess, sys
ro = sys.argv[1]
for cmd in (["mount", "--bind", ro, ro], ["mount", "-o", "remount,bind,ro", ro]):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        sys.stdout.write(" ".join(cmd) + ": " + done.stderr.strip())
        sys.exit(%d)
from migrate.cli import main
sys.exit(main(sys.argv[2:]))
""" % _NO_MOUNT


@contextmanager
def folder(path: Path, way: str) -> Iterator[str]:
    """Make ``path`` read-only ``way`` while inside; yields the reason the tool must give."""
    if way == "mode":
        if os.geteuid() == 0:
            pytest.skip("root writes through mode bits (CAP_DAC_OVERRIDE); the immutable and mount ways run")
        path.chmod(0o555)
        try:
            yield WAYS[way]
        finally:
            path.chmod(0o755)
    elif way == "immutable":
        chattr = shutil.which("chattr")
        if chattr is None:
            pytest.skip("no chattr on this system")
        done = subprocess.run([chattr, "+i", str(path)], capture_output=True, text=True)
        if done.returncode:
            pytest.skip(f"chattr +i refused here: {done.stderr.strip()}")
        try:
            yield WAYS[way]
        finally:
            subprocess.run([chattr, "-i", str(path)], check=True)
    else:
        if shutil.which("unshare") is None or shutil.which("mount") is None:
            pytest.skip("no unshare or mount on this system")
        yield WAYS[way]  # the mount is made in the command's own namespace (cli_in)


def cli_in(path: Path, way: str, argv: list) -> subprocess.CompletedProcess:
    """``egg-migrate ARGV`` in a subprocess that sees ``path`` read-only ``way``."""
    if way != "mount":
        cmd = [sys.executable, "-m", "migrate", *argv]
    else:
        user = [] if os.geteuid() == 0 else ["--map-root-user"]
        cmd = ["unshare", "--mount", "--propagation", "private", *user,
               sys.executable, "-c", _MOUNT_PRELUDE, str(path), *argv]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if way == "mount" and done.returncode == _NO_MOUNT:
        pytest.skip(f"a read-only bind mount is refused here: {done.stdout.strip()}")
    if way == "mount" and done.returncode and "unshare:" in done.stderr:
        pytest.skip(f"no private mount namespace here: {done.stderr.strip()}")
    return done
