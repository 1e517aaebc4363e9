"""Which reader a binary needs, by its magic bytes: the one entry, :func:`analyse`.

Kept apart from :mod:`facts` so that the readers (:mod:`elf`, :mod:`machpe`)
depend on the facts and this module on the readers, without a cycle.
"""
from __future__ import annotations

from typing import IO

from migrate.binaries import elf, machpe
from migrate.binaries.facts import BinaryFacts, sniff_format


def analyse(stream: IO[bytes], path: str) -> BinaryFacts:
    """Read a binary from a seekable stream; never raises for bad content."""
    head = stream.read(8)
    stream.seek(0)
    kind = sniff_format(head)
    if kind == "elf":
        return elf.read_elf(stream, path)
    if kind in ("macho", "pe"):
        return machpe.read_macho_or_pe(stream, path, kind)
    if not head:
        return BinaryFacts(path=path, format="unknown", problem="empty file, not a binary")
    if _looks_like_text(stream):
        return BinaryFacts(path=path, format="unknown", problem="a text file, not an ELF, Mach-O or PE binary")
    return BinaryFacts(path=path, format="unknown", problem="not an ELF, Mach-O or PE binary")


def _looks_like_text(stream: IO[bytes]) -> bool:
    sample = stream.read(512)
    stream.seek(0)
    return b"\0" not in sample and all(b >= 0x20 or b in b"\t\r\n\f" for b in sample)
