"""Just enough Mach-O and PE parsing to name a macOS or Windows egg's platform.

Mach-O: CPU types of a thin or fat (universal) file, the minimum macOS
version (``LC_VERSION_MIN_MACOSX`` / ``LC_BUILD_VERSION``), the linked
dylibs and, from ``LC_SYMTAB``, the module's init symbol and any
``PyUnicodeUCS*`` references. PE: the COFF machine field, imported DLLs
(``python27.dll`` names the Python version) and exported names (the init
symbol). Anything that does not parse comes back with ``problem`` set; every
size read from the file is bounded before use.
"""
from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from typing import IO, Iterable, Optional

from migrate.binaries.facts import FORMAT_NAMES, BinaryFacts, python_major_of, ucs_of

_CPU = {7: "i386", 0x01000007: "x86_64", 18: "ppc", 0x01000012: "ppc64", 12: "arm", 0x0100000C: "arm64"}
# sets of architectures -> the macOS platform tag arch (as pip/packaging name them)
_MULTI = {
    frozenset({"i386", "x86_64"}): "intel",
    frozenset({"x86_64", "arm64"}): "universal2",
    frozenset({"i386", "ppc"}): "fat",
    frozenset({"x86_64", "ppc64"}): "fat64",
    frozenset({"i386", "ppc", "x86_64"}): "fat3",
    frozenset({"i386", "ppc", "x86_64", "ppc64"}): "universal",
}
_FAT_MAGIC = b"\xca\xfe\xba\xbe"
_LC_SYMTAB = 0x2
_LC_LOAD_DYLIB = 0xC
_LC_LOAD_WEAK_DYLIB = 0x80000018
_LC_REEXPORT_DYLIB = 0x8000001F
_LC_VERSION_MIN_MACOSX = 0x24
_LC_BUILD_VERSION = 0x32
_N_STAB, _N_TYPE, _N_EXT, _N_UNDF, _N_SECT = 0xE0, 0x0E, 0x01, 0x0, 0xE
_MAX_SYMBOLS = 500_000
_PE_MACHINE = {0x14C: "win32", 0x8664: "win_amd64", 0xAA64: "win_arm64"}
_PeSection = tuple[int, int, int]  # (virtual address, size in memory, file offset)
_POSIX_LAYERS = {"cygwin1.dll": "cygwin", "msys-1.0.dll": "msys", "msys-2.0.dll": "msys"}
_PYTHON_DLL = re.compile(r"^python(?P<major>\d)(?P<minor>\d+)?(_d)?\.dll$", re.I)


def read_macho_or_pe(stream: IO[bytes], path: str, kind: str) -> BinaryFacts:
    try:
        if kind == "pe":
            return _pe(stream, path)
        return _macho(stream, path)
    except (struct.error, ValueError, OSError, UnicodeDecodeError) as exc:
        return BinaryFacts(path=path, format=kind, problem=f"unreadable {FORMAT_NAMES[kind]} file ({exc})")


def macos_arch(archs: Iterable[str]) -> Optional[str]:
    archs = frozenset(archs)
    if len(archs) == 1:
        return next(iter(archs))
    return _MULTI.get(archs)


def python_from_dll(names: Iterable[str]) -> Optional[tuple[int, Optional[int]]]:
    """``python27.dll`` -> (2, 7); ``python3.dll`` (the stable ABI) -> (3, None)."""
    for name in names:
        m = _PYTHON_DLL.match(name)
        if m:
            return int(m["major"]), int(m["minor"]) if m["minor"] else None
    return None


