"""A local egg into the egg folder: hard-linked when the file system allows, else copied; never moved.

A copy goes to a temp name beside the egg, is fsynced, hashed and checked like a
download, and only then renamed into place. A folder egg is copied as a tree
and swapped in whole; its sha256 is the digest of its files (:func:`tree_digest`).
"""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Optional

from migrate.fetch.listing import Link
from migrate.fetch.results import DOWNLOADED, SKIPPED, Progress, Result, failed
from migrate.fetch.state import State
from migrate.fetch.verify import tree_digest, zip_problem
from migrate.fsutil import file_sha256, temp_prefix


class LocalCopy:
    """Copies local :class:`Link` s into ``dest``; the caller holds the per-egg lock."""

    def __init__(self, dest: Path, state: State, max_bytes: int, progress: Progress, hardlink: bool = True):
        self.dest, self.state, self.max_bytes, self.progress, self.hardlink = dest, state, max_bytes, progress, hardlink

    def copy(self, link: Link) -> Result:
        """Bring the egg at ``link.url`` (a path) to ``dest/<filename>``, checked like a download."""
        src, final = Path(link.url), self.dest / link.filename
        if final.exists() and _same_file(src, final):
            return self._record(link, final, "already the same file as the source")
        if src.is_dir():
            return self._copy_tree(link, src, final)
        size = src.stat().st_size
        if size > self.max_bytes:
            return Result(link.filename, link.url, SKIPPED,
                          reason=f"absurd size: {size} bytes is more than the {self.max_bytes} byte limit")
        tmp = self.dest / f"{temp_prefix(link.filename)}.tmp-{os.getpid()}-{threading.get_ident()}"
        tmp.unlink(missing_ok=True)
        how = "copied"
        try:
            if self.hardlink:
                os.link(src, tmp)
                how = "hard-linked"
        except OSError:
            pass
        try:
            if how == "copied":
                shutil.copyfile(src, tmp)
                with open(tmp, "rb+") as f:
                    os.fsync(f.fileno())
            digest = file_sha256(tmp)
            problem = None
            if link.sha256 and digest != link.sha256:
                problem = f"sha256 {digest} does not match the expected {link.sha256}"
            problem = problem or zip_problem(tmp)
            if problem:
                return failed(link, problem)
            self.progress.add_bytes(size)
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        return self._record(link, final, f"{how} from {src}", digest)

    def _copy_tree(self, link: Link, src: Path, final: Path) -> Result:
        if not (src / "EGG-INFO").is_dir():
            return failed(link, "folder egg without EGG-INFO/")
        digest, size = tree_digest(src)
        tmp = self.dest / f"{temp_prefix(link.filename)}.tmp-{os.getpid()}-{threading.get_ident()}"
        old = self.dest / f"{temp_prefix(link.filename)}.old-{os.getpid()}-{threading.get_ident()}"
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            shutil.copytree(src, tmp, symlinks=True)
            if final.exists():
                os.replace(final, old)
            os.replace(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)
        self.progress.add_bytes(size)
        return self._record(link, final, f"folder egg copied from {src}", digest, size)

    def _record(self, link: Link, final: Path, note: str, digest: Optional[str] = None,
                size: Optional[int] = None) -> Result:
        if final.is_dir():
            digest, size = (digest, size) if digest else tree_digest(final)
            mtime = None
        else:
            digest = digest or file_sha256(final)
            st = final.stat()
            size, mtime = st.st_size, st.st_mtime_ns
        self.state.record(link.filename, {"url": link.url, "size": size, "sha256": digest, "etag": None,
                                          "last_modified": None, "mtime_ns": mtime})
        return Result(link.filename, link.url, DOWNLOADED, final, size, digest, note=note)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
