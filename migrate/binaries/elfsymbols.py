"""The dynamic symbols of an ELF file, read with ``struct`` in one pass (:mod:`elftables` reads the rest).

pyelftools builds a parsed object per symbol (``construct``), which made ELF
analysis most of the cost of converting an egg with ``.so`` files. Here the
section headers, ``.dynsym``, ``.dynstr``, ``.gnu.version`` and
``.gnu.version_r`` are read as bytes and walked with ``struct.iter_unpack``:
no object per symbol. Anything out of the ordinary (odd entry sizes, offsets
outside the file, unterminated names, extended section numbering) raises
:class:`Unusual`, and :mod:`elf` reads that file with pyelftools instead, so
the facts are the same either way (the tests hold the two readers to it).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import IO, Iterator, NamedTuple, Optional

_SHT_SYMTAB, _SHT_STRTAB, _SHT_DYNSYM = 2, 3, 11
_SHT_VERNEED, _SHT_VERSYM = 0x6FFFFFFE, 0x6FFFFFFF
_STB_GLOBAL, _STB_WEAK = 1, 2
_STT_NOTYPE, _STT_FUNC = 0, 2
_VER_NDX_SPECIAL = (0, 1, 0xFF00, 0xFF01)  # local, global, reserved: no version needed
_RELOCATION_SIZES = {False: {9: 8, 4: 12}, True: {9: 16, 4: 24}}  # 64-bit?: {SHT_REL, SHT_RELA: entry size}
# {section type: the types its sh_link may name}, as pyelftools checks when it makes the section object
_STRTAB, _SYMTABS = (_SHT_STRTAB,), (_SHT_SYMTAB, _SHT_DYNSYM)
_LINKS = {
    _SHT_SYMTAB: _STRTAB, _SHT_DYNSYM: _STRTAB, 0x6FFFFFF3: _STRTAB, _SHT_VERNEED: _STRTAB, 0x6FFFFFFD: _STRTAB,
    _SHT_VERSYM: _SYMTABS, 0x6FFFFFFC: _SYMTABS, 5: _SYMTABS, 0x6FFFFFF6: _SYMTABS, 6: (_SHT_STRTAB, 0, 8),
}
_MAX_SECTIONS = 0xFF00  # past this, ELF numbers sections in section 0 (left to pyelftools)


class Unusual(Exception):
    """The file is not laid out the common way; read it with pyelftools."""


@dataclass
class DynamicSymbols:
    """What ``.dynsym`` says, with the versions ``.gnu.version_r`` gives the undefined ones."""

    versioned: list[tuple[str, str]]  # [(library, version name)] from .gnu.version_r
    defined: set[str] = field(default_factory=set)  # global or weak functions (and untyped) the binary exports
    undefined: set[str] = field(default_factory=set)
    strong: set[str] = field(default_factory=set)  # undefined and not weak
    functions: set[str] = field(default_factory=set)  # undefined functions (and untyped)
    users: list[tuple[str, str]] = field(default_factory=list)  # [(version name, undefined symbol that needs it)]


class SectionHeader(NamedTuple):
    type: int
    flags: int
    offset: int
    size: int
    link: int
    info: int
    entsize: int


class Layout(NamedTuple):
    """Byte order and the struct formats of one ELF class."""

    order: str
    header: str  # the ELF header after e_ident
    section: str
    symbol: str
    info_at: int  # field positions inside a symbol tuple (st_name is first in both classes)
    shndx_at: int

    @classmethod
    def of(cls, ident: bytes) -> Layout:
        if len(ident) != 16 or ident[5] not in (1, 2) or ident[4] not in (1, 2):
            raise Unusual("unknown ELF class or byte order")
        o = "<" if ident[5] == 1 else ">"
        if ident[4] == 2:  # 64-bit
            return cls(o, o + "HHIQQQIHHHHHH", o + "IIQQQQIIQQ", o + "IBBHQQ", 1, 3)
        return cls(o, o + "HHIIIIIHHHHHH", o + "IIIIIIIIII", o + "IIIBBH", 3, 5)


def dynamic_symbols(stream: IO[bytes], layout: Layout, sections: list[SectionHeader],
                    by_name: dict[str, SectionHeader]) -> DynamicSymbols:
    """What .dynsym, .gnu.version and .gnu.version_r say (``struct.error`` and ``ValueError`` are the caller's)."""
    versions, versioned = _version_needs(stream, layout, sections, by_name.get(".gnu.version_r"))
    found = DynamicSymbols(versioned)
    dynsym = by_name.get(".dynsym")
    if dynsym is None:
        return found
    if dynsym.type not in (_SHT_DYNSYM, _SHT_SYMTAB) or dynsym.entsize != struct.calcsize(layout.symbol):
        raise Unusual(".dynsym is not a symbol table of the usual entry size")
    strings = linked_strings(stream, sections, dynsym)
    count = dynsym.size // dynsym.entsize
    raw = read_bytes(stream, dynsym.offset, count * dynsym.entsize)
    ndx = _version_indexes(stream, layout, by_name.get(".gnu.version"), count) if versions else None
    _classify(found, struct.iter_unpack(layout.symbol, raw), layout, strings, versions, ndx)
    return found


def _classify(found: DynamicSymbols, symbols: Iterator[tuple[int, ...]], layout: Layout, strings: bytes,
              versions: dict[int, str], ndx: Optional[tuple[int, ...]]) -> None:
    """Sort each named symbol into the sets of ``found`` (the loop pyelftools ran per symbol object)."""
    info_at, shndx_at = layout.info_at, layout.shndx_at
    for index, sym in enumerate(symbols):
        name = cstring(strings, sym[0])
        if not name:
            continue
        info = sym[info_at]
        bind, kind = info >> 4, info & 0xF
        if sym[shndx_at] == 0:  # SHN_UNDEF
            found.undefined.add(name)
            if bind != _STB_WEAK:
                found.strong.add(name)
            if kind in (_STT_FUNC, _STT_NOTYPE):
                found.functions.add(name)
            if ndx is not None:
                version = ndx[index]
                if version not in _VER_NDX_SPECIAL and (version & 0x7FFF) in versions:
                    found.users.append((versions[version & 0x7FFF], name))
        elif bind in (_STB_GLOBAL, _STB_WEAK) and kind in (_STT_FUNC, _STT_NOTYPE):
            found.defined.add(name)


def section_headers(stream: IO[bytes], layout: Layout,
                    header: tuple[int, ...]) -> tuple[list[SectionHeader], list[str]]:
    """The section header table, and the name of each section.

    ``header`` is the ELF header after e_ident, unpacked with ``layout.header``."""
    shoff, shentsize, shnum, shstrndx = header[5], header[10], header[11], header[12]
    if shoff == 0:
        return [], []
    if shentsize != struct.calcsize(layout.section) or not 0 < shnum < _MAX_SECTIONS or shstrndx >= shnum:
        raise Unusual("unusual section header table")
    rows = list(struct.iter_unpack(layout.section, read_bytes(stream, shoff, shnum * shentsize)))
    sections = [SectionHeader(r[1], r[2], r[4], r[5], r[6], r[7], r[9]) for r in rows]
    relocation = _RELOCATION_SIZES[layout.symbol.endswith("QQ")]
    if any(s.type in relocation and s.entsize != relocation[s.type] for s in sections):
        raise Unusual("a relocation section of an unusual entry size")  # pyelftools refuses those
    if any(s.type in _LINKS and (s.link >= shnum or sections[s.link].type not in _LINKS[s.type]) for s in sections):
        raise Unusual("a section links to a section that is not there")  # pyelftools follows every link
    names = read_bytes(stream, sections[shstrndx].offset, sections[shstrndx].size)
    return sections, [cstring(names, r[0]) for r in rows]


def _version_needs(stream: IO[bytes], layout: Layout, sections: list[SectionHeader],
                   section: Optional[SectionHeader]) -> tuple[dict[int, str], list[tuple[str, str]]]:
    """({vna_other index: version name}, [(library, version name)]) from .gnu.version_r."""
    names: dict[int, str] = {}
    needs: list[tuple[str, str]] = []
    if section is None:
        return names, needs
    if section.type != _SHT_VERNEED:
        raise Unusual(".gnu.version_r is not a version-needs section")
    strings = linked_strings(stream, sections, section)
    data = read_bytes(stream, section.offset, section.size)
    need_at = 0
    for _ in range(section.info):  # sh_info: the number of entries
        _version, count, file_name, aux, next_need = struct.unpack_from(layout.order + "HHIII", data, need_at)
        if count == 0:
            raise Unusual("a version need without entries")
        library = cstring(strings, file_name)
        aux_at = need_at + aux
        for _ in range(count):
            _hash, _flags, other, name, next_aux = struct.unpack_from(layout.order + "IHHII", data, aux_at)
            version = cstring(strings, name)
            names[other & 0x7FFF] = version
            needs.append((library, version))
            aux_at += next_aux
        need_at += next_need
    return names, needs


def _version_indexes(stream: IO[bytes], layout: Layout, versym: Optional[SectionHeader],
                     count: int) -> Optional[tuple[int, ...]]:
    """The ``.gnu.version`` index of each dynamic symbol (None without the section)."""
    if versym is None:
        return None
    if versym.type != _SHT_VERSYM or versym.entsize != 2 or versym.size < 2 * count:
        raise Unusual(".gnu.version does not cover .dynsym")
    return struct.unpack(f"{layout.order}{count}H", read_bytes(stream, versym.offset, 2 * count))


def linked_strings(stream: IO[bytes], sections: list[SectionHeader], section: SectionHeader) -> bytes:
    """The bytes of the string table ``section`` names in sh_link."""
    if section.link >= len(sections) or sections[section.link].type != _SHT_STRTAB:
        raise Unusual("sh_link does not name a string table")
    table = sections[section.link]
    return read_bytes(stream, table.offset, table.size)


def read_bytes(stream: IO[bytes], offset: int, size: int) -> bytes:
    """``size`` bytes at ``offset``; raises :class:`Unusual` past the end of the file."""
    stream.seek(offset)
    data = stream.read(size)
    if len(data) != size:
        raise Unusual("a section reaches past the end of the file")
    return data


def cstring(table: bytes, offset: int) -> str:
    """The NUL-terminated name at ``offset``, decoded as pyelftools does."""
    end = table.index(b"\0", offset)  # ValueError (-> Unusual) when unterminated inside the table
    return table[offset:end].decode("utf-8", "replace") if end > offset else ""
