"""The platform tag: the binaries' operating system and architecture, cross-checked against the egg's name.

Linux: ``manylinux_2_X_<arch>`` (the lowest policy every ELF meets, legacy
alias added) or ``linux_<arch>``; on request the distro tag
``linux_<arch>_<distro>_<version>``. macOS: ``macosx_X_Y_<arch>`` from the
Mach-O minimum version. Windows: the PE machine. Other systems: the egg's
platform name as bdist_wheel would spell it, never a Linux tag for an ELF that names
another OS (:mod:`migrate.binaries.elfos`). The egg name's ``-ucs4`` never
reaches the platform.
"""
from __future__ import annotations

from typing import NamedTuple, Optional

from migrate import problems as P
from migrate.binaries import FORMAT_NAMES, BinaryFacts
from migrate.eggs import EggName
from migrate.platforms import (
    ARCH_ALIASES,
    FORMAT_OS,
    LINUX_ARCHES,
    OPERATING_SYSTEMS,
    canonical_arch,
    same_machine,
    tag_safe,
)
from migrate.problems import Problem
from migrate.wheels.tags.distro import build_distro
from migrate.wheels.tags.manylinux import manylinux_audit
from migrate.wheels.tags.values import TagError, TagOptions

_OS_TITLES = {"freebsd": "FreeBSD", "netbsd": "NetBSD", "openbsd": "OpenBSD", "linux": "Linux", "macosx": "macOS",
              "win": "Windows", "hpux": "HP-UX", "aix": "AIX", "irix": "IRIX", "tru64": "Tru64"}
_PE_CPU = {"win32": "i686", "win_amd64": "x86_64", "win_arm64": "aarch64"}  # a PE machine as an ELF one is named
_KNOWN_CPUS = frozenset(LINUX_ARCHES) | frozenset(ARCH_ALIASES.values())


def split_egg_platform(platform: Optional[str]) -> tuple[Optional[str], Optional[str], Optional[str]]:
    """``linux-x86_64`` -> ("linux", None, "x86_64"); ``macosx-10.6-intel`` -> ("macosx", "10.6", "intel")."""
    if not platform:
        return None, None, None
    parts = platform.split("-")
    os_name = parts[0].lower()
    if os_name == "win32":
        return "win", None, "win32"
    if os_name == "win" and len(parts) == 2:
        arch = parts[1].lower()
        return "win", None, "win_amd64" if arch in ("amd64", "x86_64") else f"win_{arch}"
    if os_name == "macosx" and len(parts) == 3:
        return "macosx", parts[1], parts[2]
    if os_name == "linux" and len(parts) == 2:
        arch = parts[1].lower()
        return "linux", None, canonical_arch(arch)
    return os_name, None, "-".join(parts[1:]) or None


def choose_platform(name: EggName, binaries: list[BinaryFacts], options: TagOptions,
                    found: list[Problem]) -> tuple[str, str, list[str], bool]:
    """(platform tag, why, external libraries, repairable) for binaries of one OS and arch."""
    binary = _binary_os(binaries)
    os_name, os_version, name_arch = _checked_os(name, binary, options, found)
    if os_name not in OPERATING_SYSTEMS:
        tag, why = _other_os_platform(name, binary, binaries, found)
        return tag, why, [], False
    binary_arch = _binary_arch(binaries, found)
    arch = _checked_arch(name_arch, binary_arch, options, found)
    if not arch:
        raise TagError("cannot tell the architecture: the binaries do not say it and the egg name has no platform")
    if os_name == "macosx":
        tag, why = _macos_platform(name, os_version, arch, binaries, options, found)
        return tag, why, [], False
    if os_name == "win":
        return arch, "PE machine type" if binary_arch else f"egg name {name.platform}", [], False
    return _linux_platform(arch, binaries, options, found)


class _BinaryOS(NamedTuple):
    """The operating system the binaries are for, and whether one of them says so itself."""

    format: str  # elf, macho, pe
    os: str  # linux, macosx, win, or what a binary names: freebsd, solaris, cygwin...
    how: str  # "" when only the format says it (an ELF without an OS mark counts as linux)
    path: str = ""  # the binary that says it

    @property
    def marked(self) -> bool:
        return bool(self.how)

    def describe(self) -> str:
        return f"{self.path} is a {_os_title(self.os)} {FORMAT_NAMES[self.format]} ({self.how})"


