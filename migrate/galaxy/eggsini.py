"""Galaxy's ``eggs.ini``: what it pins, and the egg files it asked for.

The file is read as Galaxy read it, by :mod:`migrate.galaxy.inifile` (Python 2.7's
``SafeConfigParser``, line by line); here its sections become :class:`EggPin` s,
checked as Galaxy's client would have needed them. A bad file is an
:class:`InvalidEggsIni` naming the file, the line and the problem in one line.

Selection follows Galaxy's ``Crate.parse_egg_section`` + ``Egg.fetch``: the egg
wanted for key ``K`` = version ``V`` (tag ``T``) is
``<repo>/K/K-VT-pyX.Y-<platform>-<ucs>.egg`` for ``[eggs:platform]`` and
``<repo>/K/K-VT-pyX.Y.egg`` for ``[eggs:noplatform]``; when the exact file is
missing Galaxy read the Apache listing of ``<repo>/K/`` and took an egg of the
same project, version and Python whose platform
``pkg_resources.compatible_platforms`` accepts (see :func:`platform_note`).
That fallback ran for ``[eggs:noplatform]`` eggs too (its guard compared the
egg's platform, ``None`` for a pure egg, with ``py2.7``: never equal), so a
missing pure egg was replaced by a build for the host's platform; hence
:attr:`Wanted.deployment`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union
from urllib.parse import quote

from packaging.requirements import InvalidRequirement, Requirement

from migrate import problems
from migrate.errors import MigrateError
from migrate.galaxy.inifile import DEFAULT, InvalidEggsIni, Sections, decode, read_sections
from migrate.problems import Problem

GENERAL = "general"
PLATFORM = "eggs:platform"
NOPLATFORM = "eggs:noplatform"
TAGS = "tags"
SOURCE = "source"
DEPENDENCIES = "dependencies"
KNOWN_SECTIONS = (GENERAL, PLATFORM, NOPLATFORM, TAGS, SOURCE, DEPENDENCIES, DEFAULT)

_BAD_NAME_CHARS = re.compile(r"[\s/\\]")
_BAD_VERSION_CHARS = re.compile(r"[\s/\\\-]")
_MAC = re.compile(r"macosx-(\d+)\.(\d+)-(.+)$")


class InvalidTarget(MigrateError, ValueError):
    """A Python version or egg platform that names no Galaxy egg platform; ``part``: python or platform.

    The message names the value, not an option: the command layer adds the option it came from.
    """

    def __init__(self, part: str, message: str):
        super().__init__(message)
        self.part = part


@dataclass(frozen=True)
class EggPin:
    """One line of ``[eggs:platform]`` or ``[eggs:noplatform]`` with its tag."""

    key: str  # as written, case kept: ``MySQL_python``, ``repoze.lru``
    version: str  # as written: ``1.2.3c1``
    tag: str  # ``[tags]`` suffix or ``""``: ``_5.1.41_static``
    platform_specific: bool  # True for [eggs:platform]: built per platform (eggs with C code)
    lineno: int

    @property
    def full_version(self) -> str:
        """The version part of the egg file name: version + tag."""
        return self.version + self.tag


@dataclass(frozen=True)
class EggTarget:
    """The eggs to fetch: built for ``py2.7`` + ``linux-x86_64-ucs4`` (Galaxy's platform string, what a
    Galaxy host ran). Not the deployment the pins are for: that is :class:`migrate.pins.Target`."""

    python: str = "2.7"
    platform: Optional[str] = "linux-x86_64-ucs4"  # None: pure eggs only

    @property
    def egg_platform(self) -> str:
        """Galaxy's full platform string, ``py2.7-linux-x86_64-ucs4`` (or ``py2.7``)."""
        return f"py{self.python}-{self.platform}" if self.platform else f"py{self.python}"

    def __str__(self) -> str:
        return self.egg_platform


def parse_target(python: Optional[str] = None, platform: Optional[str] = None) -> EggTarget:
    """Build a :class:`EggTarget` from CLI-style strings, normalised as Galaxy's client did.

    ``platform`` may be ``linux-x86_64-ucs4``, ``py2.7-linux-x86_64-ucs4`` or omit the
    ``-ucsN`` suffix (then ``ucs4`` on Linux, ``ucs2`` on macOS and Windows, the builds
    Galaxy supported). macOS is normalised like Galaxy's patched
    ``get_build_platform``: minor versions below 10.6 become 10.6 and ``i386``,
    ``x86_64`` and ``universal`` become ``intel`` (Galaxy built 10.6 intel eggs only).
    """
    if platform is not None:
        python, platform = _python_of_platform(python, platform)
    python = _python_version(python)
    if platform is None:
        return EggTarget(python, None)
    parts, ucs = _platform_parts(platform)
    if python.split(".")[0] != "2":
        return EggTarget(python, "-".join(parts))  # UCS2/UCS4 builds ended with Python 3.3
    if ucs is None:
        ucs = "ucs4" if parts[0] == "linux" else "ucs2"
    return EggTarget(python, "-".join(parts + [ucs]))


