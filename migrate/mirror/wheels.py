"""Reading a wheel given to publish: its file name, its hash and its METADATA, checked against the name.

Nothing here writes. Wheels of one release share most of their file name, so name and tag
parsing is cached; METADATA comes from :func:`migrate.wheels.wheelfile.read_metadata`.
"""
from __future__ import annotations

import hashlib
import os
import re
import struct
import zipfile
import zlib
from functools import lru_cache
from typing import NamedTuple, Optional

from packaging.tags import parse_tag
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from migrate.errors import MigrateError
from migrate.fsutil import file_sha256
from migrate.mirror.distro import distro_of
from migrate.mirror.state import UNSAFE
from migrate.wheels import WheelMetadataError, read_metadata

_IN_MEMORY = 32 * 1024 * 1024
METADATA_LIMIT = 16 * 1024 * 1024  # the most a METADATA may inflate to (real ones are kilobytes)


class BadWheel(MigrateError):
    pass


class Wheel(NamedTuple):
    filename: str
    project: str
    version: str
    sha256: str
    size: int
    data: Optional[bytes]  # None for a wheel too large to hold in memory
    metadata: bytes
    metadata_sha256: str
    requires_python: str
    distro: Optional[str]


NAMES_CACHED = 1024  # names parsed and kept: a release's wheels come together, and a cache per wheel is not flat
_WHEEL_NAME = re.compile(r"^[\w._]+\Z", re.UNICODE)  # as packaging.utils checks them
_BUILD_TAG = re.compile(r"(\d+)(.*)\Z", re.ASCII)


@lru_cache(maxsize=NAMES_CACHED)
def _name_version(prefix: str) -> Optional[tuple[str, Version, str]]:
    """(normalized name, Version, its text) of ``name-version[-build]``; None when invalid.
    Cached, as are the tags: a release has many wheels, and parsing them is most of the cost."""
    parts = prefix.split("-")
    if len(parts) not in (2, 3) or "__" in parts[0] or not _WHEEL_NAME.match(parts[0]) \
            or (len(parts) == 3 and not _BUILD_TAG.match(parts[2])):
        return None
    try:
        version = Version(parts[1])
    except InvalidVersion:
        return None
    return canonicalize_name(parts[0]), version, str(version)


def one_file_key(filename: str) -> str:
    """The wheel as pip tells wheels apart: ``Foo_Bar-1.0-…``, ``foo_bar-1.0-…`` and ``foo.bar-1.00-…``
    are one file (name canonicalized, version normalized); a name that does not parse is its own key.
    Not cached itself (a publish asks once for each of thousands of names): its release's part is."""
    pieces = filename[:-4].rsplit("-", 3) if filename.endswith(".whl") else []
    prefix = _key_prefix(pieces[0]) if len(pieces) == 4 else None
    if prefix is None:
        return filename
    return f"{prefix}{filename[len(pieces[0]):-4]}"  # the tags as they are


@lru_cache(maxsize=NAMES_CACHED)
def _key_prefix(prefix: str) -> Optional[str]:
    """``name-version[-build]`` as ``one_file_key`` has it; None when it does not parse."""
    found = _name_version(prefix)
    if found is None:
        return None
    return "-".join([found[0].replace("-", "_"), found[2], *prefix.split("-")[2:]])


def forget_names() -> None:
    """Empty the name caches: they pay within one publish (a release has many wheels, and a name is
    looked up in several steps), but a run must not carry 16,000 parsed names into its pin stage."""
    for cached in (_name_version, _key_prefix, _tags_valid, _canonical):
        cached.cache_clear()


@lru_cache(maxsize=4096)
def _tags_valid(tags: str) -> bool:
    try:
        parse_tag(tags)
        return True
    except Exception:  # packaging's InvalidTag and friends, whatever this version calls them
        return False


def _parse_filename(filename: str) -> tuple[str, Version, str, Optional[str]]:
    """(name, Version, its text, distro or None) from a wheel file name, as strict as ``parse_wheel_filename``."""
    parts = filename[:-4].split("-") if filename.endswith(".whl") else []
    found = _name_version("-".join(parts[:-3])) if len(parts) in (5, 6) else None
    if found is None or not _tags_valid("-".join(parts[-3:])):
        try:
            name, version, _build, _tags = parse_wheel_filename(filename)  # its own message, or a second opinion
        except InvalidWheelFilename as exc:
            raise BadWheel(f"not a wheel file name ({exc})") from None
        found = name, version, str(version)
    return (*found, distro_of(parts[-1]))


def inspect(wheel: str, size: int) -> Wheel:
    """Hash the wheel and take its METADATA (checked against the file name); nothing is written."""
    filename = os.path.basename(wheel)
    name, version, version_text, distro = _parse_filename(filename)
    try:
        if size <= _IN_MEMORY:
            data = read(wheel, size)
            sha, size = hashlib.sha256(data).hexdigest(), len(data)
            metadata = read_metadata(data, name, version, METADATA_LIMIT)
        else:
            data = None
            sha, size = file_sha256(wheel), os.stat(wheel).st_size
            metadata = read_metadata(wheel, name, version, METADATA_LIMIT)
    except OSError as exc:
        raise BadWheel(f"cannot read ({exc.strerror or exc})") from None
    except WheelMetadataError as exc:
        raise BadWheel(str(exc)) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, struct.error) as exc:
        raise BadWheel(f"not a valid zip archive ({exc})") from None
    fields = _headers(metadata)
    meta_name, meta_version = fields.get("name"), fields.get("version")
    if not meta_name or _canonical(meta_name) != name:
        raise BadWheel(f"METADATA Name {meta_name!r} does not match the file name")
    try:
        if meta_version is None or (meta_version != version_text and Version(meta_version) != version):
            raise BadWheel(f"METADATA Version {meta_version!r} does not match the file name")
    except InvalidVersion:
        raise BadWheel(f"METADATA Version {meta_version!r} is not a version") from None
    rp = fields.get("requires-python") or ""
    if UNSAFE.search(rp):
        raise BadWheel("METADATA Requires-Python holds a control character")
    return Wheel(filename, name, version_text, sha, size, data, metadata, hashlib.sha256(metadata).hexdigest(),
                 rp, distro)


@lru_cache(maxsize=NAMES_CACHED)
def _canonical(name: str) -> str:
    return canonicalize_name(name)


def read(path: str, size: int = 1 << 16) -> bytes:
    """The whole file (``size``: the expected length, to read it in one call)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = [os.read(fd, size + 1)]
        if len(chunks[0]) <= size and chunks[0]:  # a short read of a regular file: its end
            return chunks[0]
        while chunks[-1]:
            chunks.append(os.read(fd, max(size, 1 << 16)))
    finally:
        os.close(fd)
    return b"".join(chunks)


_HEADER = re.compile(rb"^(name|version|requires-python)[ \t]*:[ \t]*(.*?)[ \t\r]*$", re.M | re.I)
_BLANK_LINE = re.compile(rb"\n[ \t\r]*\n")


def _headers(metadata: bytes) -> dict[str, str]:
    """Name, Version, Requires-Python from the header block (first value wins); no full email parse."""
    text = b"\n" + metadata
    end = _BLANK_LINE.search(text)
    out: dict[str, str] = {}
    for key, value in _HEADER.findall(text[:end.start()] if end else text):
        key = key.decode("ascii").lower()
        if key not in out:
            out[key] = value.decode("utf-8", "surrogateescape")
    return out