def _macho(stream: IO[bytes], path: str) -> BinaryFacts:
    fat = stream.read(4) == _FAT_MAGIC
    archs, offsets = _fat_slices(stream) if fat else ([], [0])
    thins = [_thin(stream, offset) for offset in offsets]
    thin = thins[-1]  # the symbols and libraries are read from the last slice
    if not fat:
        archs = [thin.arch]
    macos_min = _macos_min([(t.arch, t.minos) for t in thins if t.minos])
    arch = macos_arch(archs)
    undefined = thin.undefined
    python_major = python_major_of(path, thin.defined)
    return BinaryFacts(
        path=path,
        format="macho",
        arch=arch,
        is_extension=python_major is not None or (not thin.has_symtab and path.endswith(".so")),
        python_major=python_major,
        ucs=ucs_of(undefined),
        pypy=any(s.startswith("PyPy") for s in undefined),
        needed=tuple(thin.dylibs),
        undefined=tuple(sorted(undefined)),
        macos_min=macos_min,
        problem=None if arch else "unknown mix of Mach-O architectures: " + ", ".join(sorted(archs)),
    )


def _fat_slices(stream: IO[bytes]) -> tuple[list[str], list[int]]:
    """(arch, offset) of each thin image a fat header lists, as two lists."""
    (count,) = struct.unpack(">I", stream.read(4))
    if not 0 < count < 20:
        raise ValueError("not a fat Mach-O header (is it a Java class file?)")
    archs, offsets = [], []
    for _ in range(count):
        cputype, _sub, offset, _size, _align = struct.unpack(">iiIII", stream.read(20))
        archs.append(_CPU.get(cputype & 0xFFFFFFFF, f"cpu{cputype}"))
        offsets.append(offset)
    return archs, offsets


def _macos_min(min_versions: list[tuple[str, str]]) -> Optional[str]:
    """The file's minimum macOS from each slice's (arch, minimum)."""
    # every arm64 Mac runs macOS 11+, so an arm64 slice's 11.0 does not raise a universal2
    # file's minimum: macosx_10_9_universal2 is right for x86_64 10.9 + arm64 11.0
    older = [v for a, v in min_versions if a != "arm64"] or [v for _a, v in min_versions]
    return max(older, key=lambda v: tuple(int(x) for x in v.split("."))) if older else None


@dataclass
class _Thin:
    """What one thin Mach-O image says."""

    arch: str
    minos: Optional[str] = None  # LC_VERSION_MIN_MACOSX / LC_BUILD_VERSION for macOS
    dylibs: list[str] = field(default_factory=list)
    defined: set[str] = field(default_factory=set)  # external symbols it defines, without the leading "_"
    undefined: set[str] = field(default_factory=set)
    has_symtab: bool = False


def _thin(stream: IO[bytes], offset: int) -> _Thin:
    stream.seek(offset)
    end, is64 = _thin_magic(stream.read(4))
    cputype, _sub, _ftype, ncmds, _sizeofcmds, _flags = struct.unpack(end + "iiIIII", stream.read(24))
    if is64:
        stream.read(4)
    found = _Thin(arch=_CPU.get(cputype & 0xFFFFFFFF, f"cpu{cputype}"))
    symtab = _load_commands(stream, end, ncmds, found)
    if symtab:
        found.has_symtab = True
        _symbols(stream, offset, end, is64, symtab, found)
    return found


