"""The candidates a resolution pinned, kept on disk: only each one's version and
display name stay in memory.

A pinned candidate carries its wheel links (file names, URLs, hashes): about a kilobyte
each, tens of megabytes for an egg cache of 16,000 projects. The straight-through
resolver needs only the pinned *version* to check later requirements, and the pins
are written out one project at a time at the end, so the candidates go to a
:class:`~migrate.disklog.DiskLog` as they are pinned and are read back one at a time.
"""
from __future__ import annotations

from typing import Iterator, Mapping, Optional

from migrate.disklog import DiskLog
from migrate.pins.provider import Candidate


class PinnedLog(Mapping[str, Candidate]):
    """identifier -> pinned candidate, in pinning order; the candidates on disk, their versions in memory."""

    def __init__(self) -> None:
        self._log: DiskLog[Candidate] = DiskLog()
        # identifier -> "where in the log\0version\0display name": one string, a third of a tuple of three
        self._at: dict[str, str] = {}

    def add(self, identifier: str, candidate: Candidate, display: str) -> None:
        self._at[identifier] = f"{len(self._log)}\0{candidate.version}\0{display}"
        self._log.append(candidate)

    def version(self, identifier: str) -> Optional[str]:
        """The pinned version, without reading the candidate back; None when not pinned."""
        found = self._at.get(identifier)
        return None if found is None else found.split("\0", 2)[1]

    def display(self, identifier: str) -> Optional[str]:
        """The pinned project's name as its metadata spells it; None when not pinned."""
        found = self._at.get(identifier)
        return None if found is None else found.split("\0", 2)[2]

    def __getitem__(self, identifier: str) -> Candidate:
        return self._log[int(self._at[identifier].split("\0", 1)[0])]

    def __contains__(self, identifier: object) -> bool:
        return identifier in self._at

    def __iter__(self) -> Iterator[str]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)
