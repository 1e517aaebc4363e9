"""Safe, read-only access to the files of an egg: zipped, folder or develop ``.egg-info``.

Every egg is untrusted input. Opening one validates the whole member list
before anything is read: no absolute or ``..`` paths, no symlinks, no
duplicates, no encrypted members, and compression ratios and total sizes
within limits (zip bombs). A refused egg raises :class:`UnsafeEgg` or
:class:`BrokenEgg` with a one-line reason; nothing is ever extracted.

The zip-safety rules (:class:`Limits`, :func:`is_symlink`, :func:`is_encrypted`,
:func:`is_absolute`, :func:`climbs_out`) are the ones ``check`` applies to wheels.
"""
from __future__ import annotations

import os
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator, Optional, Sequence

from migrate.eggs.zipdir import Info, read_entries
from migrate.errors import MigrateError

CHUNK = 1 << 16
_UTF8_FLAG, _DATA_DESCRIPTOR = 0x800, 0x8  # general purpose flag bits of a plain member


class BrokenEgg(MigrateError, ValueError):
    """The egg cannot be read (truncated zip, missing EGG-INFO...)."""


class UnsafeEgg(BrokenEgg):
    """The egg holds something that must never be extracted."""


@dataclass(frozen=True)
class Limits:
    """Zip bomb guards; generous for real eggs (the largest seen are ~100 MB)."""

    max_total_size: int = 4 * 1024**3  # sum of uncompressed sizes
    max_member_size: int = 2 * 1024**3
    max_ratio: int = 200  # uncompressed / compressed, checked for members over ratio_floor
    ratio_floor: int = 1024**2
    max_members: int = 200_000

    def too_many(self, count: int) -> bool:
        return count > self.max_members

    def too_large(self, size: int) -> bool:
        """One member larger than any real egg's."""
        return size > self.max_member_size

    def too_much(self, total: int) -> bool:
        """Members that add up to more than any real egg's."""
        return total > self.max_total_size

    def bomb_ratio(self, size: int, compressed: int) -> Optional[int]:
        """size:compressed of a member over ``ratio_floor`` that compresses too well (a zip bomb), else None."""
        if size > self.ratio_floor and size > self.max_ratio * max(compressed, 1):
            return size // max(compressed, 1)
        return None


def is_symlink(info: Info) -> bool:
    """A member whose unix mode says symlink: extracting it would write through the link."""
    return stat.S_IFMT(info.external_attr >> 16) == stat.S_IFLNK


def is_encrypted(info: Info) -> bool:
    return bool(info.flag_bits & 0x1)


def is_absolute(path: str) -> bool:
    """``/x``, ``\\x`` or ``C:x``: a member an extractor would write outside its folder."""
    path = path.replace("\\", "/")
    return path.startswith("/") or (len(path) > 1 and path[1] == ":")


def climbs_out(path: str) -> bool:
    """A ``..`` part (either slash): a member an extractor would write outside its folder."""
    return ".." in path.replace("\\", "/").split("/")


@dataclass(frozen=True)
class Member:
    """One regular file of an egg, path relative to the egg root (posix)."""

    path: str
    size: int
    mode: int  # unix permission bits, 0 when the archive does not say
    # Zip-only facts that allow copying the compressed bytes unchanged:
    method: int = -1  # zipfile.ZIP_STORED / ZIP_DEFLATED / ...; -1 for folder files
    compressed_size: int = 0
    crc: int = 0
    header_offset: int = 0
    stored_name: str = ""  # the name as the zip spells it

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def check_member_path(path: str, egg: str) -> str:
    """Return a normalised relative posix path, or raise UnsafeEgg."""
    if "\\" in path:
        path = path.replace("\\", "/")
    if is_absolute(path):
        raise UnsafeEgg(f"{egg}: member {path!r} has an absolute path")
    if climbs_out(path):
        raise UnsafeEgg(f"{egg}: member {path!r} escapes the archive ('..')")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts:
        raise UnsafeEgg(f"{egg}: member with an empty name")
    if "\x00" in path:
        raise UnsafeEgg(f"{egg}: member {path!r} has a NUL byte in its name")
    return "/".join(parts)


def _refuse_unreadable(info: Info, egg: str) -> None:
    """Raise UnsafeEgg for a symlink or an encrypted member: neither is ever read."""
    if is_symlink(info):
        raise UnsafeEgg(f"{egg}: member {info.filename!r} is a symlink")
    if is_encrypted(info):
        raise UnsafeEgg(f"{egg}: member {info.filename!r} is encrypted")


