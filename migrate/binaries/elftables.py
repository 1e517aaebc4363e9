"""The parts of an ELF file :mod:`elf` judges, read with ``struct``: one value, :class:`ElfTables`.

The header (with ``EI_OSABI``), the section names, the dynamic symbols
(:mod:`elfsymbols`), the dynamic section, ``.comment``, the x86 ISA property
notes, the bytes of every note section and of ``.ARM.attributes`` (which
:mod:`elfos` and :mod:`elfarm` parse, whichever reader found them). pyelftools parses
every header field through ``construct`` objects, which cost about a
millisecond per ``.so`` before a symbol was read; here each table is one
``struct`` call over bytes. A file laid out any other way than the common one
raises :class:`Unusual`, and :mod:`elf` reads it with pyelftools into the
same value, so both readers are held to the same facts by the tests.
"""
from __future__ import annotations

import struct
from typing import IO, Iterator, NamedTuple, Optional, Union

from migrate.binaries.elfsymbols import (
    DynamicSymbols,
    Layout,
    SectionHeader,
    Unusual,
    cstring,
    dynamic_symbols,
    linked_strings,
    read_bytes,
    section_headers,
)

# e_machine numbers -> pyelftools' names (what platforms.elf_arch takes); others go to pyelftools
_MACHINES = {
    62: "EM_X86_64", 3: "EM_386", 183: "EM_AARCH64", 40: "EM_ARM", 22: "EM_S390", 243: "EM_RISCV",
    258: "EM_LOONGARCH", 20: "EM_PPC", 21: "EM_PPC64", 43: "EM_SPARCV9", 8: "EM_MIPS", 2: "EM_SPARC",
    50: "EM_IA_64", 41: "EM_ALPHA", 15: "EM_PARISC", 42: "EM_SH",
}
_FILE_TYPES = {0: "ET_NONE", 1: "ET_REL", 2: "ET_EXEC", 3: "ET_DYN", 4: "ET_CORE"}
LOADABLE = ("ET_DYN", "ET_EXEC")
_SHT_HASH, _SHT_DYNAMIC, _SHT_NOTE, _SHT_NOBITS, _SHT_GNU_HASH = 5, 6, 7, 8, 0x6FFFFFF6
SHT_ARM_ATTRIBUTES = 0x70000003
_EI_OSABI = 7
_SHF_COMPRESSED = 0x800
_DT_NULL, _DT_NEEDED, _DT_SONAME, _DT_RPATH, _DT_RUNPATH = 0, 1, 14, 15, 29
_NT_GNU_ABI_TAG, _NT_GNU_PROPERTY_TYPE_0 = 1, 5
_X86_ISA_1_NEEDED = 0xC0008002


class ElfTables(NamedTuple):
    """What an ELF file says, before judging: the same value from either reader."""

    machine: Union[str, int]  # pyelftools' name ("EM_X86_64"), or the number of a machine it does not know
    elf_class: int  # 32 or 64
    little_endian: bool
    file_type: str  # "ET_DYN", "ET_EXEC"...; the fields below are empty unless loadable
    flags: int = 0
    symbols: Optional[DynamicSymbols] = None
    needed: tuple[str, ...] = ()  # DT_NEEDED, in order
    rpath: tuple[str, ...] = ()  # each DT_RPATH and DT_RUNPATH value, in order
    soname: Optional[str] = None
    comment: Optional[bytes] = None  # the bytes of .comment, None without one
    x86_isa_bits: int = 0  # ISA bits past the baseline of the first GNU_PROPERTY_X86_ISA_1_NEEDED with any (x86-64)
    osabi: int = 0  # e_ident[EI_OSABI]
    section_names: tuple[str, ...] = ()  # each section's name, in file order
    notes: tuple[tuple[str, bytes], ...] = ()  # (name, bytes) of each note section (SHT_NOTE), in file order
    arm_attributes: Optional[bytes] = None  # the bytes of a 32-bit ARM file's .ARM.attributes (SHT_ARM_ATTRIBUTES)


def read_tables(stream: IO[bytes]) -> ElfTables:
    """The tables of an ELF file; raises :class:`Unusual` for anything pyelftools should read."""
    try:
        return _read(stream)
    except (struct.error, IndexError, ValueError, OverflowError, KeyError) as exc:
        raise Unusual(str(exc)) from None


def _read(stream: IO[bytes]) -> ElfTables:
    stream.seek(0)
    ident = stream.read(16)
    if ident[:4] != b"\x7fELF":
        raise Unusual("no ELF magic")
    layout = Layout.of(ident)
    header = struct.unpack(layout.header, read_bytes(stream, 16, struct.calcsize(layout.header)))
    machine, file_type = _MACHINES[header[1]], _FILE_TYPES[header[0]]  # KeyError: left to pyelftools
    elf_class, little = (64 if ident[4] == 2 else 32), ident[5] == 1
    if file_type not in LOADABLE:
        return ElfTables(machine, elf_class, little, file_type, osabi=ident[_EI_OSABI])
    sections, names = section_headers(stream, layout, header)
    by_name = dict(zip(names, sections))  # a later section of the same name wins
    _check_hash_tables(stream, layout, sections)
    needed, rpath, soname = _dynamic(stream, layout, sections)
    comment = by_name.get(".comment")
    x86_64 = machine == "EM_X86_64" and elf_class == 64
    return ElfTables(
        machine, elf_class, little, file_type, flags=header[6],
        symbols=dynamic_symbols(stream, layout, sections, by_name),
        needed=needed, rpath=rpath, soname=soname,
        comment=None if comment is None else _plain_bytes(stream, comment),
        x86_isa_bits=_x86_isa_bits(stream, layout, sections) if x86_64 else 0,
        osabi=ident[_EI_OSABI], section_names=tuple(names),
        notes=tuple((name, _plain_bytes(stream, s)) for name, s in zip(names, sections) if s.type == _SHT_NOTE),
        arm_attributes=_arm_attributes(stream, machine, elf_class, by_name.get(".ARM.attributes")),
    )


