"""Platform facts every stage shares: architecture names, operating systems, manylinux names.

One home for the vocabulary of wheel platform tags (PEP 425, 513, 571, 599, 600),
as auditwheel keeps its own in ``architecture.py``: the binary readers name an
architecture with it, the tag chooser and the checks compare with it, the mirror
recognises distro tags and the pins expand a target's platforms with it.
"""
from __future__ import annotations

import re
from typing import Optional, Union

# (ELF e_machine, ELF class) -> arch as wheel platform tags name it (auditwheel's table);
# EM_PPC64 depends on the byte order (see elf_arch). pyelftools names a machine it does not know by number.
ELF_ARCH: dict[tuple[Union[str, int], int], str] = {
    ("EM_X86_64", 64): "x86_64",
    ("EM_X86_64", 32): "x32",
    ("EM_386", 32): "i686",
    ("EM_AARCH64", 64): "aarch64",
    ("EM_ARM", 32): "armv7l",
    ("EM_S390", 64): "s390x",
    ("EM_S390", 32): "s390",
    ("EM_RISCV", 64): "riscv64",
    ("EM_LOONGARCH", 64): "loongarch64",
    ("EM_PPC", 32): "ppc",
}
# ARM build attributes' Tag_CPU_arch (.ARM.attributes) -> the ``uname -m`` of that ARM generation; EM_ARM alone
# says only "32-bit ARM" (armv7l, what manylinux means by it, when a binary has no attributes).
ARM_CPU_ARCH = {1: "armv4l", 2: "armv4tl", 3: "armv5tl", 4: "armv5tel", 5: "armv5tejl", 6: "armv6l", 7: "armv6l",
                8: "armv6l", 9: "armv6l", 10: "armv7l", 11: "armv6l", 12: "armv6l", 13: "armv7l", 14: "armv8l"}
# Other spellings of an arch -> the platform tag's: egg names (distutils' ``uname -m``,
# ``amd64``) and the first part of PEP 3149 multiarch triplets (``i386-linux-gnu``).
ARCH_ALIASES = {
    "amd64": "x86_64",
    "i386": "i686", "i486": "i686", "i586": "i686", "x86": "i686",
    "arm": "armv7l", "armv7": "armv7l",
    "powerpc64le": "ppc64le", "powerpc64": "ppc64", "powerpc": "ppc",
}
# Arches a Linux platform tag names (linux_<arch>, manylinux_2_X_<arch>, linux_<arch>_<distro>_<version>).
LINUX_ARCHES = ("x86_64", "i686", "aarch64", "armv7l", "armv6l", "ppc64le", "ppc64", "s390x", "riscv64",
                "loongarch64", "x32", "i386")
# Operating systems as platform tags begin, and the binary format each one loads.
OPERATING_SYSTEMS = ("linux", "macosx", "win")
FORMAT_OS = {"elf": "linux", "macho": "macosx", "pe": "win"}
# The legacy manylinux names (PEP 513, 571, 599) and the glibc each stands for (PEP 600).
MANYLINUX_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}

_ARM32 = re.compile(r"^armv[4-8]")
_LINUX = re.compile(r"^(?P<kind>linux|manylinux\d+|manylinux_\d+_\d+|musllinux_\d+_\d+)_(?P<rest>.+)$")
_MANYLINUX = re.compile(r"^manylinux(?:_(?P<major>\d+)_(?P<minor>\d+)|(?P<legacy>%s))_(?P<arch>.*)$"
                        % "|".join(name[len("manylinux"):] for name in MANYLINUX_LEGACY))


def elf_arch(machine: Union[str, int], elf_class: int, little_endian: bool) -> str:
    """The arch an ELF header names; an unknown machine by its lowercase name (``EM_MIPS`` -> ``mips``)."""
    if machine == "EM_PPC64":
        return "ppc64le" if little_endian else "ppc64"
    arch = ELF_ARCH.get((machine, elf_class))
    return arch if arch is not None else str(machine).lower().replace("em_", "")


def same_machine(tag_arch: str, binary_arch: str) -> bool:
    """A platform tag's arch fits a binary's: equal, or both 32-bit ARM (a build host's ``armv5tejl``
    runs the ``armv4tl`` code it compiled; the ELF header cannot say which ARM the tag should name)."""
    if tag_arch == binary_arch:
        return True
    return bool(_ARM32.match(tag_arch) and _ARM32.match(binary_arch))


def canonical_arch(name: str) -> str:
    """``amd64`` -> ``x86_64``, ``i386`` -> ``i686``; a name without an alias as given."""
    return ARCH_ALIASES.get(name, name)


def tag_safe(text: str) -> str:
    """Text as one part of a platform tag: lowercase, every run of other characters one ``_``."""
    return re.sub(r"[^A-Za-z0-9]+", "_", text).lower()


def platform_os_arch(platform: str) -> tuple[str, Optional[str]]:
    """``manylinux_2_17_x86_64`` -> ("linux", "x86_64"); ``win_amd64`` -> ("win", "win_amd64")."""
    if platform == "any":
        return "any", None
    if platform.startswith("macosx_"):
        parts = platform.split("_", 3)
        return "macosx", parts[3] if len(parts) == 4 else None
    if platform == "win32" or platform.startswith("win_"):
        return "win", platform
    arch = linux_arch(platform)
    return ("linux", arch) if arch is not None else (platform, None)


def linux_arch(platform: str) -> Optional[str]:
    """The arch of a Linux platform tag (``linux_x86_64_ubuntu_14_04`` -> ``x86_64``); None for others."""
    m = _LINUX.match(platform)
    if not m:
        return None
    rest = m["rest"]
    for arch in sorted(LINUX_ARCHES, key=len, reverse=True):
        if rest == arch or rest.startswith(arch + "_"):
            return arch
    return rest


def manylinux_glibc(platform: str) -> Optional[tuple[tuple[int, int], str]]:
    """((glibc major, minor), arch) of a manylinux tag: ``manylinux2014_x86_64`` -> ((2, 17), "x86_64")."""
    m = _MANYLINUX.match(platform)
    if not m:
        return None
    if m["legacy"]:
        return MANYLINUX_LEGACY["manylinux" + m["legacy"]], m["arch"]
    return (int(m["major"]), int(m["minor"])), m["arch"]


def legacy_manylinux(glibc: tuple[int, int]) -> Optional[str]:
    """The legacy name of a glibc version's manylinux policy: (2, 17) -> ``manylinux2014``; None when it has none."""
    return next((name for name, version in MANYLINUX_LEGACY.items() if version == tuple(glibc)), None)


def cpython_abi(major: int, minor: int, unicode: Optional[str] = None, debug: bool = False) -> str:
    """The ABI tag pip and ``packaging.tags`` give a CPython X.Y build: the one home of the flags rule.

    ``d`` a debug build; ``m`` pymalloc, on by default from 2.3 and no longer
    a flag from 3.8; ``u`` a wide (``unicode="ucs4"``) build, which only
    exists before PEP 393 (3.3). ``cpython_abi(2, 5, "ucs4")`` -> ``cp25mu``.
    """
    flags = ("d" if debug else "") + ("m" if (major, minor) < (3, 8) else "")
    if (major, minor) < (3, 3) and unicode == "ucs4":
        flags += "u"
    return f"cp{major}{minor}{flags}"


def has_unicode_flag(major: int, minor: int) -> bool:
    """Before PEP 393 (3.3) a CPython build is narrow (UCS2) or wide (UCS4), and its ABI tag says which."""
    return (major, minor) < (3, 3)
