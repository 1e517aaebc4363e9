"""Files that are never seen half-written, and their hashes.

Every output of egg-migrate (wheels, manifests, pins, state files) goes
through :func:`atomic_writer`: a temp file beside the target, fsync, rename.
A crash leaves either the old file or the new one, never a mix, and the temp
name starts with a dot and ends with ``.tmp`` so leftovers are easy to sweep.
"""
from __future__ import annotations

import errno
import hashlib
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator, Optional, Sequence, Union

from migrate.errors import MigrateError

# The temp names atomic_writer gives (``.NAME.XXXXXXXX.tmp``, made by mkstemp).
TEMP_NAME = re.compile(r"^\..+\.[A-Za-z0-9_]{6,}\.tmp$")


@contextmanager
def atomic_writer(path: Union[str, Path], mode: int = 0o644, sync: bool = True) -> Iterator[BinaryIO]:
    """Yield a binary file; on a clean exit it is fsynced and renamed to ``path``.

    An ``OSError`` of the file system (a full disk, a read-only folder) names ``path``.
    ``sync=False`` leaves the fsync to the caller, who writes many files into a temp folder
    and makes them durable in one pass (:func:`sync_files`) before renaming them into place."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _naming(exc, path) from None
    try:
        with os.fdopen(fd, "wb") as fp:
            yield fp
            fp.flush()
            if sync:
                os.fsync(fp.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError) and exc.filename in (None, tmp):
            raise OSError(exc.errno, exc.strerror, str(path)) from None  # the file asked for, not the temp
        raise


@contextmanager
def fresh_writer(path: Union[str, Path], mode: int = 0o644) -> Iterator[Optional[BinaryIO]]:
    """Yield a binary file made under ``path`` itself, or None when that name is taken or its
    folder is missing (then use :func:`atomic_writer`).

    For a private temp folder whose files are made durable and renamed into place together
    (``convert``'s staging folder): a temp name and a rename per file would only add work.
    The file is removed if the writing fails; errors name ``path`` as atomic_writer's do."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    except (FileExistsError, FileNotFoundError):
        yield None
        return
    except OSError as exc:
        raise _naming(exc, path) from None
    try:
        os.fchmod(fd, mode)  # whatever the umask, as atomic_writer's chmod
        with os.fdopen(fd, "wb", buffering=1 << 20) as fp:  # a wheel's many small members, few writes
            yield fp
    except BaseException as exc:
        os.unlink(path)
        if isinstance(exc, OSError) and exc.filename is None:
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise


def _naming(exc: OSError, path: Path) -> OSError:
    """``exc`` with ``path`` as its file name when it has none (same errno, same subclass)."""
    return exc if exc.filename else OSError(exc.errno, exc.strerror, str(path))


# What the outside world does to an output path, in words: the errors a command reports in one line.
_REASONS = {
    errno.ENOSPC: "no space left on the device", errno.EDQUOT: "disk quota exceeded",
    errno.ENAMETOOLONG: "file name too long", errno.EACCES: "permission denied", errno.EPERM: "not permitted",
    errno.EROFS: "read-only file system", errno.ENOTDIR: "not a folder (a file is in the way)",
    errno.EEXIST: "a file is in the way", errno.EISDIR: "is a folder, not a file",
}


class OutputError(MigrateError):
    """A path could not be written for a reason of the file system's (one line: the path and why)."""


def output_error(exc: OSError) -> Optional[OutputError]:
    """The one-line error for an ``OSError`` the file system causes (full, read-only, a file where a
    folder must go, a name too long); None for any other (a bug: it keeps its traceback)."""
    reason = _REASONS.get(exc.errno or 0)
    if reason is None:
        return None
    where = exc.filename if exc.filename is not None else "?"
    return OutputError(f"{os.fsdecode(where)}: cannot write ({reason})")


def utf8(text: str) -> bytes:
    """Text as UTF-8; a file name's undecodable byte (a lone surrogate) as the escape ``\\udce9``,
    which inside a JSON string reads back as the same name."""
    return text.encode("utf-8", "backslashreplace")


def write_atomic(path: Union[str, Path], data: Union[bytes, str]) -> None:
    with atomic_writer(path) as fp:
        fp.write(utf8(data) if isinstance(data, str) else data)


def write_if_changed(path: Union[str, Path], data: Union[bytes, str]) -> bool:
    """Write atomically unless the file already holds exactly ``data`` (keeps its mtime)."""
    raw = utf8(data) if isinstance(data, str) else data
    try:
        if Path(path).read_bytes() == raw:
            return False
    except OSError:
        pass
    write_atomic(path, raw)
    return True


def file_sha256(path: Union[str, Path]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fp:
        for chunk in iter(lambda: fp.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fsync_dir(path: Union[str, Path]) -> None:
    """Make renames inside ``path`` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


FEW_FILES = 64  # up to this many files are fsynced one by one; more with one syncfs of their file system


def sync_files(files: Sequence[Union[str, Path]], root: Union[str, Path], few: int = FEW_FILES) -> None:
    """Make ``files`` (all on the file system of ``root``) durable in one pass.

    A few: fsync each. Many: one ``syncfs`` (one journal commit instead of one per file; it
    also flushes other programs' writes), or ``sync`` where ``syncfs`` is missing."""
    if len(files) <= few:
        for path in files:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(root, os.O_RDONLY)
        try:
            if libc.syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    except (OSError, AttributeError):
        pass
    os.sync()


class ExclusiveLock:
    """A lock file held for one process's work; the kernel releases it when the process dies.

    A POSIX record lock (``lockf``), not ``flock``: forked pool workers inherit an
    flock, so workers orphaned by a ``kill -9`` would keep it held; record locks
    belong to the process alone. ``busy`` is raised when another process holds it.
    """

    def __init__(self, path: Union[str, Path], busy: Exception):
        self.path = Path(path)
        self.busy = busy

    def __enter__(self):
        import errno
        import fcntl

        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(self.fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise self.busy from None
            raise
        return self

    def __exit__(self, *exc):
        os.close(self.fd)