def _arm_attributes(stream: IO[bytes], machine: str, elf_class: int, section: Optional[SectionHeader]) -> Optional[bytes]:
    """The bytes of .ARM.attributes when a 32-bit ARM file has that section with that type."""
    if machine != "EM_ARM" or elf_class != 32 or section is None or section.type != SHT_ARM_ATTRIBUTES:
        return None
    return _plain_bytes(stream, section)


def _check_hash_tables(stream: IO[bytes], layout: Layout, sections: list[SectionHeader]) -> None:
    """pyelftools reads each hash table's arrays when it meets the section: refuse what it would refuse."""
    end = stream.seek(0, 2)
    word = 8 if layout.symbol.endswith("QQ") else 4
    for section in sections:
        if section.type == _SHT_HASH:
            buckets, chains = struct.unpack(layout.order + "II", read_bytes(stream, section.offset, 8))
            size = 8 + 4 * (buckets + chains)
        elif section.type == _SHT_GNU_HASH:
            buckets, _, bloom, _ = struct.unpack(layout.order + "IIII", read_bytes(stream, section.offset, 16))
            size = 16 + word * bloom + 4 * buckets
        else:
            continue
        if section.offset + size > end:
            raise Unusual("a hash table reaches past the end of the file")


def _plain_bytes(stream: IO[bytes], section: SectionHeader) -> bytes:
    if section.type == _SHT_NOBITS or section.flags & _SHF_COMPRESSED:
        raise Unusual("a section without plain bytes")
    return read_bytes(stream, section.offset, section.size)


def _dynamic(stream: IO[bytes], layout: Layout,
             sections: list[SectionHeader]) -> tuple[tuple[str, ...], tuple[str, ...], Optional[str]]:
    """(DT_NEEDED, DT_RPATH + DT_RUNPATH, DT_SONAME) of the first dynamic section."""
    section = next((s for s in sections if s.type == _SHT_DYNAMIC), None)
    if section is None:
        return (), (), None
    strings = linked_strings(stream, sections, section)
    entry = layout.order + ("qQ" if layout.symbol.endswith("QQ") else "iI")
    size = struct.calcsize(entry)
    data = _plain_bytes(stream, section)
    needed: list[str] = []
    rpath: list[str] = []
    soname = None
    for tag, value in struct.iter_unpack(entry, data[:len(data) - len(data) % size]):
        if tag == _DT_NULL:
            return tuple(needed), tuple(rpath), soname
        if tag == _DT_NEEDED:
            needed.append(cstring(strings, value))
        elif tag in (_DT_RPATH, _DT_RUNPATH):
            rpath.append(cstring(strings, value))
        elif tag == _DT_SONAME:
            soname = cstring(strings, value)
    raise Unusual("the dynamic section has no DT_NULL")


def _x86_isa_bits(stream: IO[bytes], layout: Layout, sections: list[SectionHeader]) -> int:
    """The ISA bits beyond the x86-64 baseline of the first GNU_PROPERTY_X86_ISA_1_NEEDED that has any."""
    for section in sections:
        if section.type != _SHT_NOTE:
            continue
        data = _plain_bytes(stream, section)
        at = 0
        while at + 12 < len(data):
            namesz, descsz, kind = struct.unpack_from(layout.order + "III", data, at)
            at += 12
            name = data[at:at + namesz].split(b"\0", 1)[0]
            at += _round(namesz, 4)
            if at + descsz > len(data) or (name == b"GNU" and kind == _NT_GNU_ABI_TAG and descsz < 16):
                raise Unusual("a note reaches past its section")
            if name == b"GNU" and kind == _NT_GNU_PROPERTY_TYPE_0:
                bits = next((v & ~1 for v in _isa_properties(data[at:at + descsz], layout) if v & ~1), 0)
                if bits:
                    return bits  # bit 0 is the x86-64 baseline itself
            at += _round(descsz, 4)
    return 0


def _isa_properties(desc: bytes, layout: Layout) -> Iterator[int]:
    """Each 4-byte GNU_PROPERTY_X86_ISA_1_NEEDED value of one GNU property note."""
    at = 0
    align = 8 if layout.symbol.endswith("QQ") else 4
    while at < len(desc):
        kind, size = struct.unpack_from(layout.order + "II", desc, at)
        if at + 8 + size > len(desc):
            raise Unusual("a property reaches past its note")
        if kind == _X86_ISA_1_NEEDED and size == 4:
            yield struct.unpack_from(layout.order + "I", desc, at + 8)[0]
        at += _round(size + 8, align)


def _round(size: int, align: int) -> int:
    return (size + align - 1) // align * align
