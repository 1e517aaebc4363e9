"""A zipped ``.egg`` file: its members checked once, their stored bytes read with ``struct``.

``zipfile`` is loaded only for a zip that is not plain (see :mod:`zipdir`) or a member
that is not stored or deflated. A member read whole for analysis (a binary) can be
*kept*: its stored bytes and the sha256 of what they inflate to, already checked
against the declared size and CRC, so that the wheel copies them without inflating
them a second time.
"""
from __future__ import annotations

import hashlib
import io
import os
import stat
import struct
import zlib
from pathlib import Path
from typing import IO, TYPE_CHECKING, Iterator, NamedTuple, Optional, Sequence

from migrate.eggs.archive import (
    CHUNK,
    BrokenEgg,
    EggArchive,
    Limits,
    Member,
    UnsafeEgg,
    check_member_path,
    refuse_bomb,
    refuse_unreadable,
    regular_file_path,
)
from migrate.eggs.zipdir import Info, read_entries

if TYPE_CHECKING:
    import zipfile

_STORED, _DEFLATED = 0, 8  # zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED
_UTF8_FLAG, _DATA_DESCRIPTOR = 0x800, 0x8  # general purpose flag bits of a plain member
_KEEP_BUDGET = 64 * 1024**2  # stored bytes kept per egg at most: memory stays flat in the egg's size
_SMALL = 1024**2  # an egg up to this size is read whole


class Checked(NamedTuple):
    """A member's stored bytes, checked against its size and CRC, and the sha256 of their content."""

    raw: bytes
    sha256: bytes


def _decoded(name: bytes, flags: int, errors: str = "strict") -> str:
    """A member name as zipfile decodes it: UTF-8 when flagged, else cp437 (the same as ASCII on
    an ASCII name, which is decoded the fast way)."""
    if name.isascii():
        return name.decode("ascii")
    return name.decode("utf-8" if flags & _UTF8_FLAG else "cp437", errors)


def _zipfile():
    import zipfile  # only for zips that are not plain

    return zipfile