def _python_of_platform(python: Optional[str], platform: str) -> tuple[Optional[str], str]:
    """(python, platform) with a ``py2.7-`` prefix of the platform taken as the Python; InvalidTarget when bad."""
    platform = platform.strip()
    match = re.match(r"py(\d+\.\d+)-(.+)$", platform)
    if match:
        if python is not None and python != match.group(1):
            raise InvalidTarget("platform", f"egg platform {platform} names Python {match.group(1)}, not {python}")
        python, platform = match.group(1), match.group(2)
    if not platform or _BAD_NAME_CHARS.search(platform):
        raise InvalidTarget("platform", f"egg platform {platform!r} is not like linux-x86_64-ucs4")
    return python, platform


def _python_version(python: Optional[str]) -> str:
    """``2.7`` from ``2.7`` or ``py2.7``; Galaxy's 2.7 when not given."""
    python = (python or "2.7").strip()
    if python.startswith("py"):
        python = python[2:]
    if not re.fullmatch(r"\d+\.\d+", python):
        raise InvalidTarget("python", f"Python version {python!r} is not like 2.7")
    return python


def _platform_parts(platform: str) -> tuple[list[str], Optional[str]]:
    """(the platform's parts without its ``-ucsN`` suffix, macOS normalised as Galaxy did; the suffix or None)."""
    parts = platform.split("-")
    ucs = None
    if parts[-1].lower() in ("ucs2", "ucs4"):
        ucs = parts.pop().lower()
    if len(parts) < 2 and parts[0] not in ("win32",):
        raise InvalidTarget("platform", f"egg platform {platform!r} is not like linux-x86_64-ucs4")
    if parts[0] == "macosx":
        if len(parts) != 3 or not re.fullmatch(r"\d+\.\d+", parts[1]):
            raise InvalidTarget("platform", f"egg platform {platform!r} is not like macosx-10.6-intel-ucs2")
        major, minor = (int(x) for x in parts[1].split("."))
        if major == 10 and minor < 6:
            parts[1] = "10.6"
        if parts[2] in ("i386", "x86_64", "universal"):
            parts[2] = "intel"
    return parts, ucs


def platform_note(provided: str, required: str) -> Optional[str]:
    """Can an egg built for ``provided`` run on ``required``? ``""`` exact, a note, or None.

    Both are Galaxy platform strings with the ucs suffix (``linux-x86_64-ucs4``).
    This is ``pkg_resources.compatible_platforms`` as Galaxy patched it: equal
    strings, or macOS ``10.X-arch`` on ``10.Y-arch`` with X <= Y. Linux needs the
    exact string: an i686 egg does not load in a 64-bit Python (Galaxy mapped a
    32-bit Python on a 64-bit kernel to ``linux-i686`` *before* asking, which is
    what ``--platform linux-i686-ucs4`` means here).
    """
    if provided == required:
        return ""
    prov, req = _MAC.match(provided), _MAC.match(required)
    if prov and req and prov.group(1) == req.group(1) and prov.group(3) == req.group(3):
        if int(prov.group(2)) <= int(req.group(2)):
            return f"built for {provided}, runs on {required} (macOS is backward compatible)"
    return None


@dataclass(frozen=True)
class Wanted:
    """One egg file a deployment needs for one target, as Galaxy's client named it.

    ``target`` is what the file is for (``py2.7`` for a pure egg). ``deployment``
    holds the platforms the deployment runs on: for a pure egg these are what a
    missing file may be replaced by (Galaxy's ``find_alternative`` ran for pure
    eggs too, comparing the listing with the host's platform).
    """

    pin: EggPin
    target: EggTarget  # platform None for pure eggs
    filename: str
    deployment: tuple[EggTarget, ...] = ()  # those with a platform: where this egg will run

    @property
    def key(self) -> str:
        return self.pin.key

    def url(self, repository: str) -> str:
        """``<repo>/<key>/<file>``, the URL Galaxy's client fetched."""
        return f"{repository.rstrip('/')}/{quote(self.pin.key)}/{quote(self.filename)}"


