"""Which 32-bit ARM generation an ELF file is built for: ``Tag_CPU_arch`` of ``.ARM.attributes``.

``EM_ARM`` alone says only "32-bit ARM"; the build attributes the toolchain
writes name the architecture (v4T, v5TE, v6, v7...). Parsed here from the
section's bytes (:class:`ElfTables` ``arm_attributes``) with ``struct``, so
the fast reader and pyelftools give the same answer: the format version
``A``, then per vendor a length and a name, and under ``aeabi`` the
file-scope attributes, each a ULEB128 tag and a ULEB128 or string value.
"""
from __future__ import annotations

import struct
from typing import Optional

from migrate.platforms import ARM_CPU_ARCH

_TAG_FILE, _TAG_CPU_ARCH = 1, 6
_TAG_COMPATIBILITY, _TAG_ALSO_COMPATIBLE_WITH = 32, 65
_STRING_TAGS = (4, 5, 67)  # Tag_CPU_raw_name, Tag_CPU_name, Tag_conformance


def arm_generation(raw: Optional[bytes], little_endian: bool) -> str:
    """The ARM generation the build attributes name (``Tag_CPU_arch`` 2 -> ``armv4tl``); armv7l without them."""
    if not raw or raw[0] != ord("A"):
        return "armv7l"
    order = "<" if little_endian else ">"
    at = 1
    while at + 4 <= len(raw):
        (length,) = struct.unpack_from(order + "I", raw, at)
        end = min(at + length, len(raw))
        vendor_end = raw.find(b"\0", at + 4, end)
        if length < 5 or vendor_end < 0:
            break
        if raw[at + 4:vendor_end] == b"aeabi":
            cpu = _cpu_arch(raw[vendor_end + 1:end], order)
            if cpu is not None:
                return ARM_CPU_ARCH.get(cpu, "armv7l")
        at += length
    return "armv7l"


def _cpu_arch(data: bytes, order: str) -> Optional[int]:
    """Tag_CPU_arch of the file-scope sub-subsections of one ``aeabi`` subsection; None when absent."""
    at = 0
    while at + 5 <= len(data):
        scope = data[at]
        (size,) = struct.unpack_from(order + "I", data, at + 1)
        if size < 5:
            return None
        if scope == _TAG_FILE:
            found = _file_cpu_arch(data[at + 5:at + size])
            if found is not None:
                return found
        at += size
    return None


def _file_cpu_arch(data: bytes) -> Optional[int]:
    """Walk (tag, value) attributes until ``Tag_CPU_arch``; None when it is absent or the bytes end."""
    at = 0
    while at < len(data):
        tag, at = _uleb128(data, at)
        if tag == _TAG_CPU_ARCH:
            return _uleb128(data, at)[0] if at < len(data) else None
        if tag == _TAG_COMPATIBILITY:
            at = _uleb128(data, at)[1]
        if _is_string(tag):
            end = data.find(b"\0", at)
            at = len(data) if end < 0 else end + 1
        else:
            at = _uleb128(data, at)[1]
    return None


def _is_string(tag: int) -> bool:
    """A string value (after Tag_compatibility's number): the named tags, and odd tags past 32 (the ARM ABI's rule)."""
    return tag in _STRING_TAGS or tag in (_TAG_COMPATIBILITY, _TAG_ALSO_COMPATIBLE_WITH) or (tag > 32 and tag % 2 == 1)


def _uleb128(data: bytes, at: int) -> tuple[int, int]:
    """(value, position after it) of the unsigned LEB128 number at ``at`` (cut short at the end of ``data``)."""
    value = shift = 0
    while at < len(data):
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return value, at
