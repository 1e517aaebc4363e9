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
from pathlib import Path
from typing import IO, TYPE_CHECKING, Iterator, NamedTuple, Optional

from migrate.eggs.zipdir import Info
from migrate.errors import MigrateError

if TYPE_CHECKING:  # only named in annotations: zipegg imports this module
    from migrate.eggs.zipegg import Checked

CHUNK = 1 << 16


class BrokenEgg(MigrateError, ValueError):
    """The egg cannot be read (truncated zip, missing EGG-INFO...)."""


class UnsafeEgg(BrokenEgg):
    """The egg holds something that must never be extracted."""


class Limits(NamedTuple):
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


class Member(NamedTuple):
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


def _plain_path(path: str) -> bool:
    """A path that is already relative, normalised and safe (most are): nothing to change or refuse."""
    return bool(path) and path[0] not in "/." and path[-1] not in "/." and path[1:2] != ":" \
        and "\\" not in path and "\x00" not in path and ".." not in path and "//" not in path and "/./" not in path


def check_member_path(path: str, egg: str) -> str:
    """Return a normalised relative posix path, or raise UnsafeEgg."""
    if _plain_path(path):
        return path
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


def refuse_unreadable(info: Info, egg: str) -> None:
    """Raise UnsafeEgg for a symlink or an encrypted member: neither is ever read."""
    if is_symlink(info):
        raise UnsafeEgg(f"{egg}: member {info.filename!r} is a symlink")
    if is_encrypted(info):
        raise UnsafeEgg(f"{egg}: member {info.filename!r} is encrypted")


def regular_file_path(info: Info, egg: str) -> str:
    """The normalised path of a member that is a regular file (or says no type); else UnsafeEgg."""
    if stat.S_IFMT(info.external_attr >> 16) not in (0, stat.S_IFREG):
        raise UnsafeEgg(f"{egg}: member {info.filename!r} is not a regular file")
    return check_member_path(info.filename, egg)


def refuse_bomb(info: Info, path: str, egg: str, limits: Limits) -> None:
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

    def read(self, member: Member, limit: int = 64 * 1024**2, keep: bool = False) -> bytes:
        """Whole content of a (small) member. ``keep``: an archive that can holds the checked
        stored bytes for :meth:`checked` (a zipped egg), so a copy need not inflate them again."""
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

    def stored(self, member: Member) -> Optional[bytes]:
        """The stored bytes of a small member in one read, when they can be copied as they are."""
        return None

    def checked(self, member: Member) -> Optional[Checked]:
        """The stored bytes ``read(member, keep=True)`` kept, with their content's sha256, or None."""
        return None

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


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
