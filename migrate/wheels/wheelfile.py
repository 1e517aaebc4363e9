"""Reading a built wheel back: its ``*.dist-info/METADATA``, the one at the top of the zip.

Wherever a wheel is read again (publishing a mirror, uploading, pinning from an
index without PEP 658 ``.metadata`` files) its METADATA comes from here. An
ordinary in-memory wheel (no archive comment, no ZIP64, one disk) is read
straight from its central directory, 5x faster than ``zipfile``, which a
100,000-wheel publish notices; anything else goes through ``zipfile``.
"""
from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from functools import lru_cache
from typing import BinaryIO, Optional, TypeVar, Union

from packaging.version import InvalidVersion, Version

from migrate.eggs import canonicalize_name
from migrate.errors import MigrateError

_SUFFIX = ".dist-info/METADATA"
_T = TypeVar("_T")
# (name, method, flags, crc, compressed size, size, local header offset) of a central directory entry
_Entry = tuple[str, int, int, int, int, int, int]


class WheelMetadataError(MigrateError, ValueError):
    """No METADATA, or several, where a wheel must have exactly one; one line."""


def read_metadata(wheel: Union[bytes, str, os.PathLike, BinaryIO], name: Optional[str] = None,
                  version: Optional[Version] = None, limit: Optional[int] = None) -> bytes:
    """The bytes of the wheel's top-level ``*.dist-info/METADATA`` (``wheel``: its bytes, path or file).

    With ``name`` (PEP 503 normalised) and ``version``, only ``<name>-<version>.dist-info``
    counts: the one the file name promises. Raises :class:`WheelMetadataError` unless
    exactly one counts; a broken zip raises what ``zipfile``/``zlib``/``struct`` raise.
    ``limit``: the most bytes METADATA may inflate to (a hostile wheel must not cost gigabytes);
    a larger one raises :class:`WheelMetadataError` before it is inflated.
    """
    if isinstance(wheel, bytes):
        found = _fast_members(wheel)
        if found is not None:
            member = _only([m for m in found if _counts(m[0], name, version)], name is not None)
            _check_size(member[5], limit)
            return _fast_read(wheel, *member[1:])
        wheel = io.BytesIO(wheel)
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if n.count("/") == 1 and n.endswith(_SUFFIX)]
        member_name = _only([n for n in names if _counts(n, name, version)], name is not None)
        _check_size(zf.getinfo(member_name).file_size, limit)
        with zf.open(member_name) as fp:
            data = fp.read() if limit is None else fp.read(limit + 1)
        _check_size(len(data), limit)
        return data


def _check_size(size: int, limit: Optional[int]) -> None:
    if limit is not None and size > limit:
        raise WheelMetadataError(f"METADATA inflates to {size} bytes or more, over the limit of {limit}")


def _only(found: list[_T], named: bool) -> _T:
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise WheelMetadataError("several .dist-info/METADATA files")
    raise WheelMetadataError("no <name>-<version>.dist-info/METADATA matching the file name" if named
                             else "no .dist-info/METADATA")


def _counts(member: str, name: Optional[str], version: Optional[Version]) -> bool:
    return name is None or _dist_info_stem(member[: -len(_SUFFIX)]) == (name, version)


@lru_cache(maxsize=1024)  # bounded: a publish of 16,000 wheels asks for 16,000 names, mostly once
def _dist_info_stem(stem: str) -> Optional[tuple[str, Version]]:
    """(normalised name, Version) of ``name-version``; None when the version is none."""
    project, _, ver = stem.rpartition("-")
    try:
        return canonicalize_name(project), Version(ver)
    except InvalidVersion:
        return None


_EOCD = struct.Struct("<4s4H2LH")
_CDIR = struct.Struct("<4s6H3L5H2L")
_CDIR_LENGTHS = struct.Struct("<3H")  # name, extra and comment lengths, at offset 28
_LOCAL = struct.Struct("<4s5H3L2H")


def _fast_members(data: bytes) -> Optional[list[_Entry]]:
    """The central directory entries of top-level ``*.dist-info/METADATA`` members, or None when the archive is not a plain one (comment, ZIP64, several disks)."""
    if len(data) < 22:
        raise zipfile.BadZipFile("File is not a zip file")
    sig, disk, cd_disk, n_here, n_total, cd_size, cd_offset, comment = _EOCD.unpack_from(data, len(data) - 22)
    if sig != b"PK\x05\x06" or disk or cd_disk or n_here != n_total or comment or cd_offset == 0xFFFFFFFF \
            or n_total == 0xFFFF or cd_offset + cd_size > len(data) - 22:
        return None
    out: list[_Entry] = []
    pos, lengths, suffix = cd_offset, _CDIR_LENGTHS.unpack_from, _SUFFIX.encode()
    for _ in range(n_total):  # only the lengths of each entry; the whole header of a match
        if data[pos:pos + 4] != b"PK\x01\x02":
            raise zipfile.BadZipFile("bad central directory")
        nlen, elen, clen = lengths(data, pos + 28)
        end = pos + 46 + nlen
        if data.endswith(suffix, pos + 46, end) and data.count(b"/", pos + 46, end) == 1:
            (_sig, _made, _need, flags, method, _t, _d, crc, csize, usize, _n, _e, _c, _disk, _int, _ext,
             offset) = _CDIR.unpack_from(data, pos)
            if 0xFFFFFFFF in (csize, usize, offset):
                return None
            out.append((data[pos + 46:end].decode("utf-8", "surrogateescape"), method, flags, crc, csize, usize, offset))
        pos = end + elen + clen
    return out


def _fast_read(data: bytes, method: int, flags: int, crc: int, csize: int, usize: int, offset: int) -> bytes:
    sig, _need, _flags, _m, _t, _d, _crc, _cs, _us, nlen, elen = _LOCAL.unpack_from(data, offset)
    if sig != b"PK\x03\x04" or flags & 1:
        raise zipfile.BadZipFile("bad local header or encrypted member")
    start = offset + 30 + nlen + elen
    raw = data[start:start + csize]
    if method == 0:
        out = raw
    elif method == 8:
        out = zlib.decompressobj(-15).decompress(raw, usize + 1)  # never more than the size it declares
    else:
        raise zipfile.BadZipFile(f"unsupported compression method {method}")
    if len(out) != usize or zlib.crc32(out) != crc:
        raise zipfile.BadZipFile("METADATA does not match its size/CRC")
    return out
