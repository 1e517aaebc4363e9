"""Which operating system an ELF file is for: ``e_ident[EI_OSABI]``, the ABI note, Solaris' marks.

ELF is loaded by Linux, the BSDs, Solaris and the Hurd alike, so the format
alone does not name the OS. In order: a specific ``EI_OSABI`` (FreeBSD sets
it; ``SYSV`` and the ARM values say nothing), the ABI note the C runtime
leaves (``.note.ABI-tag`` "GNU" with its OS word, ``.note.tag`` "FreeBSD",
``.note.netbsd.ident`` "NetBSD", ``.note.openbsd.ident`` "OpenBSD"), then
what only Solaris' link editor writes (``.SUNW_*`` sections, ``SUNW_*``
symbol versions). None when nothing says: most Linux extension modules
carry no note, so the caller treats an unmarked ELF as the egg name says.
Read from :class:`ElfTables` (the note sections' bytes are walked here with
``struct``), so the fast reader and pyelftools give the same answer.
"""
from __future__ import annotations

import struct
from typing import Iterator, Optional

from migrate.binaries.elftables import ElfTables

# EI_OSABI value -> (OS, pyelftools' name without ELFOSABI_); absent: the value names no OS (SYSV, ARM, STANDALONE...)
_OSABI = {
    3: ("linux", "LINUX"), 9: ("freebsd", "FREEBSD"), 2: ("netbsd", "NETBSD"), 12: ("openbsd", "OPENBSD"),
    6: ("solaris", "SOLARIS"), 4: ("hurd", "HURD"), 1: ("hpux", "HPUX"), 7: ("aix", "AIX"), 8: ("irix", "IRIX"),
    10: ("tru64", "TRU64"),
}
_NOTE_OWNERS = {"FreeBSD": "freebsd", "NetBSD": "netbsd", "OpenBSD": "openbsd"}
# the OS word of a GNU ABI note (glibc's abi-note.S: ELF_NOTE_OS_*)
_GNU_NOTE_OS = {0: "linux", 1: "hurd", 2: "solaris", 3: "freebsd", 4: "netbsd"}
_NT_ABI_TAG = 1


def elf_os(tables: ElfTables, versioned: list[tuple[str, str]]) -> tuple[Optional[str], str]:
    """(operating system, how it is known) of one ELF file; (None, "") when nothing says."""
    if tables.osabi in _OSABI:
        name, spelled = _OSABI[tables.osabi]
        return name, f"ELF OS/ABI {spelled}"
    noted = _abi_note(tables.notes, "<" if tables.little_endian else ">")
    if noted:
        return noted
    if any(n.startswith(".SUNW_") for n in tables.section_names) or any(v.startswith("SUNW") for _lib, v in versioned):
        return "solaris", "Solaris link-editor marks (.SUNW_* sections or SUNW_* versions)"
    return None, ""


def _abi_note(notes: tuple[tuple[str, bytes], ...], end: str) -> Optional[tuple[str, str]]:
    """The OS an ABI-tag note names, with the note's section."""
    for section, data in notes:
        for kind, owner, desc in _notes(data, end):
            if kind != _NT_ABI_TAG:
                continue
            if owner in _NOTE_OWNERS:
                return _NOTE_OWNERS[owner], f"{owner} ABI note ({section})"
            if owner == "GNU" and len(desc) >= 4:
                (word,) = struct.unpack(end + "I", desc[:4])
                if word in _GNU_NOTE_OS:
                    return _GNU_NOTE_OS[word], f"GNU ABI note ({section}) for {_GNU_NOTE_OS[word]}"
    return None


def _notes(data: bytes, end: str) -> Iterator[tuple[int, str, bytes]]:
    """(n_type, owner, descriptor) of each note in a note section's bytes; stops at one that does not fit."""
    at = 0
    while at + 12 <= len(data):
        namesz, descsz, kind = struct.unpack_from(end + "III", data, at)
        at += 12
        name_end = at + namesz
        desc_at = at + _round4(namesz)
        if desc_at + descsz > len(data):
            return
        owner = data[at:name_end].split(b"\0", 1)[0].decode("utf-8", "replace")
        yield kind, owner, data[desc_at:desc_at + descsz]
        at = desc_at + _round4(descsz)


def _round4(size: int) -> int:
    return (size + 3) // 4 * 4
