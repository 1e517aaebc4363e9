"""Creating and removing the mirror's files, never overwriting one an index may refer to.

``Placer`` creates the new files of a publish (wheels copied or linked, their ``.metadata``
files, pages) with exclusive creates, in the publishing process only (``pool`` says why). The
small file-system steps of a publish (links, unlinks, the durability flush) follow.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Iterable, Optional, Union

from migrate.fsutil import atomic_writer, file_sha256, fsync_dir, sync_files
from migrate.mirror.journal import Journal
from migrate.mirror.wheels import BadWheel, Wheel, read
from migrate.recent import Recent

_FEW_FILES = 512  # up to this many new files are fsynced one by one, more with one syncfs
_META_KEPT = 256  # METADATA hashes remembered for hard-linking equal .metadata files


# ---------------------------------------------------------------- placing new files

class Created:
    """The files a publish created, flushed before the swap: their paths while they are few (each is
    fsynced), only their number past that (one ``syncfs`` flushes them all), so a publish of 16,000
    wheels does not hold 64,000 paths to the end."""

    def __init__(self) -> None:
        self.paths: list[str] = []  # every one while there are at most _FEW_FILES
        self.count = 0

    def append(self, path: str) -> None:
        self.count += 1
        if self.count <= _FEW_FILES:
            self.paths.append(path)
        elif self.paths:
            self.paths = []  # many: syncfs

    def __iadd__(self, paths: Iterable[str]) -> Created:
        for path in paths:
            self.append(path)
        return self

    def __len__(self) -> int:
        return self.count

    def many(self, more: int = 0) -> bool:
        """More than a few, with ``more`` still to come: folders need no fsync of their own then."""
        return self.count + more > _FEW_FILES


class Placer:
    """Creates the mirror's new files (wheels copied or linked, their ``.metadata`` files, pages);
    never overwrites one an index may refer to. Only the main process creates files: processes
    creating files in one folder at once spin on its lock in the kernel (seen with ``perf``)."""

    def __init__(self, link: bool, journal: Optional[Journal] = None):
        self.link = link
        self.journal = journal  # every file is recorded there before it is created: publish deletes only those
        self.files = Created()  # flushed before the swap
        self.dirs: set[str] = set()
        # metadata sha256 -> the first .metadata file placed with those bytes, for the last _META_KEPT
        # METADATA seen (a release's wheels come together; one entry per wheel would not be flat)
        self.meta_first: Recent[str, str] = Recent(_META_KEPT)

    def place_metadata(self, dest: str, found: Wheel) -> None:
        """``<wheel>.metadata``: a hard link of an equal one placed this run (a release's wheels usually
        share METADATA, and a link costs a fifth of a new file), else a new file."""
        first = self.meta_first.get(found.metadata_sha256)
        if first is not None:
            try:
                self._record(dest)
                os.link(first, dest)
                return
            except OSError:  # the name is taken, or too many links: as below
                pass
        try:
            self.new_file(dest, found.metadata)
        except FileExistsError:
            try:
                same = read(dest) == found.metadata
            except OSError:
                same = False
            if not same:  # a torn leftover of an interrupted run: the wheel beside it is ours
                with atomic_writer(dest) as fp:
                    fp.write(found.metadata)
        if first is None:
            self.meta_first.put(found.metadata_sha256, dest)

    def place(self, dest: str, data: Optional[bytes], source: Optional[str], sha: str) -> bool:
        """Create ``dest`` (a hard link with --link, else a copy); False when that name is taken."""
        try:
            return self._try_place(dest, data, source, sha)
        except FileNotFoundError:
            folder = os.path.dirname(dest)
            os.makedirs(folder, exist_ok=True)
            self.dirs.update((folder, os.path.dirname(folder)))
        try:
            return self._try_place(dest, data, source, sha)
        except FileNotFoundError:
            raise BadWheel("cannot read (it vanished while being published)") from None

    def _try_place(self, dest: str, data: Optional[bytes], source: Optional[str], sha: str) -> bool:
        try:
            if self.link and source is not None:
                try:
                    self._record(dest)
                    os.link(source, dest)
                    return True
                except FileExistsError:
                    raise
                except FileNotFoundError:
                    if data is None or not os.path.isdir(os.path.dirname(dest)):
                        raise
                    # the source is gone but its bytes are here: copy them
                except OSError:
                    pass  # another file system, no permission, too many links: copy
            if data is None:
                assert source is not None, "a wheel not held in memory is copied from its file"
                self._copy(source, dest, sha)
            else:
                self.new_file(dest, data)
            return True
        except FileExistsError:
            return False

    def _copy(self, source: str, dest: str, sha: str) -> None:
        """Copy a wheel too large for memory, checking that the bytes are the ones hashed."""
        def chunks():
            h = hashlib.sha256()
            with open(source, "rb") as src:
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    h.update(chunk)
                    yield chunk
            if h.hexdigest() != sha:
                raise BadWheel("changed while being published; publish again")

        self.write_new(dest, chunks())

    def new_file(self, dest: str, data: bytes) -> None:
        """Create a file that no index refers to yet; FileExistsError when the name is taken."""
        self.write_new(dest, (data,))

    def _record(self, dest: str) -> None:
        """Journal ``dest`` before creating it; FileExistsError (nothing journaled) when the name is taken."""
        if self.journal is not None:
            if os.path.lexists(dest):
                raise FileExistsError(dest)
            self.journal.record((dest,))

    def write_new(self, dest: str, chunks: Iterable[bytes]) -> None:
        """Write ``chunks`` to a file that must not exist yet; on any failure it is removed."""
        self._record(dest)
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        try:
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view):]
        except BaseException:
            os.close(fd)
            os.unlink(dest)
            raise
        os.close(fd)
        self.files.append(dest)


# ---------------------------------------------------------------- file-system helpers

def sha256_or_none(path: str) -> Optional[str]:
    try:
        return file_sha256(path)
    except OSError:
        return None


def point(link: Path, dest: str) -> None:
    """Atomically make ``link`` a symlink to ``dest`` (rename over the old one)."""
    tmp = link.with_name(f".{link.name}.tmp-{os.getpid()}")
    unlink(tmp)
    os.symlink(dest, tmp)
    os.replace(tmp, link)


def delete_wheel(root: str, path: str) -> None:
    """A stored wheel and its .metadata; an emptied ``<sha256[:16]>/`` folder too."""
    unlink(f"{root}/{path}")
    unlink(f"{root}/{path}.metadata")
    if path.count("/") > (1 if path.startswith("packages/") else 2):
        try:
            os.rmdir(f"{root}/{path.rsplit('/', 1)[0]}")
        except OSError:
            pass


def unlink(path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def remove(path) -> None:
    """A file, a symlink or a whole folder; nothing when missing."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        unlink(path)