def _os_title(os_name: str) -> str:
    return _OS_TITLES.get(os_name, os_name.capitalize())


def _binary_os(binaries: list[BinaryFacts]) -> _BinaryOS:
    """The binaries' format and operating system; TagError for several formats or systems, or none known."""
    formats = sorted({b.format for b in binaries})
    if len(formats) > 1:
        raise TagError("binaries for several operating systems: "
                       + "; ".join(f"{b.path} is {b.format.upper()}" for b in binaries))
    binary_os = FORMAT_OS.get(formats[0])
    if binary_os is None:
        raise TagError("no binary in a known format")
    named = sorted({b.os for b in binaries if b.os})
    if len(named) > 1:
        raise TagError("binaries for several operating systems: "
                       + "; ".join(f"{b.path} is for {b.os} ({b.os_how})" for b in binaries if b.os))
    marked = next((b for b in binaries if b.os), None)
    if marked is None or marked.os is None:
        return _BinaryOS(formats[0], binary_os, "")
    return _BinaryOS(formats[0], marked.os, marked.os_how, marked.path)


def _checked_os(name: EggName, binary: _BinaryOS, options: TagOptions,
                found: list[Problem]) -> tuple[str, Optional[str], Optional[str]]:
    """(OS, OS version, arch) of the egg name, or the binaries' OS when the name says another (T003, T012)."""
    os_name, os_version, name_arch = split_egg_platform(name.platform)
    if not os_name:
        if binary.os not in OPERATING_SYSTEMS:
            raise TagError(f"{binary.describe()} and the egg name has no platform to name its release")
        return binary.os, os_version, name_arch
    if os_name == binary.os:
        return os_name, os_version, name_arch
    if os_name not in OPERATING_SYSTEMS and not binary.marked and binary.format != "macho":
        return os_name, os_version, name_arch  # an unmarked ELF or PE: the name says which system
    if binary.marked and not (os_name in OPERATING_SYSTEMS and binary.os in OPERATING_SYSTEMS):
        t012 = P.warning("T012", f"egg name says {name.platform} but {binary.describe()}")
        raise TagError(f"egg name says {name.platform} but {binary.describe()}: no platform tag fits both", (t012,))
    kind = FORMAT_NAMES[binary.format]
    if options.trust_name and os_name in OPERATING_SYSTEMS:
        found.append(P.warning("T003", f"egg name says {name.platform} but the binaries are {kind} ({binary.os}); "
                               "the name is used (--trust-name)"))
        return os_name, os_version, name_arch
    found.append(P.warning("T003", f"egg name says {name.platform} but the binaries are {kind} ({binary.os}); "
                           "the binaries are used"))
    return binary.os, None, None


def _other_os_platform(name: EggName, binary: _BinaryOS, binaries: list[BinaryFacts],
                       found: list[Problem]) -> tuple[str, str]:
    """FreeBSD, Solaris, Cygwin...: the egg's platform as bdist_wheel spells it, its arch checked (T004)."""
    assert name.platform, "only an egg name or a marked binary names such a system, and then the name is needed"
    binary_arch = _binary_arch(binaries, found)
    cpu = _PE_CPU.get(binary_arch or "", binary_arch)
    name_arch = canonical_arch(name.platform.rsplit("-", 1)[-1].lower())
    if cpu and name_arch in _KNOWN_CPUS and not same_machine(name_arch, cpu):
        found.append(P.warning("T004", f"egg name says {name_arch} but the binaries are {cpu}"))
        raise TagError(f"egg name {name.platform} says {name_arch} but the binaries are {cpu}: "
                       "the platform tag would name the wrong machine")
    said = binary.describe() if binary.marked else f"the {FORMAT_NAMES[binary.format]} binaries do not name their OS"
    return tag_safe(name.platform), f"egg platform {name.platform}, as bdist_wheel spells it; {said}"