@dataclass(frozen=True)
class EggsIni:
    """A parsed eggs.ini. Mappings keep the file's order and case."""

    path: str
    repository: Optional[str]
    no_auto: tuple[str, ...]
    platform_eggs: tuple[EggPin, ...]
    noplatform_eggs: tuple[EggPin, ...]
    tags: dict[str, str] = field(default_factory=dict)  # key -> suffix
    sources: dict[str, tuple[str, ...]] = field(default_factory=dict)  # key -> source archive names
    dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)  # key -> project names
    problems: tuple[Problem, ...] = ()  # warnings

    @property
    def eggs(self) -> dict[str, EggPin]:
        """key -> EggPin; a key in both sections is the [eggs:noplatform] one, as in Galaxy."""
        return {pin.key: pin for pin in self.platform_eggs + self.noplatform_eggs}

    def wanted(self, targets: Union[EggTarget, Sequence[EggTarget]], projects: Iterable[str] = (),
               include_no_auto: bool = False) -> list[Wanted]:
        """The egg files to fetch for these targets, in file order, without duplicates.

        Platform eggs: one per target with a platform; pure eggs: one per Python
        version, carrying every platform of that Python as its ``deployment``. ``projects`` (keys, matched case-insensitively and with ``-``/``_``
        folded) narrows the list; ``no_auto`` eggs are left out unless asked for
        (Galaxy built them on the host instead of fetching them).
        """
        if isinstance(targets, EggTarget):
            targets = [targets]
        wanted_keys = {fold_key(p) for p in projects}
        out: list[Wanted] = []
        seen: set[str] = set()
        for pin in self.eggs.values():
            if wanted_keys and fold_key(pin.key) not in wanted_keys:
                continue
            if pin.key in self.no_auto and not include_no_auto:
                continue
            for target in targets:
                if pin.platform_specific:
                    if target.platform is None:
                        continue
                    t = target
                else:
                    t = EggTarget(target.python, None)
                name = egg_filename(pin, t)
                if name not in seen:
                    seen.add(name)
                    deployment = tuple(x for x in targets if x.platform and x.python == t.python)
                    out.append(Wanted(pin, t, name, deployment if not pin.platform_specific else (t,)))
        return out


def egg_filename(pin: EggPin, target: EggTarget) -> str:
    """``K-VT-pyX.Y[-platform].egg`` with pkg_resources' ``to_filename`` (``-`` -> ``_``)."""
    name = f"{_to_filename(pin.key)}-{_to_filename(pin.full_version)}-py{target.python}"
    if pin.platform_specific and target.platform:
        name += f"-{target.platform}"
    return name + ".egg"