def _regular_file_path(info: Info, egg: str) -> str:
    """The normalised path of a member that is a regular file (or says no type); else UnsafeEgg."""
    if stat.S_IFMT(info.external_attr >> 16) not in (0, stat.S_IFREG):
        raise UnsafeEgg(f"{egg}: member {info.filename!r} is not a regular file")
    return check_member_path(info.filename, egg)


def _refuse_bomb(info: Info, path: str, egg: str, limits: Limits) -> None:
    """Raise UnsafeEgg for a member larger than any real egg's or one that compresses too well."""
    if limits.too_large(info.file_size):
        raise UnsafeEgg(f"{egg}: member {path!r} is {info.file_size} bytes (limit {limits.max_member_size})")
    ratio = limits.bomb_ratio(info.file_size, info.compress_size)
    if ratio is not None:
        raise UnsafeEgg(f"{egg}: member {path!r} compresses {ratio}:1 (zip bomb?)")


class EggArchive:
    """The files of one egg. Subclasses: :class:`ZipEgg`, :class:`FolderEgg`."""

    path: Path
    members: list[Member]  # sorted by path

    def open(self, member: Member) -> IO[bytes]:
        raise NotImplementedError

    def read(self, member: Member, limit: int = 64 * 1024**2) -> bytes:
        """Whole content of a (small) member."""
        if member.size > limit:
            raise BrokenEgg(f"{self.path.name}: {member.path} is too large to read whole ({member.size} bytes)")
        with self.open(member) as fp:
            data = fp.read(limit + 1)
        if len(data) > limit:
            raise UnsafeEgg(f"{self.path.name}: {member.path} inflates beyond its declared size")
        return data

    def head(self, member: Member, size: int) -> bytes:
        """The first ``size`` bytes of a member (fewer when it is shorter)."""
        with self.open(member) as fp:
            return fp.read(size)

    def raw_chunks(self, member: Member) -> Optional[Iterator[bytes]]:
        """The stored (compressed) bytes of a member, when they can be copied as they are."""
        return None

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class ZipEgg(EggArchive):
    """A zipped ``.egg`` file."""

    def __init__(self, path: Path, limits: Limits = Limits()):
        self.path = Path(path)
        name = self.path.name
        self._zip: Optional[zipfile.ZipFile] = None  # made when a member needs zipfile (see zipdir)
        try:
            self._fp: IO[bytes] = open(self.path, "rb")
            entries: Optional[Sequence[Info]] = read_entries(self._fp)
            if entries is None:
                self._zip = zipfile.ZipFile(self._fp)
                entries = self._zip.infolist()
        except zipfile.BadZipFile as exc:
            self.close()
            raise BrokenEgg(f"{name}: not a readable zip file ({exc})") from None
        except OSError as exc:
            self.close()
            raise BrokenEgg(f"{name}: cannot open ({exc.strerror or exc})") from None
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
        for info in infos:
            _refuse_unreadable(info, name)
            if info.is_dir():
                check_member_path(info.filename, name)
                continue
            path = _regular_file_path(info, name)
            if path in seen:
                raise UnsafeEgg(f"{name}: member {path!r} appears twice")
            seen.add(path)
            _refuse_bomb(info, path, name, limits)
            total += info.file_size
            if limits.too_much(total):
                raise UnsafeEgg(f"{name}: members add up to more than {limits.max_total_size} bytes (zip bomb?)")
            members.append(
                Member(
                    path=path,
                    size=info.file_size,
                    mode=stat.S_IMODE(info.external_attr >> 16),
                    method=info.compress_type,
                    compressed_size=info.compress_size,
                    crc=info.CRC,
                    header_offset=info.header_offset,
                    stored_name=info.filename,
                )
            )
        members.sort(key=lambda m: m.path)
        return members

    def open(self, member: Member) -> IO[bytes]:
        try:
            if self._zip is None:
                self._zip = zipfile.ZipFile(self._fp)
            return self._zip.open(self._zip.getinfo(member.stored_name))
        except (zipfile.BadZipFile, zlib.error, OSError, NotImplementedError) as exc:
            raise BrokenEgg(f"{self.path.name}: cannot read {member.path} ({exc})") from None

    def read(self, member: Member, limit: int = 64 * 1024**2) -> bytes:
        """Whole content of a (small) member: its stored bytes inflated in one call and checked
        against the declared size and CRC; unusual members go through ``zipfile``."""
        if member.size > limit or member.method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) \
                or member.compressed_size > limit:
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
            data = raw if member.method == zipfile.ZIP_STORED else zlib.decompressobj(-15).decompress(raw, limit + 1)
        except zlib.error as exc:
            raise BrokenEgg(f"{self.path.name}: cannot read {member.path} ({exc})") from None
        if len(data) > limit:
            raise UnsafeEgg(f"{self.path.name}: {member.path} inflates beyond its declared size")
        if len(data) != member.size or zlib.crc32(data) != member.crc:
            raise BrokenEgg(f"{self.path.name}: cannot read {member.path} (its size or CRC-32 is not the declared one)")
        return data

    def head(self, member: Member, size: int) -> bytes:
        """The first bytes, inflated from the start of the stored bytes (zipfile for unusual members)."""
        start = self._data_start(member, plain_only=True) \
            if member.method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) else None
        if start is None:
            return super().head(member, size)
        self._fp.seek(start)
        raw = self._fp.read(min(member.compressed_size, max(size, 4096)))
        if member.method == zipfile.ZIP_STORED:
            return raw[:size]
        try:
            data = zlib.decompressobj(-15).decompress(raw, size)
        except zlib.error as exc:
            raise BrokenEgg(f"{self.path.name}: cannot read {member.path} ({exc})") from None
        if len(data) < min(size, member.size) and len(raw) < member.compressed_size:
            return super().head(member, size)
        return data

    def raw_chunks(self, member: Member) -> Optional[Iterator[bytes]]:
        if member.method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
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
            if flags & ~(_UTF8_FLAG | _DATA_DESCRIPTOR) or name.decode("utf-8" if flags & _UTF8_FLAG else "cp437",
                                                                      "replace") != member.stored_name:
                return None
        return member.header_offset + 30 + name_len + extra_len

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
        if self._zip is not None:
            self._zip.close()
        fp = getattr(self, "_fp", None)
        if fp is not None:
            fp.close()


