"""The target the pins are for: interpreter, ABIs and platforms, its tags and marker environment.

Resolved for the *target*, not the host: the tag list comes from ``packaging.tags``
(``cp27mu`` on ``manylinux_2_17_x86_64`` ...), most preferred first, and markers are
evaluated in the environment the target's interpreter would report.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from packaging import tags as ptags

from migrate.pins.errors import BadTarget
from migrate.platforms import cpython_abi, legacy_manylinux, linux_arch, manylinux_glibc


@dataclass(frozen=True)
class Target:
    """The interpreter and system the pins are for."""

    version: tuple[int, ...]  # (2, 7) or (2, 7, 18)
    implementation: str = "cp"  # cp | pp
    abis: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()  # expanded, most preferred first

    @classmethod
    def make(cls, python: str, abis: Iterable[str] = (), platforms: Iterable[str] = (),
             implementation: str = "cp") -> "Target":
        try:
            version = tuple(int(x) for x in python.split("."))
        except ValueError:
            raise BadTarget("python", f"Python version {python!r}: expected X.Y or X.Y.Z, like 2.7") from None
        if len(version) not in (2, 3):
            raise BadTarget("python", f"Python version {python!r}: expected X.Y or X.Y.Z, like 2.7")
        abis = tuple(abis) or (default_abi(version, implementation),)
        platforms = expand_platforms(tuple(platforms) or ("manylinux_2_17_x86_64",))
        return cls(version, implementation, abis, platforms)

    @property
    def short(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    @property
    def full_version(self) -> str:
        return ".".join(str(v) for v in self.version)

    def tags(self) -> list[ptags.Tag]:
        """Every tag the target accepts, most preferred first (pip's order)."""
        xy = self.version[:2]
        interpreter = f"{self.implementation}{xy[0]}{xy[1]}"
        if self.implementation == "cp":
            found = list(ptags.cpython_tags(xy, abis=list(self.abis), platforms=list(self.platforms)))
        else:
            found = list(ptags.generic_tags(interpreter, abis=list(self.abis), platforms=list(self.platforms)))
        found += list(ptags.compatible_tags(xy, interpreter, list(self.platforms)))
        return list(dict.fromkeys(found))

    def marker_environment(self) -> dict[str, str]:
        """PEP 508 environment markers as the target's interpreter would report them."""
        platform = self.platforms[0] if self.platforms else "linux_x86_64"
        major = self.version[0]
        if platform.startswith("macosx_"):
            sys_platform, system, os_name = "darwin", "Darwin", "posix"
            machine = platform.split("_", 3)[-1]
            machine = "arm64" if machine == "arm64" else "x86_64"
        elif platform.startswith("win"):
            sys_platform, system, os_name = "win32", "Windows", "nt"
            machine = {"win_amd64": "AMD64", "win32": "x86", "win_arm64": "ARM64"}.get(platform, "AMD64")
        else:
            sys_platform = "linux2" if major == 2 else "linux"
            system, os_name = "Linux", "posix"
            machine = linux_arch(platform) or platform.rsplit("_", 1)[-1]
        impl = {"cp": ("cpython", "CPython"), "pp": ("pypy", "PyPy")}[self.implementation]
        return {
            "implementation_name": impl[0],
            "implementation_version": self.full_version,
            "os_name": os_name,
            "platform_machine": machine,
            "platform_release": "",
            "platform_system": system,
            "platform_version": "",
            "python_full_version": self.full_version,
            "platform_python_implementation": impl[1],
            "python_version": self.short,
            "sys_platform": sys_platform,
        }

    def describe(self) -> str:
        name = {"cp": "CPython", "pp": "PyPy"}[self.implementation]
        return f"{name} {self.full_version} ({'/'.join(self.abis)}) on {self.platforms[0]}"


def default_abi(version: tuple[int, ...], implementation: str = "cp") -> str:
    """cp27mu, cp26mu (the wide build most Linux systems have), cp3Xm for 3.3-3.7, cp3X after."""
    major, minor = version[:2]
    if implementation != "cp":
        raise BadTarget("abi", "a PyPy target needs its ABI named (e.g. pypy_73 / pypy37_pp73)")
    return cpython_abi(major, minor, "ucs4")


def expand_platforms(given: tuple[str, ...]) -> tuple[str, ...]:
    """What a system described by each ``--platform`` accepts, most specific first.

    ``manylinux_2_17_x86_64`` means glibc 2.17: manylinux_2_17 down to 2_5, the
    legacy aliases, then ``linux_x86_64``. A distro tag
    (``linux_x86_64_ubuntu_14_04``) is kept as given, before the rest.
    Anything else is taken literally (``pip --platform`` semantics).
    """
    first: list[str] = []
    generic: list[str] = []
    for plat in given:
        if plat.startswith("manylinux"):
            glibc, arch = _manylinux(plat)
            for minor in range(glibc, 4, -1):
                first.append(f"manylinux_2_{minor}_{arch}")
                legacy = legacy_manylinux((2, minor))
                if legacy:
                    first.append(f"{legacy}_{arch}")
            generic.append(f"linux_{arch}")
        elif plat.startswith("macosx_"):
            _, major, minor_text, arch = plat.split("_", 3)
            first += list(ptags.mac_platforms((int(major), int(minor_text)), arch))
        else:
            first.append(plat)
    return tuple(dict.fromkeys(first + generic))


def _manylinux(plat: str) -> tuple[int, str]:
    """(glibc minor, arch) of a manylinux_2_X / legacy manylinux platform."""
    found = manylinux_glibc(plat)
    if found is None or found[0][0] != 2:
        raise BadTarget("platform", f"platform {plat!r}: expected manylinux_2_X_<arch> or a legacy manylinux name")
    (_, minor), arch = found
    return minor, arch
