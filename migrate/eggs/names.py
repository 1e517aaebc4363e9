"""Egg file names <-> (project, version, pyver, platform, ucs).

An egg's name is the only place some facts live (the Python version it was
built for, Galaxy's ``-ucs4`` suffix), so it is parsed exactly as
``pkg_resources.EGG_NAME`` did, then each part is translated into what a
wheel needs: a canonical project name and a PEP 440 version.

Version translation (documented in docs/tags.rst, "Versions"), first step that applies:

1. ``to_filename`` turned every ``-`` into ``_``; undo that and try PEP 440
   (``2.0_rc1`` -> ``2.0rc1``, ``1.0_1`` -> ``1.0.post1``, ``2007b`` -> ``2007b0``, as
   pip reads them today).
2. setuptools Subversion snapshots become the dev release they were:
   ``0.5.6_dev_r6498`` -> ``0.5.6.dev6498``.
3. The longest leading part that is a PEP 440 version is the release and the rest
   is a Galaxy-style build tag, kept as a PEP 440 local version:
   ``0.7.2_7b95ff194725`` -> ``0.7.2+7b95ff194725``,
   ``2.5.1_9.2.4_static`` -> ``2.5.1+9.2.4.static``. A local version keeps
   ``name==0.7.2`` pins working (PEP 440 ignores the local part when the
   specifier has none) and is what Galaxy itself chose in 16.01 (``+gx1``).
4. The leading release number is the release and the rest a local version:
   ``2007d`` (pytz) -> ``2007+d``, ``1.5.2p1`` -> ``1.5.2+p1``. Only a version that
   does not start with a number (``r1234``, ``dev``) is refused.

Characters no version can hold are first made ``-`` as ``pkg_resources.safe_version``
did. :class:`VersionMapping` records which step made a version (shown by ``inspect``,
kept in the manifest).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple, Optional

from packaging.version import InvalidVersion, Version

from migrate.eggs.spelling import canonicalize_name, printable, safe_name, unprintable
from migrate.errors import MigrateError

# pkg_resources.EGG_NAME, verbatim (matched case-insensitively, whole name).
EGG_NAME = re.compile(
    r"(?P<name>[^-]+)(-(?P<ver>[^-]+)(-py(?P<pyver>[^-]+)(-(?P<plat>.+))?)?)?",
    re.IGNORECASE,
)
_UCS_SUFFIX = re.compile(r"-(?P<ucs>ucs[24])$", re.IGNORECASE)
_EGG_SUFFIXES = (".egg", ".egg-info")
_SVN_DEV = re.compile(r"^(?P<release>.+?)[-_.]?dev[-_.]?r(?P<rev>[0-9]+)$", re.IGNORECASE | re.ASCII)
_LOCAL_JUNK = re.compile(r"[^a-z0-9.]+", re.IGNORECASE | re.ASCII)
_SAFE_VERSION_JUNK = re.compile(r"[^A-Za-z0-9.]+")
_LEADING_NUMBER = re.compile(r"v?(?P<release>[0-9]+(?:\.[0-9]+)*)", re.IGNORECASE)


class InvalidEggName(MigrateError, ValueError):
    """A file name that is not a pkg_resources egg name."""


@dataclass(frozen=True)
class EggName:
    """What an egg's file name says."""

    filename: str
    project: str  # as written in the file name (``bx_python``), made safe for a wheel name (``Foo Bar`` -> ``Foo-Bar``)
    version_raw: Optional[str]  # as written in the file name (``0.7.2_7b95ff194725``)
    version: Optional[str]  # PEP 440 normalised (``0.7.2+7b95ff194725``)
    pyver: Optional[str]  # ``2.7``, ``3.10``
    platform: Optional[str]  # ``linux-x86_64`` (never with the ucs suffix)
    ucs: Optional[str]  # ``ucs2`` / ``ucs4`` (Galaxy suffix) or None
    version_rule: Optional[str] = None  # the VersionMapping rule that made ``version``
    written_project: Optional[str] = None  # the file name's spelling when ``project`` had to be made safe

    @property
    def canonical_name(self) -> str:
        """PEP 503 normalised project name (``bx-python``)."""
        return canonicalize_name(self.project)

    @property
    def py_major(self) -> Optional[int]:
        return int(self.pyver.split(".")[0]) if self.pyver else None


