"""Files that are never seen half-written, and their hashes.

Every output of egg-migrate (wheels, manifests, pins, state files) goes
through :func:`atomic_writer`: a temp file beside the target, fsync, rename.
A crash leaves either the old file or the new one, never a mix, and the temp
name starts with a dot, carries the process's temp tag (:func:`temp_prefix`) and ends
with ``.tmp``, so a run sweeps its own leftovers and nothing else.
"""
from __future__ import annotations

import errno
import hashlib
import itertools
import json
import os
import re
import secrets
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator, Optional, Sequence, Union

from migrate.errors import MigrateError

# The temp names atomic_writer gives (``.NAME.TAG.XXXXXXXX.tmp``, made by mkstemp).
TEMP_NAME = re.compile(r"^\..+\.[A-Za-z0-9_]{6,}\.tmp$")

# The tag every temp name this process makes carries (:func:`temp_prefix`): random per process,
# set by a run to the token it recorded in its state before its first temp file, so its sweep can
# tell its own leftovers from a user's file of the same shape. Forked pool workers inherit it;
# ``parallel`` hands it to workers started any other way.
_TEMP_TAG = [secrets.token_hex(6)]


def new_temp_tag() -> str:
    """48 random bits: a user's file name carries one by accident about never."""
    return secrets.token_hex(6)


def temp_tag() -> str:
    return _TEMP_TAG[0]


def set_temp_tag(tag: str) -> str:
    """Make ``tag`` the one this process's temp names carry; returns the one it replaces."""
    old, _TEMP_TAG[0] = _TEMP_TAG[0], tag
    return old


def temp_prefix(name: str) -> str:
    """``.NAME.TAG``: how every temp name for ``name`` begins (writers add their own ending)."""
    return f".{name}.{_TEMP_TAG[0]}"


def is_tagged(name: str, tags: Sequence[str]) -> bool:
    """Whether a temp ``name`` carries one of ``tags`` (one substring test per tag: nearly free)."""
    return any(f".{tag}." in name for tag in tags)


@contextmanager
def atomic_writer(path: Union[str, Path], mode: int = 0o644, sync: bool = True) -> Iterator[BinaryIO]:
    """Yield a binary file; on a clean exit it is fsynced and renamed to ``path``.

    An ``OSError`` of the file system (a full disk, a read-only folder) names ``path``.
    ``sync=False`` leaves the fsync to the caller, who writes many files into a temp folder
    and makes them durable in one pass (:func:`sync_files`) before renaming them into place."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _naming(exc, path) from None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{temp_prefix(path.name)}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:  # the file asked for, not the temp name it never got
        raise OSError(exc.errno, exc.strerror, str(path)) from None
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


def _naming(exc: OSError, path: Union[str, Path]) -> OSError:
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


_END = object()


def json_chunks(obj: dict[str, Any], key: str, items: Iterable[Any], ensure_ascii: bool = True) -> Iterator[str]:
    """The text of ``json.dumps({**obj, key: list(items)}, indent=2) + "\\n"`` in pieces, one item
    each: a list of thousands of records is never held, as objects or as text."""
    items = iter(items)
    item = next(items, _END)
    mark = f"\x00items-{id(items)}\x00"
    text = json.dumps({**obj, key: [mark] if item is not _END else []}, indent=2, ensure_ascii=ensure_ascii)
    quoted = json.dumps(mark)  # escaped the same way whatever ensure_ascii says: it is ASCII and controls
    if item is _END or text.count(quoted) != 1:  # no items (or, absurdly, the mark among the values)
        yield (text if item is _END else json.dumps({**obj, key: [item, *items]}, indent=2,
                                                    ensure_ascii=ensure_ascii)) + "\n"
        return
    at = text.index(quoted)
    start = text.rindex("\n", 0, at) + 1
    pad = text[start:at]
    yield text[:start]
    sep = ""
    while item is not _END:
        yield sep + pad + json.dumps(item, indent=2, ensure_ascii=ensure_ascii).replace("\n", "\n" + pad)
        sep = ",\n"
        item = next(items, _END)
    yield text[at + len(quoted):] + "\n"


def write_chunks(path: Union[str, Path], chunks: Iterable[Union[bytes, str]]) -> None:
    """:func:`write_atomic` for output made in pieces: none is held after it is written."""
    with atomic_writer(path) as fp:
        for chunk in chunks:
            fp.write(utf8(chunk) if isinstance(chunk, str) else chunk)


def write_chunks_if_changed(path: Union[str, Path], chunks: Iterable[Union[bytes, str]]) -> bool:
    """:func:`write_if_changed` for output made in pieces (a run's manifest is tens of MB): each
    piece is compared with the old file as it comes, so none is held after it, and nothing is
    written while they agree. At the first difference the agreeing part is copied from the old
    file into a temp file and the rest follows."""
    raws = (utf8(chunk) if isinstance(chunk, str) else chunk for chunk in chunks)
    try:
        old: Optional[BinaryIO] = open(path, "rb")
    except OSError:
        old = None
    if old is None:
        _write_pieces(path, None, 0, raws)
        return True
    with old:
        agreed = 0
        for raw in raws:
            if old.read(len(raw)) != raw:
                _write_pieces(path, old, agreed, itertools.chain((raw,), raws))
                return True
            agreed += len(raw)
        if not old.read(1):
            return False
        _write_pieces(path, old, agreed, iter(()))
        return True


def _write_pieces(path: Union[str, Path], old: Optional[BinaryIO], agreed: int, rest: Iterator[bytes]) -> None:
    """Write the first ``agreed`` bytes of ``old``, then ``rest``, atomically to ``path``."""
    with atomic_writer(path) as fp:
        if old is not None:
            old.seek(0)
            while agreed:
                block = old.read(min(agreed, 1 << 20))
                if not block:
                    break
                fp.write(block)
                agreed -= len(block)
        for raw in rest:
            fp.write(raw)


def file_sha256(path: Union[str, Path]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fp:
        for chunk in iter(lambda: fp.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def linked_copy(source: Union[str, Path], dest: Union[str, Path]) -> None:
    """A copy of the folder ``source`` at ``dest`` whose files are hard links to the source's (copies
    where the file system refuses a link): a venv of 1,600 files in a seventh of the CPU of copying
    them. Only for trees whose files are replaced, never written into, as pip and Python's bytecode
    cache do: a write into a linked file would show in both."""
    shutil.copytree(source, dest, symlinks=True, copy_function=link_or_copy)


def link_or_copy(source: Union[str, Path], dest: Union[str, Path]) -> None:
    """``dest`` a hard link to ``source``, or a copy where the file system refuses one."""
    try:
        os.link(source, dest)
    except OSError:  # another file system, or one without hard links
        shutil.copy2(source, dest)


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
    belong to the process alone. ``busy`` is raised when another process holds it, or,
    with ``busy=None``, the lock is waited for.
    """

    def __init__(self, path: Union[str, Path], busy: Optional[Exception]):
        self.path = Path(path)
        self.busy = busy

    def __enter__(self):
        import errno
        import fcntl

        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.lockf(self.fd, fcntl.LOCK_EX if self.busy is None else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(self.fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES) and self.busy is not None:
                raise self.busy from None
            raise
        return self

    def __exit__(self, *exc):
        os.close(self.fd)
