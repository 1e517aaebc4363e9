"""A local SOURCE: eggs in a folder tree (an egg cache, a project's ``.eggs/``, a buildout
``eggs/``, a site-packages with ``.egg`` entries). Files and folders named ``*.egg``.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Optional

from packaging.utils import canonicalize_name

from migrate.eggs import egg_parts
from migrate.fetch.listing import Link, Listing, Skip, SourceError, check_filename, first_per_name


class LocalSource:
    """Eggs in a folder tree: files and folders named ``*.egg`` (copied, never moved)."""

    kind = "local"

    def __init__(self, root: Path):
        self.root = Path(root).absolute()
        if not self.root.is_dir():
            raise SourceError(f"{root}: no such folder" if not self.root.exists() else f"{root}: not a folder")
        self.url = str(self.root)
        self._all: Optional[Listing] = None
        self._lock = threading.Lock()

    def list_all(self) -> Listing:
        with self._lock:
            if self._all is None:
                self._all = self._walk()
            return self._all

    def project_listing(self, key: str) -> Optional[Listing]:
        want = canonicalize_name(key)
        links = tuple(link for link in self.list_all().links
                      if (link.project and canonicalize_name(link.project) == want)
                      or canonicalize_name(egg_parts(link.filename).project) == want)
        return Listing(links) if links else None

    def direct_link(self, key: str, filename: str) -> Optional[Link]:
        for path in (self.root / key / filename, self.root / filename):
            if path.exists() and check_filename(filename) is None:
                return Link(str(path), filename, key)
        return None

    def _walk(self) -> Listing:
        links, skipped = [], []
        for dirpath, dirnames, filenames in os.walk(self.root):
            here = Path(dirpath)
            rel = here.relative_to(self.root).parts
            project = rel[0] if rel else None
            entries = [(n, False) for n in filenames] + [(n, True) for n in dirnames]
            keep = []
            for name, is_dir in sorted(entries):
                lower = name.lower()
                if lower.endswith(".egg"):
                    reason = check_filename(name)
                    if reason:
                        skipped.append(Skip(str(here / name), reason))
                    else:
                        links.append(Link(str(here / name), name, project))
                elif is_dir and (not name.startswith(".") or name == ".eggs") and not lower.endswith(
                        (".egg-info", ".dist-info", "__pycache__")):
                    keep.append(name)
            dirnames[:] = keep
        return Listing(tuple(first_per_name(links)), tuple(skipped))