def strip_egg_suffix(filename: str) -> str:
    """``Foo-1.0-py2.7.egg`` -> ``Foo-1.0-py2.7``; folders and files alike."""
    base = filename.rstrip("/").rsplit("/", 1)[-1]
    for suffix in _EGG_SUFFIXES:
        if base.lower().endswith(suffix):
            return base[: -len(suffix)]
    raise InvalidEggName(f"{filename}: not an egg (expected a name ending in .egg or .egg-info)")


def parse(filename: str) -> EggName:
    """Parse an egg file or folder name (with or without directories)."""
    base = filename.rstrip("/").rsplit("/", 1)[-1]
    if unprintable(base):
        raise InvalidEggName(f"{printable(base)}: the file name holds control characters or bytes that are not "
                             "UTF-8; rename the egg")
    match = _match(base)
    written = match.group("name")
    project = safe_name(written)
    if not project:
        raise InvalidEggName(f"{base}: project name {written!r} has no letter or digit a wheel name can hold")
    plat, ucs = split_ucs(match.group("plat"))
    pyver = match.group("pyver")
    if pyver is not None and not re.fullmatch(r"[0-9]+(\.[0-9]+)?", pyver):
        raise InvalidEggName(f"{base}: python version {pyver!r} is not like 2.7 or 3.10")
    raw = match.group("ver")
    try:
        mapping = map_version(raw) if raw is not None else None
    except InvalidVersion as exc:
        raise InvalidEggName(f"{base}: {exc}") from None
    return EggName(
        filename=base,
        project=project,
        version_raw=raw,
        version=mapping.version if mapping else None,
        pyver=pyver,
        platform=plat,
        ucs=ucs,
        version_rule=mapping.rule if mapping else None,
        written_project=written if project != written else None,
    )


class EggParts(NamedTuple):
    """What an egg file name says, read leniently (no PEP 440): fetching is not judging."""

    project: str
    version: Optional[str]
    pyver: Optional[str]
    platform: Optional[str]  # without the Galaxy ``-ucsN`` suffix
    ucs: Optional[str]

    @property
    def full_platform(self) -> Optional[str]:
        """``linux-x86_64-ucs4`` as Galaxy wrote it (None for pure eggs)."""
        if self.platform is None:
            return None
        return f"{self.platform}-{self.ucs}" if self.ucs else self.platform


def egg_parts(filename: str) -> EggParts:
    """Split an egg file name with ``pkg_resources.EGG_NAME``, without judging its parts
    (any pyver, any version spelling); raises InvalidEggName."""
    match = _match(filename)
    plat, ucs = split_ucs(match.group("plat"))
    return EggParts(match.group("name"), match.group("ver"), match.group("pyver"), plat, ucs)


def _match(filename: str) -> re.Match[str]:
    """``EGG_NAME`` matched against the name without ``.egg``; raises InvalidEggName naming ``filename``."""
    match = EGG_NAME.fullmatch(strip_egg_suffix(filename))
    if not match or not match.group("name"):
        raise InvalidEggName(f"{filename}: not a pkg_resources egg name")
    return match


def split_ucs(platform: Optional[str]) -> tuple[Optional[str], Optional[str]]:
    """Galaxy's ``-ucs2``/``-ucs4`` suffix apart: ``linux-x86_64-ucs4`` -> (``linux-x86_64``, ``ucs4``).

    Without the suffix: (platform, None). The suffix is matched case-insensitively, returned lowercase.
    """
    if platform:
        found = _UCS_SUFFIX.search(platform)
        if found:
            return platform[: found.start()] or None, found.group("ucs").lower()
    return platform, None