def _binary_arch(binaries: list[BinaryFacts], found: list[Problem]) -> Optional[str]:
    """The one architecture the binaries are for, None when none says; T005 where a file name says another."""
    archs = sorted({b.arch for b in binaries if b.arch})
    if len(archs) > 1:
        raise TagError("binaries for several architectures: " + "; ".join(f"{b.path} is {b.arch}" for b in binaries))
    for b in binaries:
        if b.suffix_arch and b.arch and b.suffix_arch != b.arch:
            found.append(P.warning("T005", f"{b.path}: the file name says {b.suffix_arch} but the ELF machine is "
                                   f"{b.arch}; the ELF machine is used"))
    return archs[0] if archs else None


def _checked_arch(name_arch: Optional[str], binary_arch: Optional[str], options: TagOptions,
                  found: list[Problem]) -> Optional[str]:
    """The binaries' architecture, or the name's with --trust-name or when the binaries do not say (T004).

    A 32-bit ARM name (``armv5tejl``, ``armv6l``) is kept: the ELF machine says only "ARM".
    """
    if name_arch and binary_arch and same_machine(name_arch, binary_arch):
        return name_arch
    if name_arch and binary_arch and name_arch != binary_arch:
        if options.trust_name:
            found.append(P.warning("T004", f"egg name says {name_arch} but the binaries are {binary_arch}; "
                                   "the name is used (--trust-name)"))
            return name_arch
        found.append(P.warning("T004", f"egg name says {name_arch} but the binaries are {binary_arch}; "
                               "the binaries are used (--trust-name to use the name)"))
    return binary_arch or name_arch


def _macos_platform(name: EggName, os_version: Optional[str], arch: str, binaries: list[BinaryFacts],
                    options: TagOptions, found: list[Problem]) -> tuple[str, str]:
    binary_min = max((b.macos_min for b in binaries if b.macos_min), default=None, key=_vkey)
    if binary_min and os_version and _vkey(binary_min) != _vkey(os_version):
        if options.trust_name:
            found.append(P.warning("T006", f"egg name says macosx-{os_version} but the binaries need macOS "
                                   f"{binary_min}; the name is used (--trust-name)"))
            binary_min = None
        else:
            found.append(P.info("T006", f"egg name says macosx-{os_version} but the binaries need macOS "
                                f"{binary_min}; the binaries are used"))
    if binary_min:
        version, why = binary_min, "Mach-O minimum macOS version (LC_VERSION_MIN_MACOSX / LC_BUILD_VERSION)"
    elif os_version:
        version, why = os_version, f"egg name {name.platform}"
    else:
        raise TagError("macOS binaries without a minimum version and no macosx-X.Y in the egg name")
    major, _, minor = version.partition(".")
    if int(major) >= 11:  # pip names macOS 11+ as X_0 only (packaging.tags.mac_platforms)
        minor = "0"
    return f"macosx_{major}_{minor or '0'}_{arch}", f"{why}; architectures {arch}"


def _vkey(version: Optional[str]) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split(".")) if version else ()


def _linux_platform(arch: str, binaries: list[BinaryFacts], options: TagOptions,
                    found: list[Problem]) -> tuple[str, str, list[str], bool]:
    elves = [b for b in binaries if b.format == "elf"]
    audit = manylinux_audit(arch, elves)
    found += audit.notes
    external = list(audit.external_libs)
    mode = options.platform_tag
    if mode == "linux":
        return f"linux_{arch}", "--platform-tag linux", external, False
    if mode == "distro":
        distro, version, why = build_distro(elves, options)
        return f"linux_{arch}_{distro}_{tag_safe(version)}", why, external, False
    if audit.policy:
        alias = [f"{a}_{arch}" for a in audit.aliases]
        tag = ".".join([f"{audit.policy}_{arch}"] + alias)
        return tag, audit.explain(), external, False
    if mode == "manylinux":
        raise TagError(f"not manylinux ({audit.why_not}); --platform-tag auto would tag it linux_{arch}")
    return f"linux_{arch}", f"not manylinux: {audit.why_not}", external, audit.repairable
