"""One wheel opened once for all the checks: its members, name, dist-info and binaries.

Every wheel is untrusted input. Members that zip safety refuses (symlinks,
encrypted, zip bombs: the egg reader's rules, ``migrate.eggs.archive``) are
never inflated; every read is bounded by the member's declared size, which
``zipfile`` enforces while it inflates.
"""
from __future__ import annotations

import hashlib
import re
import tempfile
import zipfile
import zlib
from functools import cached_property
from pathlib import Path
from typing import Iterable, Iterator, Optional, Union

from packaging.tags import Tag
from packaging.utils import BuildTag, InvalidWheelFilename, NormalizedName, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from migrate.binaries import BinaryFacts, analyse
from migrate.eggs import CHUNK, Limits, is_encrypted, is_symlink
from migrate.errors import MigrateError
from migrate.wheels import is_binary, record_hash

_DIST_INFO = re.compile(r"^[^/]+-[^/]+\.dist-info$")
_DATA = re.compile(r"^[^/]+-[^/]+\.data$")
_LIBRARY_DATA = re.compile(r"^[^/]+-[^/]+\.data/(?:purelib|platlib)/(?P<rest>.+)$")
TEXT_LIMIT = 16 * 1024**2  # METADATA, WHEEL, RECORD, entry_points.txt


class UnreadableWheel(MigrateError):
    """The file is not a zip archive at all; no other check can run."""


class UnreadableMember(MigrateError):
    """A member cannot be inflated (refused as unsafe, corrupt, unsupported method)."""


