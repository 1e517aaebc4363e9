"""Is an egg on disk whole? A zip's central directory and CRCs, a folder egg's digest.

Checks that need no network: what a download or a copy must pass before it
is renamed into place, and what a re-run compares with the state file.
"""
from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path
from typing import Optional

from migrate.fsutil import file_sha256

CHUNK = 64 * 1024


def zip_problem(path: Path) -> Optional[str]:
    """None when ``path`` is a complete zip egg (central directory, every CRC, EGG-INFO/), else why not."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            bad = zf.testzip()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        return f"not a complete zip file ({exc})"
    except RuntimeError as exc:  # encrypted members
        return f"unreadable zip ({exc})"
    if bad is not None:
        return f"zip member {bad!r} fails its CRC check"
    if not any(n.startswith("EGG-INFO/") for n in names):
        return "a zip without EGG-INFO/: not an egg"
    return None


def tree_digest(root: Path) -> tuple[str, int]:
    """(sha256 over sorted ``path\\0sha256`` lines, total bytes) of a folder egg."""
    lines, total = [], 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                lines.append(f"{rel}\0link:{os.readlink(path)}")
                continue
            total += path.stat().st_size
            lines.append(f"{rel}\0{file_sha256(path)}")
    return hashlib.sha256("\n".join(sorted(lines)).encode("utf-8", "surrogateescape")).hexdigest(), total


def hash_into(sha, path: Path, limit: Optional[int]) -> None:
    """Feed the first ``limit`` bytes of ``path`` (all of it for None) to ``sha``."""
    remaining = limit
    with open(path, "rb") as f:
        while remaining is None or remaining > 0:
            block = f.read(CHUNK if remaining is None else min(CHUNK, remaining))
            if not block:
                break
            sha.update(block)
            if remaining is not None:
                remaining -= len(block)


def source_replaced(source: Path, copy: os.stat_result) -> bool:
    """A local source file replaced since it was copied (a hard link is its source: never stale)."""
    try:
        src = source.stat()
    except OSError:
        return False
    if (src.st_dev, src.st_ino) == (copy.st_dev, copy.st_ino):
        return False
    return src.st_size != copy.st_size or src.st_mtime_ns > copy.st_mtime_ns
