"""Placing a new wheel: under its own name in ``packages/``, or beside a file that holds that name.

A file an index may refer to is never overwritten: when another file holds a wheel's name, the
wheel goes to ``packages/<sha256[:16]>/<name>`` (and a leftover no generation refers to is
replaced). A distro build also gets its re-tagged copy in ``<distro>/packages/``.
"""
from __future__ import annotations

import hashlib
from typing import Callable, Container, Optional

from migrate.intmap import IntMap
from migrate.mirror.distro import retag
from migrate.mirror.files import Placer, sha256_or_none, stored_paths, unlink
from migrate.mirror.journal import recorded
from migrate.mirror.live import Live
from migrate.mirror.state import STATE_DIR, Row
from migrate.mirror.wheels import BadWheel, Wheel, read


class Claims:
    """The names this publish has taken in the mirror's package folders, and what it placed there."""

    def __init__(self, root: str, placer: Placer, live: Live, before_first: Callable[[], object]):
        self.root = root
        self.placer = placer
        self.live = live
        self.before_first = before_first  # called before each wheel is placed (it acts only the first time)
        self.claimed = IntMap()  # hashes of the paths placed this run (their bytes are on disk), as keys
        self.live_paths: Optional[Container[str]] = None
        self.recorded: Optional[set[str]] = None

    def store(self, wheel: str, found: Wheel) -> Row:
        """Place the wheel and its re-tagged distro copy, with their .metadata files."""
        self.before_first()
        path = self._claim("packages", found.filename, found.sha256, found.data, wheel, found)
        row = Row(found.filename, found.project, found.version, found.sha256, found.size,
                  found.requires_python, found.metadata_sha256, path)
        if found.distro is None:
            return row
        name, blob = retag(found.data if found.data is not None else read(wheel), found.filename)
        rsha = hashlib.sha256(blob).hexdigest()
        rpath = self._claim(f"{found.distro}/packages", name, rsha, blob, None, found)
        return row._replace(distro=found.distro, rfilename=name, rsha256=rsha, rsize=len(blob), rpath=rpath)

    def _claim(self, folder: str, filename: str, sha: str, data: Optional[bytes], source: Optional[str],
               found: Wheel) -> str:
        """Place a file at ``folder/filename``, or at ``folder/<sha[:16]>/filename`` when another file
        holds that name (never overwrites: an existing file is used only when its bytes are these)."""
        self.placer.dirs.add(f"{self.root}/{folder}")
        for rel in stored_paths(folder, filename, sha):
            dest = f"{self.root}/{rel}"
            if hash(rel) in self.claimed:  # placed this run (or a hash alike): never replaced
                if sha256_or_none(dest) == sha:
                    return rel
                continue
            placed = self.placer.place(dest, data, source, sha) or sha256_or_none(dest) == sha
            if not placed and rel not in self._live_paths() and rel in self._recorded():
                unlink(dest)  # a torn or stale leftover of an interrupted publish: no index uses it
                placed = self.placer.place(dest, data, source, sha)
            if placed:
                self.claimed.setdefault(hash(rel))
                self.placer.place_metadata(dest + ".metadata", found)
                return rel
        raise BadWheel(f"three other files named {filename} are in the way in {folder}/")

    def _recorded(self) -> set[str]:
        """The files an interrupted publish recorded as its own (read on the first name clash)."""
        if self.recorded is None:
            self.recorded = recorded(f"{self.root}/{STATE_DIR}")
        return self.recorded

    def _live_paths(self) -> Container[str]:
        """Stored files the live or the previous generation refers to (worked out on the first name clash)."""
        if self.live_paths is None:
            old = self.live.gen
            if not old.known and old.number:
                self.live_paths = _Everything()  # an older layout: every file may be in use
            else:
                found = set(old.state.get("released", {}).get("paths", []))
                for text in self.live.rows.values():
                    found.update(Row.parse(text).paths()[::2])
                self.live_paths = found
        return self.live_paths


class _Everything:
    def __contains__(self, item: object) -> bool:
        return True