class OpenWheel:
    """A wheel file opened for checking. Use as a context manager."""

    def __init__(self, path: Union[str, Path], limits: Limits = Limits()):
        self.path = Path(path)
        self.name = self.path.name
        self.limits = limits
        try:
            self._zip = zipfile.ZipFile(self.path)
        except zipfile.BadZipFile as exc:
            raise UnreadableWheel(f"not a zip archive ({exc})") from None
        except OSError as exc:
            raise UnreadableWheel(f"cannot open ({exc.strerror or exc})") from None
        self.infos = tuple(self._zip.infolist())
        self.files = tuple(i for i in self.infos if not i.filename.endswith("/"))
        self.by_name = {i.filename: i for i in self.files}  # last of duplicates wins, like zipfile

    def close(self) -> None:
        self._zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- reading -----------------------------------------------------------------------

    def refused(self, info: zipfile.ZipInfo) -> Optional[str]:
        """Why this member must not be inflated, or None."""
        if is_symlink(info):
            return "a symlink"
        if is_encrypted(info):
            return "encrypted"
        return self.oversized(info)

    def oversized(self, info: zipfile.ZipInfo) -> Optional[str]:
        """Why this member looks like a zip bomb (too large, compressed too well), or None."""
        limits = self.limits
        if limits.too_large(info.file_size):
            return f"{info.file_size} bytes (limit {limits.max_member_size})"
        ratio = limits.bomb_ratio(info.file_size, info.compress_size)
        if ratio is not None:
            return f"compressed {ratio}:1 (zip bomb?)"
        return None

    def chunks(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """The member's content in chunks; raises UnreadableMember (CRC, method, refused)."""
        why = self.refused(info)
        if why:
            raise UnreadableMember(f"{info.filename}: not read ({why})")
        try:
            with self._zip.open(info) as fp:
                while True:
                    chunk = fp.read(CHUNK)
                    if not chunk:
                        return
                    yield chunk
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError, RuntimeError) as exc:
            raise UnreadableMember(f"{info.filename}: cannot be read ({exc})") from None

    def head(self, info: zipfile.ZipInfo, size: int = 128) -> bytes:
        """The first bytes of a member (b"" when it cannot be read)."""
        if self.refused(info):
            return b""
        try:
            with self._zip.open(info) as fp:
                return fp.read(size)
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError, RuntimeError):
            return b""

    def read(self, name: str, limit: int = TEXT_LIMIT) -> Optional[bytes]:
        """A whole (small) member, or None when absent. Raises UnreadableMember."""
        info = self.by_name.get(name)
        if info is None:
            return None
        if info.file_size > limit:
            raise UnreadableMember(f"{name}: {info.file_size} bytes, too large to read whole")
        return b"".join(self.chunks(info))

    @cached_property
    def digests(self) -> dict[str, Union[tuple[str, int], str]]:
        """{member name: ("sha256=<urlsafe b64>", size) or the reason it cannot be read}."""
        out: dict[str, Union[tuple[str, int], str]] = {}
        for info in self.files:
            sha, size = hashlib.sha256(), 0
            try:
                for chunk in self.chunks(info):
                    sha.update(chunk)
                    size += len(chunk)
            except UnreadableMember as exc:
                out[info.filename] = str(exc)
                continue
            out[info.filename] = (record_hash(sha.digest()), size)
        return out

    # --- what the name says ------------------------------------------------------------

    @cached_property
    def parsed(self) -> Optional[tuple[NormalizedName, Version, BuildTag, frozenset[Tag]]]:
        """(name, Version, build, frozenset[Tag]) from the file name, or None when it does not parse."""
        try:
            return parse_wheel_filename(self.name)
        except InvalidWheelFilename:
            return None

    @property
    def tags(self) -> frozenset[Tag]:
        return self.parsed[3] if self.parsed else frozenset()

    @cached_property
    def dist_info_dirs(self) -> tuple[str, ...]:
        return tuple(sorted({n.split("/", 1)[0] for n in self.by_name if "/" in n and _DIST_INFO.match(n.split("/", 1)[0])}))

    @cached_property
    def data_dirs(self) -> tuple[str, ...]:
        return tuple(sorted({n.split("/", 1)[0] for n in self.by_name if "/" in n and _DATA.match(n.split("/", 1)[0])}))

    @cached_property
    def dist_info(self) -> Optional[str]:
        """The .dist-info folder the checks read: the one the file name names, else the only one."""
        dirs = self.dist_info_dirs
        if self.parsed:
            for d in dirs:
                if dist_info_matches(d, self.parsed[0], self.parsed[1]):
                    return d
        return dirs[0] if len(dirs) == 1 else None

    def dist_info_file(self, name: str) -> Optional[str]:
        return f"{self.dist_info}/{name}" if self.dist_info else None

    # --- what the content says ---------------------------------------------------------

    def library_files(self) -> list[tuple[str, str]]:
        """[(path as installed under site-packages, member name)]: root and .data/{pure,plat}lib."""
        out = []
        for name in self.by_name:
            top = name.split("/", 1)[0]
            if _DIST_INFO.match(top):
                continue
            m = _LIBRARY_DATA.match(name)
            if m:
                out.append((m["rest"], name))
            elif not _DATA.match(top):
                out.append((name, name))
        return out

    @cached_property
    def binaries(self) -> tuple[BinaryFacts, ...]:
        """BinaryFacts for every binary member (``.so``, ``.pyd``, ``.dylib``, ``.dll``, ``.so.N``)."""
        found = []
        for info in self.files:
            if not is_binary(info.filename):
                continue
            try:
                with tempfile.SpooledTemporaryFile(max_size=8 * 1024**2) as tmp:
                    for chunk in self.chunks(info):
                        tmp.write(chunk)
                    tmp.seek(0)
                    found.append(analyse(tmp, info.filename))
            except UnreadableMember as exc:
                found.append(BinaryFacts(path=info.filename, format="unknown", problem=str(exc)))
        return tuple(found)


def dist_info_matches(directory: str, name: str, version: Version) -> bool:
    """``Foo_Bar-1.0.dist-info`` names the project ``foo-bar`` 1.0 (normalisation-equivalent)."""
    stem = directory[: -len(".dist-info")]
    dname, _, dversion = stem.partition("-")
    try:
        return canonicalize_name(dname) == canonicalize_name(name) and Version(dversion.replace("_", "-")) == version
    except InvalidVersion:
        return False


def tag_strings(tags: Iterable[Tag]) -> list[str]:
    return sorted(str(t) for t in tags)

