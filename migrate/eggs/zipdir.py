"""The central directory of a plain zip file, read with ``struct`` in one pass.

``zipfile.ZipFile`` builds a ``ZipInfo`` per member (dates, extra fields, a dozen
attributes) and costs more than the rest of opening a small egg. Eggs are plain zips:
no comment, no ZIP64, nothing before the first member. For those, this reads the same
facts ``zipfile`` would (name decoded the same way, sizes, CRC, method, flags,
attributes, offset); for anything else it answers None and ``zipfile`` reads the file,
so every check downstream sees what it always saw.
"""
from __future__ import annotations

import struct
from typing import IO, Optional, Protocol

_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record (22 bytes)
_ENTRY = struct.Struct("<4s4B4HL2L5H2L")  # central directory header (46 bytes), zipfile.structCentralDir
_ZIP64_LOCATOR = b"PK\x06\x07"
_MAX_EXTRACT_VERSION = 63  # zipfile refuses later ones
_ZIP64_LIMIT = 0xFFFFFFFF


class Info(Protocol):
    """What the checks read of a member: a ``zipfile.ZipInfo`` or a ``zipdir.Entry``."""

    filename: str
    flag_bits: int
    compress_type: int
    CRC: int
    compress_size: int
    file_size: int
    external_attr: int
    header_offset: int

    def is_dir(self) -> bool: ...


class Entry:
    """One central directory entry: the ``ZipInfo`` attributes the archive checks read."""

    __slots__ = ("filename", "flag_bits", "compress_type", "CRC", "compress_size", "file_size", "external_attr",
                 "header_offset")

    def __init__(self, filename: str, flag_bits: int, compress_type: int, crc: int, compress_size: int,
                 file_size: int, external_attr: int, header_offset: int):
        self.filename = filename
        self.flag_bits = flag_bits
        self.compress_type = compress_type
        self.CRC = crc
        self.compress_size = compress_size
        self.file_size = file_size
        self.external_attr = external_attr
        self.header_offset = header_offset

    def is_dir(self) -> bool:
        return self.filename[-1:] == "/"


def read_entries(fp: IO[bytes]) -> Optional[list[Entry]]:
    """The entries of a plain zip, in central directory order; None for any other file."""
    size = fp.seek(0, 2)
    if size < _EOCD.size + 20:
        return None
    fp.seek(size - _EOCD.size - 20)
    tail = fp.read(_EOCD.size + 20)
    sig, disk, cd_disk, _count_here, _count, cd_size, cd_offset, comment = _EOCD.unpack(tail[20:])
    if sig != b"PK\x05\x06" or comment or disk or cd_disk or tail[:4] == _ZIP64_LOCATOR:
        return None
    if cd_offset + cd_size != size - _EOCD.size:  # data before the zip or after its directory
        return None
    fp.seek(cd_offset)
    directory = fp.read(cd_size)
    if len(directory) != cd_size:
        return None
    return _entries(directory)


def _entries(directory: bytes) -> Optional[list[Entry]]:
    entries = []
    pos, end, step = 0, len(directory), _ENTRY.size
    while pos < end:
        if pos + step > end:
            return None
        fields = _ENTRY.unpack_from(directory, pos)
        (sig, _cv, _cs, extract_version, _r, flags, method, _t, _d, crc, csize, usize, name_len, extra_len,
         comment_len, _disk, _internal, external, offset) = fields
        start = pos + step
        pos = start + name_len + extra_len + comment_len
        if sig != b"PK\x01\x02" or pos > end or extract_version > _MAX_EXTRACT_VERSION \
                or _ZIP64_LIMIT in (csize, usize, offset) or not _plain_extra(directory[start + name_len:start + name_len + extra_len]):
            return None
        raw = directory[start:start + name_len]
        try:
            name = raw.decode("ascii") if raw.isascii() else raw.decode("utf-8") if flags & 0x800 else raw.decode("cp437")
        except UnicodeDecodeError:
            return None
        if "\x00" in name:
            return None
        entries.append(Entry(name, flags, method, crc, csize, usize, external, offset))
    return entries


def _plain_extra(extra: bytes) -> bool:
    """Extra fields zipfile would pass over unchanged: well formed, no ZIP64 record."""
    while len(extra) >= 4:
        kind, length = struct.unpack_from("<HH", extra)
        if length + 4 > len(extra) or kind == 0x0001:
            return False
        extra = extra[length + 4:]
    return True