def parse(path: Union[str, Path]) -> EggsIni:
    """Read and check an eggs.ini; raises :class:`InvalidEggsIni` (one line) when bad."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidEggsIni(path, None, f"cannot read: {exc.strerror or exc}") from None
    return parse_text(decode(path, raw), str(path))


def parse_text(text: str, path: str = "eggs.ini") -> EggsIni:
    """Parse eggs.ini content (see :func:`parse`)."""
    sections, warnings = read_sections(text, path, KNOWN_SECTIONS)
    ini = Sections(sections, path)
    if PLATFORM not in ini and NOPLATFORM not in ini:
        raise InvalidEggsIni(path, None, "no [eggs:platform] or [eggs:noplatform] section: not a Galaxy eggs.ini")
    repository, no_auto = _general(ini)
    tags = _tags(ini)
    platform_eggs, noplatform_eggs = _pins(ini, PLATFORM, tags), _pins(ini, NOPLATFORM, tags)
    warnings += _unused(ini, platform_eggs, noplatform_eggs, tags, no_auto)
    sources = {key: tuple(value.split()) for key, value in ini.items(SOURCE)}
    dependencies = _dependencies(ini, {p.key for p in platform_eggs + noplatform_eggs}, warnings)
    return EggsIni(path=path, repository=repository, no_auto=no_auto, platform_eggs=platform_eggs,
                   noplatform_eggs=noplatform_eggs, tags=tags, sources=sources, dependencies=dependencies,
                   problems=tuple(warnings))


def _general(ini: Sections) -> tuple[Optional[str], tuple[str, ...]]:
    """(repository URL or None, no_auto keys) from ``[general]``."""
    general = dict(ini.items(GENERAL))
    repository = general.get("repository") or None
    if repository is not None and re.search(r"\s", repository.strip()):
        raise InvalidEggsIni(ini.path, ini.lineno(GENERAL, "repository"),
                             f"[general] repository {repository!r} has spaces")
    no_auto = tuple(general.get("no_auto", "").split())
    return (repository.strip().rstrip("/") if repository else None), no_auto


def _tags(ini: Sections) -> dict[str, str]:
    tags = {}
    for key, value in ini.items(TAGS):
        if _BAD_VERSION_CHARS.search(value):
            raise InvalidEggsIni(ini.path, ini.lineno(TAGS, key),
                                 f"[tags] {key}: tag {value!r} has a space, '-' or '/' (expected like _9.2.4_static)")
        tags[key] = value
    return tags


def _pins(ini: Sections, section: str, tags: dict[str, str]) -> tuple[EggPin, ...]:
    """The EggPins of ``[eggs:platform]`` or ``[eggs:noplatform]``, checked as Galaxy's client needed them."""
    out = []
    for key, version in ini.items(section):
        line = ini.lineno(section, key)
        if _BAD_NAME_CHARS.search(key):
            raise InvalidEggsIni(ini.path, line, f"[{section}] egg name {key!r} has a space or '/'")
        if key.startswith("."):
            raise InvalidEggsIni(ini.path, line, f"[{section}] egg name {key!r} starts with '.'")
        if not version:
            raise InvalidEggsIni(ini.path, line, f"[{section}] {key}: no version (expected {key} = 1.0)")
        if "\n" in version:
            raise InvalidEggsIni(ini.path, line, f"[{section}] {key}: the value goes on over the next, indented "
                                 f"line (ConfigParser joins indented lines to the value above): {version!r}")
        if _BAD_VERSION_CHARS.search(version):
            raise InvalidEggsIni(ini.path, line, f"[{section}] {key}: version {version!r} has a space, '-' or '/'")
        out.append(EggPin(key, version, tags.get(key, ""), section == PLATFORM, line))
    return tuple(out)


def _unused(ini: Sections, platform_eggs: tuple[EggPin, ...], noplatform_eggs: tuple[EggPin, ...], tags: dict[str, str],
            no_auto: tuple[str, ...]) -> list[Problem]:
    """Warnings: a key in both egg sections, tags and no_auto entries that name no egg."""
    path = ini.path
    warnings: list[Problem] = []
    both = {p.key for p in platform_eggs} & {p.key for p in noplatform_eggs}
    for key in sorted(both):
        warnings.append(problems.warning("eggsini-both-sections", f"{path}: {key} is in [eggs:platform] and "
                                         "[eggs:noplatform]; the [eggs:noplatform] one is used, as Galaxy did"))
    known = {p.key for p in platform_eggs + noplatform_eggs}
    for key in tags:
        if key not in known:
            warnings.append(problems.warning("eggsini-unused-tag", f"{path}:{ini.lineno(TAGS, key)}: [tags] {key} "
                                             "names no egg in [eggs:platform] or [eggs:noplatform]"))
    for key in no_auto:
        if key not in known:
            warnings.append(problems.warning("eggsini-unknown-no-auto", f"{path}: [general] no_auto names {key}, "
                                             "which is not an egg of this file"))
    return warnings


def _dependencies(ini: Sections, known: set[str], warnings: list[Problem]) -> dict[str, tuple[str, ...]]:
    """``[dependencies]``: key -> project names or requirements; a key naming no egg is warned about."""
    dependencies = {}
    for key, value in ini.items(DEPENDENCIES):
        deps = tuple(v for v in re.split(r"[\s,]+", value) if v)
        for dep in deps:
            try:
                Requirement(dep)
            except InvalidRequirement:
                raise InvalidEggsIni(ini.path, ini.lineno(DEPENDENCIES, key), f"[dependencies] {key}: {dep!r} is "
                                     "not a project name or requirement (expected like bx_python = numpy)") from None
        if key not in known:
            warnings.append(problems.warning("eggsini-unused-dependency", f"{ini.path}:{ini.lineno(DEPENDENCIES, key)}: "
                                             f"[dependencies] {key} names no egg in [eggs:platform] or "
                                             "[eggs:noplatform]"))
        dependencies[key] = deps
    return dependencies


def _to_filename(name: str) -> str:
    return name.replace("-", "_")


def fold_key(name: str) -> str:
    """eggs.ini keys compared loosely: case, `-`, `_` and `.` folded."""
    return re.sub(r"[-_.]+", "-", name).lower()
