"""Just enough Mach-O and PE parsing to name a macOS or Windows egg's platform.

Mach-O: CPU types of a thin or fat (universal) file and the minimum macOS
version (``LC_VERSION_MIN_MACOSX`` / ``LC_BUILD_VERSION``). PE: the COFF
machine field. Anything that does not parse comes back with ``problem`` set.
"""
from __future__ import annotations

import struct
from typing import BinaryIO, Optional

from migrate.elf import BinaryFacts

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
_LC_VERSION_MIN_MACOSX = 0x24
_LC_BUILD_VERSION = 0x32
_PE_MACHINE = {0x14C: "win32", 0x8664: "win_amd64", 0xAA64: "win_arm64"}


def analyse(stream: BinaryIO, path: str, kind: str) -> BinaryFacts:
    try:
        if kind == "pe":
            return _pe(stream, path)
        return _macho(stream, path)
    except (struct.error, ValueError, OSError) as exc:
        return BinaryFacts(path=path, format=kind, problem=f"unreadable {kind} file ({exc})")


def macos_arch(archs) -> Optional[str]:
    archs = frozenset(archs)
    if len(archs) == 1:
        return next(iter(archs))
    return _MULTI.get(archs)


def _macho(stream: BinaryIO, path: str) -> BinaryFacts:
    magic = stream.read(4)
    slices = []  # (offset) of each thin image
    archs = []
    if magic == b"\xca\xfe\xba\xbe":
        (count,) = struct.unpack(">I", stream.read(4))
        if not 0 < count < 20:
            raise ValueError("not a fat Mach-O header")
        for _ in range(count):
            cputype, _sub, offset, _size, _align = struct.unpack(">iiIII", stream.read(20))
            archs.append(_CPU.get(cputype & 0xFFFFFFFF, f"cpu{cputype}"))
            slices.append(offset)
    else:
        slices.append(0)
    min_versions = []
    for offset in slices:
        arch, minos = _thin(stream, offset)
        if magic != b"\xca\xfe\xba\xbe":
            archs = [arch]
        if minos:
            min_versions.append(minos)
    macos_min = max(min_versions, key=lambda v: tuple(int(x) for x in v.split("."))) if min_versions else None
    return BinaryFacts(
        path=path,
        format="macho",
        arch=macos_arch(archs),
        is_extension=path.endswith(".so"),
        macos_min=macos_min,
    )


def _thin(stream: BinaryIO, offset: int):
    stream.seek(offset)
    magic = stream.read(4)
    if magic in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf"):
        end = ">"
    elif magic in (b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe"):
        end = "<"
    else:
        raise ValueError("bad Mach-O magic")
    is64 = magic in (b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe")
    cputype, _sub, _ftype, ncmds, _sizeofcmds, _flags = struct.unpack(end + "iiIIII", stream.read(24))
    if is64:
        stream.read(4)
    arch = _CPU.get(cputype & 0xFFFFFFFF, f"cpu{cputype}")
    minos = None
    for _ in range(min(ncmds, 4096)):
        start = stream.tell()
        cmd, size = struct.unpack(end + "II", stream.read(8))
        if size < 8:
            raise ValueError("bad load command size")
        if cmd == _LC_VERSION_MIN_MACOSX:
            (version,) = struct.unpack(end + "I", stream.read(4))
            minos = f"{version >> 16}.{(version >> 8) & 0xFF}"
        elif cmd == _LC_BUILD_VERSION:
            platform, version = struct.unpack(end + "II", stream.read(8))
            if platform == 1:  # PLATFORM_MACOS
                minos = f"{version >> 16}.{(version >> 8) & 0xFF}"
        stream.seek(start + size)
    return arch, minos


def _pe(stream: BinaryIO, path: str) -> BinaryFacts:
    stream.seek(0x3C)
    (pe_offset,) = struct.unpack("<I", stream.read(4))
    stream.seek(pe_offset)
    if stream.read(4) != b"PE\0\0":
        raise ValueError("no PE signature")
    (machine,) = struct.unpack("<H", stream.read(2))
    platform = _PE_MACHINE.get(machine)
    return BinaryFacts(
        path=path,
        format="pe",
        arch=platform,
        is_extension=path.lower().endswith(".pyd"),
        problem=None if platform else f"unknown PE machine 0x{machine:x}",
    )
