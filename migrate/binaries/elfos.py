"""Which operating system an ELF file is for: ``e_ident[EI_OSABI]``, the ABI note, Solaris' marks.

ELF is loaded by Linux, the BSDs, Solaris and the Hurd alike, so the format
alone does not name the OS. In order: a specific ``EI_OSABI`` (FreeBSD sets
it; ``SYSV`` and the ARM values say nothing), the ABI note the C runtime
leaves (``.note.ABI-tag`` "GNU" with its OS word, ``.note.tag`` "FreeBSD",
``.note.netbsd.ident`` "NetBSD", ``.note.openbsd.ident`` "OpenBSD"), then
what only Solaris' link editor writes (``.SUNW_*`` sections, ``SUNW_*``
symbol versions). None when nothing says: most Linux extension modules
carry no note, so the caller treats an unmarked ELF as the egg name says.
"""
from __future__ import annotations

import struct
from typing import Any, Optional

from elftools.elf.elffile import ELFFile

# EI_OSABI value (pyelftools' name) -> OS; absent: the value names no OS (SYSV, ARM, ARM_AEABI, STANDALONE)
_OSABI = {
    "ELFOSABI_LINUX": "linux", "ELFOSABI_FREEBSD": "freebsd", "ELFOSABI_NETBSD": "netbsd",
    "ELFOSABI_OPENBSD": "openbsd", "ELFOSABI_SOLARIS": "solaris", "ELFOSABI_HURD": "hurd",
    "ELFOSABI_HPUX": "hpux", "ELFOSABI_AIX": "aix", "ELFOSABI_IRIX": "irix", "ELFOSABI_TRU64": "tru64",
}
_NOTE_OWNERS = {"FreeBSD": "freebsd", "NetBSD": "netbsd", "OpenBSD": "openbsd"}
# the OS word of a GNU ABI note (glibc's abi-note.S: ELF_NOTE_OS_*)
_GNU_NOTE_OS = {0: "linux", 1: "hurd", 2: "solaris", 3: "freebsd", 4: "netbsd"}
_NT_ABI_TAG = 1


def elf_os(elf: ELFFile, sections: list[Any], versioned: list[tuple[str, str]]) -> tuple[Optional[str], str]:
    """(operating system, how it is known) of one ELF file; (None, "") when nothing says."""
    osabi = elf["e_ident"]["EI_OSABI"]
    if osabi in _OSABI:
        return _OSABI[osabi], f"ELF OS/ABI {osabi[len('ELFOSABI_'):]}"
    noted = _abi_note(sections, "<" if elf.little_endian else ">")
    if noted:
        return noted
    if any(s.name.startswith(".SUNW_") for s in sections) or any(v.startswith("SUNW") for _lib, v in versioned):
        return "solaris", "Solaris link-editor marks (.SUNW_* sections or SUNW_* versions)"
    return None, ""


def _abi_note(sections: list[Any], end: str) -> Optional[tuple[str, str]]:
    """The OS an ABI-tag note names, with the note's section."""
    for section in sections:
        if section.header["sh_type"] != "SHT_NOTE":
            continue
        for note in section.iter_notes():
            if note["n_type"] not in ("NT_GNU_ABI_TAG", _NT_ABI_TAG):
                continue
            owner = note["n_name"]
            if owner in _NOTE_OWNERS:
                return _NOTE_OWNERS[owner], f"{owner} ABI note ({section.name})"
            data = bytes(note["n_descdata"])
            if owner == "GNU" and len(data) >= 4:
                (word,) = struct.unpack(end + "I", data[:4])
                if word in _GNU_NOTE_OS:
                    return _GNU_NOTE_OS[word], f"GNU ABI note ({section.name}) for {_GNU_NOTE_OS[word]}"
    return None
