"""A streaming, deterministic zip writer that can copy compressed members unchanged.

``zipfile`` can neither copy a member's compressed bytes nor fix timestamps
without rebuilding every ZipInfo, so wheels are written here: fixed
timestamps (1980-01-01), members in the order given, compressed data of
unchanged egg members copied as it is (inflated once, only to hash and
verify it), everything else deflated in chunks. Memory stays flat whatever
the size of the egg. Sizes past 4 GiB are refused (ZIP64 is not written).
"""
from __future__ import annotations

import base64
import hashlib
import struct
import sys
import zlib
from typing import BinaryIO, Iterable, NamedTuple, Union

from migrate.errors import MigrateError

_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01
_DOS_TIME = 0
_STORED, _DEFLATED = 0, 8
_LIMIT = 0xFFFFFFFF
_UTF8_FLAG = 0x800
_ONE_CALL = 1 << 20  # a copied member up to this size is inflated in one call


class CorruptMember(MigrateError, ValueError):
    """A copied member did not inflate to its declared size and CRC."""


class Written(NamedTuple):
    """One member as written: what RECORD needs."""

    arcname: str
    sha256: str  # RECORD form: urlsafe base64, no padding
    size: int


def _deflate(data: bytes, level: int) -> bytes:
    """Raw deflate of ``data``: the same stream as a ``compressobj`` fed it whole, then flushed."""
    if sys.version_info >= (3, 11):
        return zlib.compress(data, level, -15)
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def record_hash(digest: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _checked_digest(arcname: str, raw: bytes, method: int, crc: int, size: int) -> bytes:
    """The sha256 of what ``raw`` inflates to, checked against ``size`` and ``crc`` (the errors of
    :meth:`WheelZipWriter.add_raw`, in its order)."""
    data = raw
    if method == _DEFLATED:
        try:
            data = zlib.decompressobj(-15).decompress(raw, size + 1)
        except zlib.error as exc:
            raise CorruptMember(f"{arcname}: compressed data is corrupt ({exc})") from None
        if len(data) > size:
            raise CorruptMember(f"{arcname}: inflates beyond its declared {size} bytes")
    if len(data) != size or zlib.crc32(data) != crc:
        raise CorruptMember(f"{arcname}: stored data does not match its size/CRC (corrupt egg)")
    return hashlib.sha256(data).digest()


class WheelZipWriter:
    """Write members to a seekable binary file; call :meth:`close` to finish the archive."""

    def __init__(self, fp: BinaryIO, level: int = 6):
        self._fp = fp
        self._pos = fp.tell()  # kept here: a buffered file's tell() is a system call each time
        self._level = level
        # (name, method, crc, compressed size, size, local header offset, mode) of each member
        self._central: list[tuple[bytes, int, int, int, int, int, int]] = []

    def _local_header(self, name: bytes, method: int, crc: int, csize: int, usize: int) -> bytes:
        flags = 0 if name.isascii() else _UTF8_FLAG
        return struct.pack(
            "<4sHHHHHIIIHH", b"PK\x03\x04", 20, flags, method, _DOS_TIME, _DOS_DATE,
            crc, csize, usize, len(name), 0,
        ) + name

    def _put(self, data: bytes) -> None:
        self._fp.write(data)
        self._pos += len(data)

    def _check(self, *sizes: int) -> None:
        if any(s > _LIMIT for s in sizes) or self._pos > _LIMIT:
            raise CorruptMember("member or wheel larger than 4 GiB (ZIP64 is not supported)")

    def add_bytes(self, arcname: str, data: bytes, mode: int = 0o644) -> Written:
        """Deflate a member held in memory: the same bytes as :meth:`add_chunks`, written in one go
        (no seek back to the local header, which would flush the file's buffer each time)."""
        name = arcname.encode("utf-8")
        offset = self._pos
        compressed = _deflate(data, self._level)
        crc = zlib.crc32(data)
        self._put(self._local_header(name, _DEFLATED, crc, len(compressed), len(data)) + compressed)
        self._check(len(data), len(compressed))
        self._central.append((name, _DEFLATED, crc, len(compressed), len(data), offset, mode))
        return Written(arcname, record_hash(hashlib.sha256(data).digest()), len(data))

    def add_chunks(self, arcname: str, chunks: Iterable[bytes], mode: int = 0o644) -> Written:
        """Deflate a stream of uncompressed chunks into the archive."""
        name = arcname.encode("utf-8")
        offset = self._pos
        self._put(self._local_header(name, _DEFLATED, 0, 0, 0))
        compressor = zlib.compressobj(self._level, zlib.DEFLATED, -15)
        sha, crc, usize, csize = hashlib.sha256(), 0, 0, 0
        for chunk in chunks:
            sha.update(chunk)
            crc = zlib.crc32(chunk, crc)
            usize += len(chunk)
            out = compressor.compress(chunk)
            csize += len(out)
            self._put(out)
        out = compressor.flush()
        csize += len(out)
        self._put(out)
        self._check(usize, csize)
        self._fp.seek(offset)
        self._fp.write(self._local_header(name, _DEFLATED, crc, csize, usize))  # as long as the one it replaces
        self._fp.seek(self._pos)
        self._central.append((name, _DEFLATED, crc, csize, usize, offset, mode))
        return Written(arcname, record_hash(sha.digest()), usize)

    def add_raw(self, arcname: str, raw_chunks: Union[bytes, Iterable[bytes]], method: int, crc: int,
                compressed_size: int, size: int, mode: int = 0o644) -> Written:
        """Copy an already-compressed member, verifying its size and CRC as it passes
        (``raw_chunks`` may be the stored bytes of a small member, inflated in one call)."""
        if method not in (_STORED, _DEFLATED):
            raise ValueError(f"cannot copy compression method {method}")
        self._check(size, compressed_size)
        name = arcname.encode("utf-8")
        offset = self._pos
        self._put(self._local_header(name, method, crc, compressed_size, size))
        if isinstance(raw_chunks, bytes) and size <= _ONE_CALL:
            self._put(raw_chunks)
            digest = _checked_digest(arcname, raw_chunks, method, crc, size)
        else:
            chunks = (raw_chunks,) if isinstance(raw_chunks, bytes) else raw_chunks
            digest = self._copy_checked(arcname, chunks, method, crc, size)
        self._central.append((name, method, crc, compressed_size, size, offset, mode))
        return Written(arcname, record_hash(digest), size)

    def _copy_checked(self, arcname: str, raw_chunks: Iterable[bytes], method: int, crc: int, size: int) -> bytes:
        """Write the stored chunks, inflating them as they pass: the sha256 of the content, checked
        against ``size`` and ``crc``."""
        inflater = zlib.decompressobj(-15) if method == _DEFLATED else None
        sha, state = hashlib.sha256(), [0, 0]  # crc, size so far

        def feed(data: bytes) -> None:
            sha.update(data)
            state[0] = zlib.crc32(data, state[0])
            state[1] += len(data)
            if state[1] > size:
                raise CorruptMember(f"{arcname}: inflates beyond its declared {size} bytes")

        for chunk in raw_chunks:
            self._put(chunk)
            if inflater is None:
                feed(chunk)
                continue
            try:
                while chunk:
                    feed(inflater.decompress(chunk, 1 << 20))
                    chunk = inflater.unconsumed_tail
            except zlib.error as exc:
                raise CorruptMember(f"{arcname}: compressed data is corrupt ({exc})") from None
        if inflater:
            feed(inflater.flush())
        got_crc, usize = state
        if usize != size or got_crc != crc:
            raise CorruptMember(f"{arcname}: stored data does not match its size/CRC (corrupt egg)")
        return sha.digest()

    def add_checked(self, arcname: str, raw: bytes, method: int, crc: int, size: int, sha256: bytes,
                    mode: int = 0o644) -> Written:
        """Copy stored bytes already inflated and checked against ``size`` and ``crc`` (whose content
        hashes to ``sha256``): the same bytes as :meth:`add_raw`, without inflating them again."""
        if method not in (_STORED, _DEFLATED):
            raise ValueError(f"cannot copy compression method {method}")
        self._check(size, len(raw))
        name = arcname.encode("utf-8")
        offset = self._pos
        self._put(self._local_header(name, method, crc, len(raw), size))
        self._put(raw)
        self._central.append((name, method, crc, len(raw), size, offset, mode))
        return Written(arcname, record_hash(sha256), size)

    def close(self) -> None:
        start = self._pos
        for name, method, crc, csize, usize, offset, mode in self._central:
            flags = 0 if name.isascii() else _UTF8_FLAG
            self._put(struct.pack(
                "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", (3 << 8) | 20, 20, flags, method,
                _DOS_TIME, _DOS_DATE, crc, csize, usize, len(name), 0, 0, 0, 0,
                ((0o100000 | mode) << 16) & 0xFFFFFFFF, offset,
            ) + name)
        size = self._pos - start
        count = len(self._central)
        if count > 0xFFFF:
            raise CorruptMember("more than 65535 members (ZIP64 is not supported)")
        self._check(size)
        self._put(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, size, start, 0))
