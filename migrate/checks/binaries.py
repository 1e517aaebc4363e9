"""W6xx: the tags say what the binaries are.

The binaries cannot lie: an ``init<mod>`` export is a Python 2 extension,
``PyInit_<mod>`` Python 3; ``PyUnicodeUCS4_*`` references need a wide (UCS4)
build (``cp27mu``, ``cp25mu``); the ``.cpython-36m-…so`` suffix names its ABI;
the ELF machine names the architecture, and the ELF OS/ABI or ABI note (or a
``cygwin1.dll`` import) the operating system; the manylinux policy (auditwheel's
JSON, via ``migrate.wheels.tags.manylinux_policy``) decides whether a manylinux tag is
earned. Each mismatch is an error: pip would install a wheel that cannot load.
"""
from __future__ import annotations

import re
from typing import Optional

from packaging.tags import Tag

from migrate import problems as P
from migrate.binaries import BinaryFacts
from migrate.checks.reader import OpenWheel
from migrate.platforms import (
    FORMAT_OS,
    OPERATING_SYSTEMS,
    cpython_abi,
    has_unicode_flag,
    manylinux_glibc,
    platform_os_arch,
    same_machine,
)
from migrate.problems import Problem
from migrate.wheels import manylinux_policy

_PY_ABI = re.compile(r"^cp(?P<ver>\d)(?P<minor>\d+)[dmu]*$")


def check(w: OpenWheel) -> list[Problem]:
    tags = w.tags
    found = _tag_sanity(tags)
    binaries = w.binaries
    if not binaries or not tags:
        return found
    readable = [b for b in binaries if not b.problem]
    found += [P.warning("W609", f"{b.path}: {b.problem}") for b in binaries if b.problem]
    extensions = [b for b in readable if b.is_extension]
    anys = sorted({str(t) for t in tags if t.platform == "any"})
    if anys and readable:
        found.append(P.error("W601", f"binaries ({readable[0].path}) in a platform-independent wheel ({anys[0]})"))
    generic = sorted({str(t) for t in tags if t.abi == "none" or t.interpreter.startswith("py")})
    if extensions and generic:
        found.append(P.error("W602", f"extension module {extensions[0].path} in a wheel tagged {generic[0]}: "
                             "extensions need an interpreter and ABI tag (cpXY-cpXY...)"))
    for b in extensions:
        found += _python(b, tags) + _suffix(b, tags) + _ucs(b, tags)
    found += _platform(readable, tags)
    return list(dict.fromkeys(found))


def _tag_sanity(tags: frozenset[Tag]) -> list[Problem]:
    """Tag triples no interpreter accepts (``py27-cp27mu``, ``cp310-cp36m``)."""
    found = []
    for t in sorted(tags, key=str):
        m = _PY_ABI.match(t.abi)
        if m and t.interpreter != f"cp{m['ver']}{m['minor']}":
            found.append(P.error("W610", f"tag {t}: ABI {t.abi} with python tag {t.interpreter}, a pair no interpreter accepts"))
    return found


def _major(interpreter: str) -> Optional[int]:
    m = re.match(r"^(?:cp|pp)(\d)", interpreter)
    return int(m[1]) if m else None


def _python(b: BinaryFacts, tags: frozenset[Tag]) -> list[Problem]:
    if not b.python_major:
        return []
    init = "PyInit_" if b.python_major == 3 else "init"
    return [
        P.error("W603", f"{b.path} is a Python {b.python_major} extension ({init}<module>) in a wheel tagged {t.interpreter}")
        for t in sorted(tags, key=str)
        if _major(t.interpreter) not in (None, b.python_major)
    ]


def _suffix(b: BinaryFacts, tags: frozenset[Tag]) -> list[Problem]:
    suffix = b.suffix_abi
    if not suffix:
        return []
    found = []
    for t in sorted(tags, key=str):
        if t.abi == "none":
            continue  # W602
        if suffix == "abi3":
            ok = t.abi == "abi3" or t.abi.startswith("cp3")
        else:
            ok = t.abi == suffix
        if not ok:
            found.append(P.error("W604", f"{b.path}: its file name suffix is for ABI {suffix}, the wheel is tagged {t.abi}"))
    return found


def _ucs(b: BinaryFacts, tags: frozenset[Tag]) -> list[Problem]:
    if b.ucs == "both":
        return [P.error("W605", f"{b.path} references both PyUnicodeUCS2_* and PyUnicodeUCS4_*: loads on no build")]
    if b.ucs is None:
        return []  # no PyUnicodeUCS* reference: it loads on either build
    found = []
    for t in sorted(tags, key=str):
        m = _PY_ABI.match(t.abi)
        if not m or not has_unicode_flag(int(m["ver"]), int(m["minor"])) or t.abi.endswith("u") == (b.ucs == "ucs4"):
            continue
        need = cpython_abi(int(m["ver"]), int(m["minor"]), b.ucs)
        found.append(P.error("W605", f"{b.path} references PyUnicode{b.ucs.upper()}_* (a {need} build) "
                             f"but the wheel is tagged {t.abi}"))
    return found


def _platform(binaries: list[BinaryFacts], tags: frozenset[Tag]) -> list[Problem]:
    found = []
    for t in sorted(tags, key=str):
        os_name, arch = platform_os_arch(t.platform)
        if os_name == "any":
            continue
        for b in binaries:
            binary_os = b.os or FORMAT_OS.get(b.format)
            if binary_os and os_name in OPERATING_SYSTEMS and binary_os != os_name:
                found.append(P.error("W608", f"{b.path} is a {b.format.upper()} ({binary_os}) binary in a {t.platform} wheel"))
            elif binary_os == os_name and arch and b.arch and not same_machine(arch, b.arch):
                found.append(P.error("W606", f"{b.path} is built for {b.arch}, the wheel is tagged {t.platform}"))
        found += _manylinux(binaries, t, arch)
    return found


def _manylinux(binaries: list[BinaryFacts], tag: Tag, arch: Optional[str]) -> list[Problem]:
    manylinux = manylinux_glibc(tag.platform)
    elves = [b for b in binaries if b.format == "elf" and b.arch and arch and same_machine(arch, b.arch)]
    if not manylinux or not elves or not arch:
        return []
    claimed = manylinux[0]
    policy, why_not = manylinux_policy(arch, elves)
    if policy is None:
        return [P.error("W607", f"tagged {tag.platform} but not manylinux: {why_not}")]
    met = tuple(int(x) for x in policy.split("_")[1:3])
    if met > claimed:
        return [P.error("W607", f"tagged {tag.platform} but the binaries need {policy} or newer")]
    return []
