"""A local SOURCE: eggs in a folder tree (an egg cache, a project's ``.eggs/``, a buildout
``eggs/``, a site-packages with ``.egg`` entries). Files and folders named ``*.egg``.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Iterable, Iterator, Optional

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
        self._projects: Optional[dict[str, list[Link]]] = None  # PEP 503 name -> its links, in listing order
        self._lock = threading.Lock()

    def list_all(self) -> Listing:
        """The whole tree, walked on each call: a fetch of every egg asks once, and keeping the links
        would hold them (~400 bytes an egg) to the end of the fetch."""
        return self._walk()

    def project_listing(self, key: str) -> Optional[Listing]:
        """The eggs of the project folder ``key``, or whose name says project ``key`` (PEP 503 names)."""
        with self._lock:
            if self._projects is None:  # found by name, not by a walk over every link for each project
                self._projects = _by_project(self._walk().links)
        links = self._projects.get(canonicalize_name(key))
        return Listing(tuple(links)) if links else None

    def direct_link(self, key: str, filename: str) -> Optional[Link]:
        for path in (self.root / key / filename, self.root / filename):
            if path.exists() and check_filename(filename) is None:
                return Link(str(path), filename, key)
        return None

    def walk(self, skipped: list[Skip]) -> Iterator[Link]:
        """Every egg below the root as the walk finds it (a file name seen before too); the names
        refused go to ``skipped``."""
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
                        yield Link(str(here / name), name, project)
                elif is_dir and (not name.startswith(".") or name == ".eggs") and not lower.endswith(
                        (".egg-info", ".dist-info", "__pycache__")):
                    keep.append(name)
            dirnames[:] = keep

    def _walk(self) -> Listing:
        skipped: list[Skip] = []
        links = tuple(first_per_name(self.walk(skipped)))
        return Listing(links, tuple(skipped))


def _by_project(links: Iterable[Link]) -> dict[str, list[Link]]:
    """Each link under its folder's and its file name's project (PEP 503 names), in listing order."""
    projects: dict[str, list[Link]] = {}
    for link in links:
        names = {canonicalize_name(egg_parts(link.filename).project)}
        if link.project:
            names.add(canonicalize_name(link.project))
        for name in names:
            projects.setdefault(name, []).append(link)
    return projects