def _thin_magic(magic: bytes) -> tuple[str, bool]:
    """(struct byte order, whether 64-bit) of a thin Mach-O image's magic."""
    if magic in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf"):
        end = ">"
    elif magic in (b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe"):
        end = "<"
    else:
        raise ValueError("bad Mach-O magic")
    return end, magic in (b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe")


def _load_commands(stream: IO[bytes], end: str, ncmds: int, found: _Thin) -> Optional[tuple[int, int, int, int]]:
    """Note in ``found`` what the load commands say; the LC_SYMTAB fields, None without one."""
    symtab = None
    for _ in range(min(ncmds, 4096)):
        start = stream.tell()
        cmd, size = struct.unpack(end + "II", stream.read(8))
        if size < 8:
            raise ValueError("bad load command size")
        if cmd == _LC_SYMTAB:
            symtab = struct.unpack(end + "IIII", stream.read(16))
        else:
            _load_command(stream, end, cmd, start, size, found)
        stream.seek(start + size)
    return symtab


def _load_command(stream: IO[bytes], end: str, cmd: int, start: int, size: int, found: _Thin) -> None:
    """Note in ``found`` the minimum macOS or the linked dylib one load command names."""
    if cmd == _LC_VERSION_MIN_MACOSX:
        (version,) = struct.unpack(end + "I", stream.read(4))
        found.minos = _version(version)
    elif cmd == _LC_BUILD_VERSION:
        platform, version = struct.unpack(end + "II", stream.read(8))
        if platform == 1:  # PLATFORM_MACOS
            found.minos = _version(version)
    elif cmd in (_LC_LOAD_DYLIB, _LC_LOAD_WEAK_DYLIB, _LC_REEXPORT_DYLIB):
        (name_offset,) = struct.unpack(end + "I", stream.read(4))
        if 12 <= name_offset < size:
            stream.seek(start + name_offset)
            found.dylibs.append(stream.read(size - name_offset).split(b"\0", 1)[0].decode("utf-8", "replace"))


def _symbols(stream: IO[bytes], base: int, end: str, is64: bool, symtab: tuple[int, int, int, int],
             found: _Thin) -> None:
    symoff, nsyms, stroff, strsize = symtab
    if nsyms > _MAX_SYMBOLS or strsize > 64 * 1024**2:
        raise ValueError("symbol table too large")
    entry = struct.Struct(end + ("IBBHQ" if is64 else "IBBHI"))
    stream.seek(base + symoff)
    table = stream.read(entry.size * nsyms)
    stream.seek(base + stroff)
    strings = stream.read(strsize)
    for i in range(len(table) // entry.size):
        strx, n_type, _sect, _desc, _value = entry.unpack_from(table, i * entry.size)
        if n_type & _N_STAB or not n_type & _N_EXT or strx >= len(strings):
            continue
        name = strings[strx:strings.find(b"\0", strx)].decode("utf-8", "replace")
        name = name[1:] if name.startswith("_") else name  # C symbols carry a leading underscore
        kind = n_type & _N_TYPE
        if kind == _N_UNDF:
            found.undefined.add(name)
        elif kind == _N_SECT:
            found.defined.add(name)


def _version(packed: int) -> str:
    return f"{packed >> 16}.{(packed >> 8) & 0xFF}"


def _pe(stream: IO[bytes], path: str) -> BinaryFacts:
    stream.seek(0x3C)
    (pe_offset,) = struct.unpack("<I", stream.read(4))
    stream.seek(pe_offset)
    if stream.read(4) != b"PE\0\0":
        raise ValueError("no PE signature")
    machine, nsections, _ts, _symptr, _nsyms, opt_size, _chars = struct.unpack("<HHIIIHH", stream.read(20))
    platform = _PE_MACHINE.get(machine)
    optional = stream.read(opt_size)
    sections: list[_PeSection] = []
    for _ in range(min(nsections, 96)):
        raw = stream.read(40)
        if len(raw) < 40:
            break
        vsize, vaddr, rawsize, rawptr = struct.unpack_from("<IIII", raw, 8)
        sections.append((vaddr, max(vsize, rawsize), rawptr))
    dlls, functions, exports = _pe_directories(stream, optional, sections)
    python_major = python_major_of(path, exports)
    dll_python = python_from_dll(dlls)
    if python_major is None and dll_python and path.lower().endswith(".pyd"):
        python_major = dll_python[0]
    return BinaryFacts(
        path=path,
        format="pe",
        arch=platform,
        is_extension=python_major is not None or path.lower().endswith(".pyd"),
        python_major=python_major,
        ucs=ucs_of(functions),
        needed=tuple(dlls),
        undefined=tuple(sorted(functions)),
        os=_pe_os(dlls),
        os_how=f"imports {_pe_os_dll(dlls)}" if _pe_os(dlls) else "",
        problem=None if platform else f"unknown PE machine 0x{machine:x}",
    )


def _pe_os_dll(dlls: list[str]) -> Optional[str]:
    """The runtime DLL of a POSIX layer on Windows (Cygwin, MSYS) the PE file imports."""
    return next((d for d in dlls if d.lower() in _POSIX_LAYERS), None)


def _pe_os(dlls: list[str]) -> Optional[str]:
    dll = _pe_os_dll(dlls)
    return _POSIX_LAYERS[dll.lower()] if dll else None


def _pe_directories(stream: IO[bytes], optional: bytes,
                    sections: list[_PeSection]) -> tuple[list[str], set[str], set[str]]:
    """(imported DLL names, imported function names, exported names) from the data directories."""
    if len(optional) < 2:
        return [], set(), set()
    (magic,) = struct.unpack_from("<H", optional, 0)
    base = {0x10B: 96, 0x20B: 112}.get(magic)
    if base is None or len(optional) < base + 16:
        return [], set(), set()
    export_rva, _esize, import_rva, _isize = struct.unpack_from("<IIII", optional, base)
    dlls, functions = _imports(stream, sections, import_rva, magic == 0x20B)
    exports = _exported_names(stream, sections, export_rva)
    return [d for d in dlls if d], functions, exports


def _file_offset(sections: list[_PeSection], rva: int) -> Optional[int]:
    """Where in the file a relative virtual address is; None when no section holds it."""
    for vaddr, size, rawptr in sections:
        if vaddr <= rva < vaddr + size:
            return rawptr + rva - vaddr
    return None


def _c_string(stream: IO[bytes], sections: list[_PeSection], rva: int) -> str:
    """The NUL-terminated name at ``rva`` (at most 256 bytes); "" when no section holds it."""
    pos = _file_offset(sections, rva)
    if pos is None:
        return ""
    stream.seek(pos)
    return stream.read(256).split(b"\0", 1)[0].decode("ascii", "replace")


def _imports(stream: IO[bytes], sections: list[_PeSection], import_rva: int,
             wide: bool) -> tuple[list[str], set[str]]:
    """The DLL name of each import descriptor (at most 512; "" for a name no section holds), and
    the functions imported by name (``PyUnicodeUCS2_AsUTF8String`` says the build's width)."""
    pos = _file_offset(sections, import_rva) if import_rva else None
    dlls: list[str] = []
    functions: set[str] = set()
    if pos is None:
        return dlls, functions
    for i in range(512):
        stream.seek(pos + 20 * i)
        desc = stream.read(20)
        if len(desc) < 20 or desc == b"\0" * 20:
            break
        lookup, name_rva, thunks = (struct.unpack_from("<I", desc, at)[0] for at in (0, 12, 16))
        dlls.append(_c_string(stream, sections, name_rva))
        functions.update(_imported_functions(stream, sections, lookup or thunks, wide))
    return dlls, functions


def _imported_functions(stream: IO[bytes], sections: list[_PeSection], table_rva: int, wide: bool) -> list[str]:
    """The names one import lookup table lists (at most 4096); ordinals are skipped."""
    pos = _file_offset(sections, table_rva) if table_rva else None
    if pos is None:
        return []
    size, ordinal_bit = (8, 1 << 63) if wide else (4, 1 << 31)
    stream.seek(pos)
    table = stream.read(size * 4096)
    names = []
    for (entry,) in struct.iter_unpack("<Q" if wide else "<I", table[: len(table) // size * size]):
        if not entry:
            break
        if not entry & ordinal_bit:
            names.append(_c_string(stream, sections, (entry & 0x7FFFFFFF) + 2))  # skip the 2-byte hint
    return names


def _exported_names(stream: IO[bytes], sections: list[_PeSection], export_rva: int) -> set[str]:
    """The names the export directory lists (at most 65536)."""
    pos = _file_offset(sections, export_rva) if export_rva else None
    if pos is None:
        return set()
    stream.seek(pos)
    directory = stream.read(40)
    if len(directory) != 40:
        return set()
    count, names_rva = struct.unpack_from("<I", directory, 24)[0], struct.unpack_from("<I", directory, 32)[0]
    names_pos = _file_offset(sections, names_rva)
    if names_pos is None:
        return set()
    stream.seek(names_pos)
    raw = stream.read(4 * min(count, 65536))
    return {_c_string(stream, sections, rva) for (rva,) in struct.iter_unpack("<I", raw[: len(raw) // 4 * 4])}