def _open(path: Path) -> IO[bytes]:
    """The egg's file; a small one read whole in one call (its members are then read without a
    system call each). Read with ``os`` calls: a Python file object would add a seek, an ioctl
    and two stats around that one read."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        size = os.fstat(fd).st_size
        if size > _SMALL:
            fp = open(fd, "rb")
            fd = -1  # closed with fp
            return fp
        return io.BytesIO(_read_to_end(fd, size))
    finally:
        if fd >= 0:
            os.close(fd)


def _read_to_end(fd: int, size: int) -> bytes:
    """All of a file that ``fstat`` says holds ``size`` bytes: one read when it does, else read
    on to its end (what ``read()`` of a file object gives, whatever its size is by then)."""
    data = os.read(fd, size + 1)
    if len(data) == size:  # a read of a regular file returns less than asked only at its end
        return data
    chunks = [data]
    while chunks[-1]:
        chunks.append(os.read(fd, CHUNK))
    return b"".join(chunks)


class ZipEgg(EggArchive):
    """A zipped ``.egg`` file."""

    def __init__(self, path: Path, limits: Limits = Limits()):
        self.path = path if isinstance(path, Path) else Path(path)
        name = self.path.name
        self._zip: Optional[zipfile.ZipFile] = None  # made when a member needs zipfile (see zipdir)
        self._kept: dict[str, Checked] = {}
        self._budget = _KEEP_BUDGET
        try:
            self._fp: IO[bytes] = _open(self.path)
            entries: Optional[Sequence[Info]] = read_entries(self._fp)
            if entries is None:
                self._zip = _zipfile().ZipFile(self._fp)
                entries = self._zip.infolist()
        except OSError as exc:
            self.close()
            raise BrokenEgg(f"{name}: cannot open ({exc.strerror or exc})") from None
        except Exception as exc:
            self.close()
            if isinstance(exc, _zipfile().BadZipFile):
                raise BrokenEgg(f"{name}: not a readable zip file ({exc})") from None
            raise
        try:
            self.members = self._validate(entries, name, limits)
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _validate(infos: Sequence[Info], name: str, limits: Limits) -> list[Member]:
        if limits.too_many(len(infos)):
            raise UnsafeEgg(f"{name}: {len(infos)} members (limit {limits.max_members})")
        seen: set[str] = set()
        members: list[Member] = []
        total = 0
        small = min(limits.ratio_floor, limits.max_member_size)  # neither bomb check can refuse below this
        for info in infos:
            refuse_unreadable(info, name)
            if info.is_dir():
                check_member_path(info.filename, name)
                continue
            path = regular_file_path(info, name)
            if path in seen:
                raise UnsafeEgg(f"{name}: member {path!r} appears twice")
            seen.add(path)
            size = info.file_size
            if size > small:
                refuse_bomb(info, path, name, limits)
            total += size
            if limits.too_much(total):
                raise UnsafeEgg(f"{name}: members add up to more than {limits.max_total_size} bytes (zip bomb?)")
            members.append(Member(path, size, stat.S_IMODE(info.external_attr >> 16), info.compress_type,
                                  info.compress_size, info.CRC, info.header_offset, info.filename))
        members.sort(key=lambda m: m.path)
        return members

    def open(self, member: Member) -> IO[bytes]:
        zipfile = _zipfile()
        try:
            if self._zip is None:
                self._zip = zipfile.ZipFile(self._fp)
            return self._zip.open(self._zip.getinfo(member.stored_name))
        except (zipfile.BadZipFile, zlib.error, OSError, NotImplementedError) as exc:
            raise BrokenEgg(f"{self.path.name}: cannot read {member.path} ({exc})") from None

    def read(self, member: Member, limit: int = 64 * 1024**2, keep: bool = False) -> bytes:
        """Whole content of a (small) member: its stored bytes inflated in one call and checked
        against the declared size and CRC; unusual members go through ``zipfile``. ``keep``:
        hold the checked stored bytes for :meth:`checked` (within a budget per egg)."""
        if member.size > limit or member.method not in (_STORED, _DEFLATED) or member.compressed_size > limit:
            return super().read(member, limit)
        start = self._data_start(member, plain_only=True)
        if start is None:
            return super().read(member, limit)
        fp = self._fp
        fp.seek(start)
        raw = fp.read(member.compressed_size)
        if len(raw) != member.compressed_size:
            raise BrokenEgg(f"{self.path.name}: {member.path} is truncated")
        try:
            data = raw if member.method == _STORED else zlib.decompressobj(-15).decompress(raw, limit + 1)
        except zlib.error as exc:
            raise BrokenEgg(f"{self.path.name}: cannot read {member.path} ({exc})") from None
        if len(data) > limit:
            raise UnsafeEgg(f"{self.path.name}: {member.path} inflates beyond its declared size")
        if len(data) != member.size or zlib.crc32(data) != member.crc:
            raise BrokenEgg(f"{self.path.name}: cannot read {member.path} (its size or CRC-32 is not the declared one)")
        if keep and len(raw) <= self._budget:
            self._budget -= len(raw)
            self._kept[member.path] = Checked(raw, hashlib.sha256(data).digest())
        return data

    def checked(self, member: Member) -> Optional[Checked]:
        """The stored bytes :meth:`read` kept for ``member`` (handed over once), or None."""
        return self._kept.pop(member.path, None)

    def head(self, member: Member, size: int) -> bytes:
        """The first bytes, inflated from the start of the stored bytes (zipfile for unusual members)."""
        start = self._data_start(member, plain_only=True) if member.method in (_STORED, _DEFLATED) else None
        if start is None:
            return super().head(member, size)
        self._fp.seek(start)
        raw = self._fp.read(min(member.compressed_size, max(size, 4096)))
        if member.method == _STORED:
            return raw[:size]
        try:
            data = zlib.decompressobj(-15).decompress(raw, size)
        except zlib.error as exc:
            raise BrokenEgg(f"{self.path.name}: cannot read {member.path} ({exc})") from None
        if len(data) < min(size, member.size) and len(raw) < member.compressed_size:
            return super().head(member, size)
        return data

    def raw_chunks(self, member: Member) -> Optional[Iterator[bytes]]:
        if member.method not in (_STORED, _DEFLATED):
            return None
        return self._raw(member)

    def _data_start(self, member: Member, plain_only: bool = False) -> Optional[int]:
        """Where the member's stored bytes start, after its local header. ``plain_only``: None
        when the local header is not the plain kind (a flag or a name zipfile would look into)."""
        fp = self._fp
        fp.seek(member.header_offset)
        header = fp.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise BrokenEgg(f"{self.path.name}: bad local header for {member.path} (truncated zip?)")
        flags, = struct.unpack("<H", header[6:8])
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        if plain_only:
            name = fp.read(name_len)
            if flags & ~(_UTF8_FLAG | _DATA_DESCRIPTOR) or _decoded(name, flags, "replace") != member.stored_name:
                return None
        return member.header_offset + 30 + name_len + extra_len

    def stored(self, member: Member) -> Optional[bytes]:
        """The stored bytes of a small member (at most one chunk) in one read; None for the others."""
        if member.method not in (_STORED, _DEFLATED) or member.compressed_size > CHUNK:
            return None
        start = self._data_start(member)
        assert start is not None, "without plain_only there is always a start"
        self._fp.seek(start)
        raw = self._fp.read(member.compressed_size)
        if len(raw) != member.compressed_size:
            raise BrokenEgg(f"{self.path.name}: {member.path} is truncated")
        return raw

    def _raw(self, member: Member) -> Iterator[bytes]:
        fp = self._fp
        start = self._data_start(member)
        assert start is not None, "without plain_only there is always a start"
        fp.seek(start)
        left = member.compressed_size
        while left:
            chunk = fp.read(min(CHUNK, left))
            if not chunk:
                raise BrokenEgg(f"{self.path.name}: {member.path} is truncated")
            left -= len(chunk)
            yield chunk

    def close(self) -> None:
        self._kept = {}
        if self._zip is not None:
            self._zip.close()
        fp = getattr(self, "_fp", None)
        if fp is not None:
            fp.close()