def same_version(a: Optional[str], b: Optional[str]) -> bool:
    """Egg file versions equal as written or after PEP 440 translation (``0.8a`` == ``0.8a0``)."""
    if a is None or b is None:
        return a == b
    if a.lower() == b.lower():
        return True
    try:
        return Version(pep440_version(a)) == Version(pep440_version(b))
    except (InvalidVersion, ValueError):
        return False


class VersionMapping(NamedTuple):
    """An egg version, the PEP 440 version the wheel gets, and which documented step made it."""

    raw: str  # as the egg's file name spells it (``2007d``)
    version: str  # PEP 440 normal form (``2007+d``)
    rule: str  # one of RULES


RULES = {
    "pep440": "read as PEP 440",
    "svn-dev": "a setuptools Subversion snapshot made a dev release",
    "local": "the trailing build tag kept as a PEP 440 local version",
    "leading-number": "the leading release number kept, the rest as a PEP 440 local version",
}


def pep440_version(raw: str) -> str:
    """Translate an egg file name version into a normalised PEP 440 one."""
    return map_version(raw).version


@lru_cache(maxsize=4096)
def map_version(raw: str) -> VersionMapping:
    """The documented translation of an egg version (module docstring, steps 1-4); remembered,
    as the file name's version and PKG-INFO's, and the eggs of one release, repeat it.

    Raises InvalidVersion, with the reason, only when no step applies: the version
    does not start with a number (``r1234``, ``dev``).
    """
    safe = _SAFE_VERSION_JUNK.sub("-", raw.replace(" ", "."))  # pkg_resources.safe_version
    for rule, step in (("pep440", _as_pep440), ("svn-dev", _svn_dev), ("local", _build_tag),
                       ("leading-number", _leading_number)):
        version = step(safe)
        if version is not None:
            return VersionMapping(raw, version, rule)
    raise InvalidVersion(f"version {raw!r} cannot be made PEP 440 (no leading release number)")


def _valid(text: str) -> Optional[str]:
    """``text`` in PEP 440 normal form, or None when it is not a version."""
    try:
        return str(Version(text))
    except InvalidVersion:
        return None


def _as_pep440(raw: str) -> Optional[str]:
    """Step 1: ``to_filename``'s underscores read back as dashes, then PEP 440."""
    return _valid(raw.replace("_", "-"))


def _svn_dev(raw: str) -> Optional[str]:
    """Step 2: ``0.5.6_dev_r6498`` -> ``0.5.6.dev6498``."""
    svn = _SVN_DEV.match(raw)
    return _valid(f"{svn['release']}.dev{svn['rev']}") if svn else None


def _local(text: str) -> str:
    """A PEP 440 local version segment from any text ("" when nothing is left)."""
    return re.sub(r"\.{2,}", ".", _LOCAL_JUNK.sub(".", text)).strip(".").lower()


def _build_tag(raw: str) -> Optional[str]:
    """Step 3: the longest leading ``-``/``_`` separated part that is a version, the rest a local version."""
    tokens = re.split(r"[-_]", raw)
    for cut in range(len(tokens) - 1, 0, -1):
        release = _valid("-".join(tokens[:cut]))
        local = _local(".".join(tokens[cut:]))
        if release is not None and local:
            return _valid(f"{release}+{local}")
    return None


def _leading_number(raw: str) -> Optional[str]:
    """Step 4: the leading release number, the rest a local version (``2007d`` -> ``2007+d``)."""
    found = _LEADING_NUMBER.match(raw)
    if not found:
        return None
    local = _local(raw[found.end():])
    return _valid(f"{found['release']}+{local}" if local else found["release"])


def dist_info_name(project: str) -> str:
    """The canonical ``name`` part of ``name-version.dist-info`` and the wheel file name."""
    return canonicalize_name(project).replace("-", "_")