def _no_symlinked_folder(root: Path, rel: str, name: str, plain: set[str]) -> None:
    """UnsafeEgg when a folder on the way to ``rel`` is a symlink: its files may be anywhere
    (a develop ``.egg-info`` whose package folder links out of the tree)."""
    parts = rel.split("/")[:-1]
    for n in range(1, len(parts) + 1):
        folder = "/".join(parts[:n])
        if folder in plain:
            continue
        if (root / folder).is_symlink():
            raise UnsafeEgg(f"{name}: {folder} is a symlink")
        plain.add(folder)


class FolderEgg(EggArchive):
    """A folder egg (``Foo-1.0-py2.7.egg/``) or the code beside a develop ``.egg-info``."""

    def __init__(self, root: Path, files: Optional[list[str]] = None, limits: Limits = Limits()):
        self.path = Path(root)
        name = self.path.name
        if not self.path.is_dir():
            raise BrokenEgg(f"{name}: not a folder")
        rels = files if files is not None else self._walk(self.path, name)
        members: list[Member] = []
        total = 0
        plain_dirs: set[str] = set()  # folders checked not to be symlinks
        for rel in sorted(set(rels)):
            rel = check_member_path(rel, name)
            _no_symlinked_folder(self.path, rel, name, plain_dirs)
            full = self.path / rel
            try:
                st = full.lstat()
            except FileNotFoundError:
                continue  # installed-files.txt may list files that are gone
            if stat.S_ISLNK(st.st_mode):
                raise UnsafeEgg(f"{name}: {rel} is a symlink")
            if not stat.S_ISREG(st.st_mode):
                continue
            total += st.st_size
            if limits.too_much(total):
                raise UnsafeEgg(f"{name}: files add up to more than {limits.max_total_size} bytes")
            members.append(Member(path=rel, size=st.st_size, mode=stat.S_IMODE(st.st_mode)))
        self.members = members

    @staticmethod
    def _walk(root: Path, name: str) -> list[str]:
        found = []
        for dirpath, dirnames, filenames in os.walk(root):
            here = Path(dirpath)
            for d in dirnames:
                if (here / d).is_symlink():
                    raise UnsafeEgg(f"{name}: {(here / d).relative_to(root)} is a symlink")
            for f in filenames:
                found.append((here / f).relative_to(root).as_posix())
        return found

    def open(self, member: Member) -> IO[bytes]:
        full = self.path / member.path
        try:
            return open(full, "rb")
        except OSError as exc:
            raise BrokenEgg(f"{self.path.name}: cannot read {member.path} ({exc.strerror})") from None
