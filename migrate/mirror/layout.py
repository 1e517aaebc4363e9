"""The fixed shape of a mirror folder's root, and the error for one that cannot be published to.

``simple`` and ``<distro>/simple`` are symlinks into the live generation, made once; the lock
lets one publish at a time in; ``index_url`` is what pip is given. Everything that names the
mirror root's own entries (not the files it serves) is here.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from migrate.errors import MigrateError
from migrate.fsutil import ExclusiveLock
from migrate.mirror.files import point
from migrate.mirror.state import STATE_DIR


class MirrorError(MigrateError):
    """The mirror folder cannot be published to (one line, names the path)."""


def index_url(mirror_dir, distro: Optional[str] = None) -> str:
    """The ``file://`` URL of a published index, for ``pip --index-url``."""
    root = Path(os.path.abspath(mirror_dir))  # not resolve(): simple/ is a symlink
    return (root / distro / "simple" if distro else root / "simple").as_uri() + "/"


def link_indexes(mirror: Path, distros: list[str]) -> set[str]:
    """``simple`` and ``<distro>/simple`` -> the live generation (made once; they dangle until it has them).

    Returns the folders that gained a link.
    """
    want = {mirror / "simple": f"{STATE_DIR}/current/simple"}
    for d in distros:
        want[mirror / d / "simple"] = f"../{STATE_DIR}/current/{d}/simple"
    changed: set[str] = set()
    for link, target in want.items():
        link.parent.mkdir(exist_ok=True)
        if link.is_symlink() and os.readlink(link) == target:
            continue
        if os.path.lexists(link) and not link.is_symlink():
            raise MirrorError(f"{link}: a folder not made by egg-migrate publish")
        point(link, target)
        changed |= {str(link.parent), str(link.parent.parent)}
    return changed


def lock(path: Path) -> ExclusiveLock:
    """One publish at a time per mirror."""
    return ExclusiveLock(path, MirrorError(f"{Path(path).parent.parent}: another publish is running"))