def overwrite(path: str, data: Union[bytes, Iterable[bytes]]) -> None:
    """Write ``data`` (bytes, or its pieces) to ``path``. Only for files inside the generation being
    made: no reader can see them yet."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        for piece in (data,) if isinstance(data, bytes) else data:
            view = memoryview(piece)
            while view:
                view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def replace_symlink(path: str, dest: str) -> None:
    try:
        os.symlink(dest, path)
    except FileExistsError:
        remove(path)
        os.symlink(dest, path)


def ensure_symlink(path: str, dest: str) -> None:
    try:
        if os.readlink(path) == dest:
            return
    except OSError:
        pass
    remove(path)
    os.symlink(dest, path)


def sync(root: Path, files: Created, dirs: Iterable[str] = ()) -> None:
    """Make everything this publish wrote durable before the swap.

    A few new files: fsync each, then the folders that gained entries. Many: one syncfs of the
    file system (cheaper than thousands of fsync calls; it also flushes other programs' writes).
    """
    if files.many():
        sync_files(files.paths, root, few=-1)  # -1: never "a few", so syncfs
        return
    sync_files(files.paths, root, few=_FEW_FILES)
    for folder in sorted(dirs):
        fsync_dir(folder)


def stored_paths(folder: str, filename: str, sha256: str) -> tuple[str, str, str]:
    """Where a publish may have stored ``filename`` under ``folder`` (paths relative to the mirror), in
    the order it tries them: its own name, else ``<sha256[:16]>/`` or ``<sha256>/`` when another file
    with other bytes held the name (files an index refers to are never overwritten)."""
    return (f"{folder}/{filename}", f"{folder}/{sha256[:16]}/{filename}", f"{folder}/{sha256}/{filename}")
