"""(egg facts) -> wheel tags, with the reason for each (PEP 425, 513, 600; packaging.tags).

The rules (docs/tags.rst):

- python: ``cpXY`` (``ppXY``) whenever there is a binary; ``pyX`` / ``py2.py3``
  for pure code; ``cpXY-none-any`` for bytecode-only eggs (``.pyc`` is tied to
  one CPython version).
- abi, Python 2: ``cp27mu`` when extensions reference ``PyUnicodeUCS4_*``,
  ``cp27m`` for ``PyUnicodeUCS2_*``; else the Galaxy name suffix; else
  ``--py2-unicode``; else both (``cp27m.cp27mu``: no Py_UNICODE symbol, so
  the module loads on either build). Python 3: the PEP 3149 ``.so`` suffix,
  else the egg's pyver (3.3-3.7 -> ``cp3Xm``, 3.8+ -> ``cp3X``).
- platform: ``manylinux_2_X`` (lowest X whose auditwheel policy every ELF
  meets, legacy alias added) or ``linux_<arch>``; on request the distro tag
  ``linux_<arch>_<distro>_<version>``. The egg name's ``-ucs4`` never
  reaches the platform.

The manylinux verdict (:func:`manylinux_audit`) follows auditwheel's
``analyze_wheel_abi`` as ``auditwheel show`` runs it: the overall policy is
the most restrictive of the symbol-version, library-whitelist, blacklist,
UCS2, PyFPE and ISA verdicts, each being the oldest policy that constraint
allows. The policy data is auditwheel's published JSON, shipped in
``migrate/data`` (see ``manylinux-policy.SOURCE``).

The binaries win over the egg's name; ``trust_name`` reverses that. Every
disagreement is a Problem with a stable code (T001-T007).
"""
from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Iterable, Optional

from migrate import problems as P
from migrate.binaries import BinaryFacts
from migrate.eggs.names import EggName
from migrate.errors import MigrateError

PLATFORM_MODES = ("auto", "manylinux", "linux", "distro")
_NAME_ARCH = {"amd64": "x86_64", "i386": "i686", "i586": "i686", "i486": "i686", "x86": "i686", "armv7": "armv7l"}
_DISTRO_ALIASES = {"centos": "rhel", "redhat": "rhel", "red_hat": "rhel", "scientific": "rhel", "sl": "rhel",
                   "rocky": "rhel", "almalinux": "rhel", "alma": "rhel", "oracle": "rhel", "ol": "rhel"}
_MAJOR_ONLY_DISTROS = ("rhel", "debian")
_LIBPYTHON = re.compile(r"^libpython\d+\.\d+[dmu]*\.so(\.[\d.]+)?$")


class TagError(MigrateError, ValueError):
    """No correct tag can be chosen; the message says why and what to pass."""


@dataclass(frozen=True)
class TagOptions:
    platform_tag: str = "auto"  # auto | manylinux | linux | distro
    distro: Optional[str] = None  # "ubuntu:14.04"
    py2_unicode: Optional[str] = None  # "ucs2" | "ucs4"
    trust_name: bool = False


@dataclass(frozen=True)
class WheelTags:
    """A (possibly compressed) tag triple and why each part was chosen."""

    python: str
    abi: str
    platform: str
    reasons: tuple = ()  # (("python", why), ("abi", why), ("platform", why))
    external_libs: tuple = ()  # libraries the deployment must provide
    problems: tuple = field(default=())
    repairable: bool = False  # linux_<arch> only because of external libraries: `auditwheel repair` can fix it

    def __str__(self) -> str:
        return f"{self.python}-{self.abi}-{self.platform}"

    @property
    def is_pure(self) -> bool:
        return self.abi == "none" and self.platform == "any"

    def expanded(self) -> list:
        """Every single tag of the compressed set, for WHEEL ``Tag:`` lines."""
        return [
            f"{py}-{abi}-{plat}"
            for py in self.python.split(".")
            for abi in self.abi.split(".")
            for plat in self.platform.split(".")
        ]

    def reason(self, part: str) -> str:
        return dict(self.reasons).get(part, "")


def choose(
    name: EggName,
    binaries: Iterable[BinaryFacts],
    classifiers: tuple = (),
    sourceless: bool = False,
    options: TagOptions = TagOptions(),
) -> WheelTags:
    """Pick the most specific correct tags for one egg. Raises TagError when none is."""
    if options.platform_tag not in PLATFORM_MODES:
        raise TagError(f"--platform-tag {options.platform_tag!r}: expected one of {', '.join(PLATFORM_MODES)}")
    binaries = list(binaries)
    found = [P.warning("B001", f"{b.path}: {b.problem}") for b in binaries if b.problem]
    readable = [b for b in binaries if not b.problem]
    if not binaries:
        return _pure(name, classifiers, sourceless, found)
    if not readable:
        raise TagError("no readable binary: " + "; ".join(f"{b.path}: {b.problem}" for b in binaries))
    if not any(_uses_python(b) for b in readable):
        return _binary_without_python(name, readable, classifiers, sourceless, options, found)
    major, minor, py_reason = _python_version(name, readable, options, found)
    pypy = any(b.pypy for b in readable)
    python = f"{'pp' if pypy else 'cp'}{major}{minor}"
    abi, abi_reason = _abi(name, major, minor, readable, options, found, pypy)
    platform, plat_reason, external, repairable = _platform(name, readable, abi, options, found)
    return WheelTags(
        python=python,
        abi=abi,
        platform=platform,
        reasons=(("python", py_reason), ("abi", abi_reason), ("platform", plat_reason)),
        external_libs=tuple(external),
        problems=tuple(found),
        repairable=repairable,
    )


def _uses_python(b: BinaryFacts) -> bool:
    """An extension module, or a library calling the Python C API (ties the wheel to an ABI).

    Only ELF symbol tables are read that closely; Mach-O and PE binaries count as using it.
    """
    if b.format != "elf" or b.is_extension or b.suffix_abi or b.libpython:
        return True
    return any(s.startswith(("Py", "_Py")) for s in b.undefined)


def _binary_without_python(name: EggName, binaries: list, classifiers: tuple, sourceless: bool,
                           options: TagOptions, found: list) -> WheelTags:
    """Executables or ctypes libraries only: ``pyX-none-<platform>``, as cmake/ninja wheels are."""
    pure = _pure(name, classifiers, sourceless, found)
    platform, plat_reason, external, repairable = _platform(name, binaries, "none", options, found)
    return WheelTags(
        python=pure.python,
        abi="none",
        platform=platform,
        reasons=(("python", pure.reason("python") + "; its binaries call no Python C API"),
                 ("abi", "binaries are programs or libraries that use no Python C API"),
                 ("platform", plat_reason)),
        external_libs=tuple(external),
        problems=tuple(found),
        repairable=repairable,
    )


def _pure(name: EggName, classifiers: tuple, sourceless: bool, found: list) -> WheelTags:
    majors = _classifier_majors(classifiers)
    if sourceless:
        if not name.pyver:
            raise TagError("bytecode-only egg without a python version in its name: cannot tell which CPython reads it")
        py = "cp" + name.pyver.replace(".", "")
        why = f"only .pyc files, which only CPython {name.pyver} reads"
    elif name.py_major and majors >= {2, 3}:
        py, why = "py2.py3", f"pure code; built for py{name.pyver}, classifiers name Python 2 and 3"
    elif name.py_major:
        py, why = f"py{name.py_major}", f"pure code built for py{name.pyver}"
    elif majors:
        py = ".".join(f"py{m}" for m in sorted(majors))
        why = "pure code; no python version in the egg name, taken from the classifiers"
    else:
        py, why = "py2.py3", "pure code; neither the name nor the classifiers name a Python version"
        found.append(P.warning("T010", "no python version in the egg name or classifiers: tagged py2.py3"))
    return WheelTags(
        python=py, abi="none", platform="any",
        reasons=(("python", why), ("abi", "no extension modules"), ("platform", "no binaries")),
        problems=tuple(found),
    )


def _classifier_majors(classifiers: tuple) -> set:
    majors = set()
    for c in classifiers:
        m = re.match(r"Programming Language :: Python :: (\d)", c)
        if m:
            majors.add(int(m.group(1)))
    return majors


# -- python version -------------------------------------------------------------------------------------


def _binary_versions(b: BinaryFacts) -> list:
    """[((major, minor), how we know)] from one binary's file name and linked libraries."""
    said = []
    abi = b.suffix_abi
    if abi and abi.startswith("cp") and abi[2:3].isdigit():
        said.append(((int(abi[2]), int(abi[3:].rstrip("dmu"))), f"the .so suffix of {b.path}"))
    lib = b.libpython
    if lib:
        said.append(((lib[0], lib[1]), f"{b.path} links libpython{lib[0]}.{lib[1]}{lib[2]}"))
    if b.format == "pe":
        from migrate.binaries import python_from_dll

        dll = python_from_dll(b.needed)
        if dll and dll[1] is not None:
            said.append((dll, f"{b.path} imports python{dll[0]}{dll[1]}.dll"))
    return said


def _init_symbol(b: BinaryFacts) -> str:
    from migrate.binaries import module_name

    mod = module_name(b.path)
    return f"PyInit_{mod}" if b.python_major == 3 else f"init{mod}"


def _python_version(name: EggName, binaries: list, options: TagOptions, found: list):
    """(major, minor, reason) from the name, cross-checked against the binaries."""
    evidence = [e for b in binaries for e in _binary_versions(b)]
    for b in binaries:  # a module that contradicts itself: suffix/libpython vs its init symbol
        for (major, minor), how in _binary_versions(b):
            if b.python_major and b.python_major != major:
                found.append(P.warning("T007", f"{how} (Python {major}.{minor}) but it exports "
                                       f"{_init_symbol(b)} (a Python {b.python_major} module)"))
    versions = sorted({v for v, _ in evidence})
    if len(versions) > 1:
        raise TagError("extension modules for several Python versions: "
                       + "; ".join(f"{how} ({v[0]}.{v[1]})" for v, how in evidence))
    init_majors = {b.python_major for b in binaries if b.python_major}
    if len(init_majors) > 1:
        raise TagError("both Python 2 (init<mod>) and Python 3 (PyInit_<mod>) extension modules")
    binary_ver = versions[0] if versions else None
    how_ver = next((how for v, how in evidence if v == binary_ver), "")
    init_b = next((b for b in binaries if b.python_major), None)
    binary_major = binary_ver[0] if binary_ver else (init_b.python_major if init_b else None)
    name_ver = _pyver(name)
    if name_ver:
        mismatch = (binary_ver and binary_ver != name_ver) or (binary_major and binary_major != name_ver[0])
        if not mismatch:
            return name_ver[0], name_ver[1], f"egg built for py{name.pyver}" + (", matching the binaries" if binary_major else "")
        if binary_ver:
            said = f"{how_ver} (Python {binary_ver[0]}.{binary_ver[1]})"
        else:
            said = f"{init_b.path} exports {_init_symbol(init_b)} (a Python {init_b.python_major} module)"
        if options.trust_name:
            found.append(P.warning("T001", f"egg name says py{name.pyver} but {said}; the name is used (--trust-name)"))
            return name_ver[0], name_ver[1], f"egg name py{name.pyver} (--trust-name; the binaries disagree)"
        if binary_ver:
            found.append(P.warning("T001", f"egg name says py{name.pyver} but {said}; the binary is used "
                                   "(--trust-name to use the name)"))
            return binary_ver[0], binary_ver[1], f"{how_ver} (the egg name said py{name.pyver})"
        found.append(P.warning("T001", f"egg name says py{name.pyver} but {said}"))
        raise TagError(f"egg name says py{name.pyver} but {said}, and nothing says which "
                       f"{init_b.python_major}.x; pass --trust-name to tag it py{name.pyver} anyway")
    if binary_ver:
        return binary_ver[0], binary_ver[1], f"{how_ver} (no python version in the egg name)"
    raise TagError("no python version in the egg name and the binaries do not say one")


def _pyver(name: EggName) -> Optional[tuple]:
    if not name.pyver:
        return None
    parts = name.pyver.split(".")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1])


# -- abi ------------------------------------------------------------------------------------------------


def _abi(name: EggName, major: int, minor: int, binaries: list, options: TagOptions, found: list, pypy: bool):
    if pypy:
        abis = {b.suffix_abi for b in binaries if b.suffix_abi and b.suffix_abi.startswith("pypy")}
        if len(abis) == 1:
            return next(iter(abis)), "PyPy extension suffix"
        raise TagError("PyPy extension modules without a .pypy-XY suffix: cannot tell the PyPy ABI")
    if major == 2:
        return _py2_abi(name, binaries, options, found)
    flag = "m" if (3, 3) <= (major, minor) <= (3, 7) else ""
    default = f"cp{major}{minor}{flag}"
    abis = {b.suffix_abi for b in binaries if b.suffix_abi and b.suffix_abi.startswith("cp")}
    if len(abis) == 1:
        abi = next(iter(abis))
        if abi.rstrip("dmu") == f"cp{major}{minor}":
            return abi, "the extension modules' .so suffix"
        return default, f"Python {major}.{minor} default ABI (the .so suffix names {abi}; --trust-name)"
    if "abi3" in {b.suffix_abi for b in binaries}:
        return "abi3", "the extension modules use the limited API (.abi3.so)"
    if any(b.format == "pe" and "python3.dll" in (n.lower() for n in b.needed) for b in binaries):
        return "abi3", "the extension modules import python3.dll (the limited API)"
    return default, f"Python {major}.{minor} default ABI (no PEP 3149 suffix on the .so)"


def _py2_abi(name: EggName, binaries: list, options: TagOptions, found: list):
    seen = {b.ucs for b in binaries if b.ucs}
    if "both" in seen or seen == {"ucs2", "ucs4"}:
        raise TagError("extension modules reference both PyUnicodeUCS2_* and PyUnicodeUCS4_*")
    binary_ucs = next(iter(seen), None)
    is_linux = any(b.format == "elf" for b in binaries)
    if binary_ucs and name.ucs and binary_ucs != name.ucs:
        user = next(b.path for b in binaries if b.ucs == binary_ucs)
        if options.trust_name:
            found.append(P.warning("T002", f"egg name says -{name.ucs} but {user} references "
                                   f"PyUnicode{binary_ucs.upper()}_* (a {binary_ucs.upper()} build); "
                                   "the name is used (--trust-name)"))
            return _UCS_ABI[name.ucs], f"Galaxy name suffix -{name.ucs} (--trust-name; the binaries disagree)"
        found.append(P.warning("T002", f"egg name says -{name.ucs} but {user} references "
                               f"PyUnicode{binary_ucs.upper()}_* (a {binary_ucs.upper()} build); "
                               "the binary is used (--trust-name to use the name)"))
    if binary_ucs:
        return _UCS_ABI[binary_ucs], f"extensions reference PyUnicode{binary_ucs.upper()}_* symbols"
    if name.ucs:
        return _UCS_ABI[name.ucs], f"Galaxy name suffix -{name.ucs} (binaries reference no PyUnicodeUCS* symbol)"
    if options.py2_unicode:
        return _UCS_ABI[options.py2_unicode], f"--py2-unicode {options.py2_unicode}"
    if not is_linux:
        return "cp27m", "Python 2 on macOS and Windows is a UCS2 build"
    found.append(P.info("T011", "no PyUnicodeUCS* reference and no -ucs suffix: tagged for UCS2 and UCS4 builds"))
    return "cp27m.cp27mu", "no PyUnicodeUCS* symbol: loads on UCS2 and UCS4 builds (--py2-unicode narrows it)"


_UCS_ABI = {"ucs2": "cp27m", "ucs4": "cp27mu"}


# -- platform -------------------------------------------------------------------------------------------


def split_egg_platform(platform: Optional[str]):
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
        return "linux", None, _NAME_ARCH.get(arch, arch)
    return os_name, None, "-".join(parts[1:]) or None


_OS_OF = {"elf": "linux", "macho": "macosx", "pe": "win"}


def _platform(name: EggName, binaries: list, abi: str, options: TagOptions, found: list):
    os_name, os_version, name_arch = split_egg_platform(name.platform)
    formats = sorted({b.format for b in binaries})
    if len(formats) > 1:
        raise TagError("binaries for several operating systems: "
                       + "; ".join(f"{b.path} is {b.format.upper()}" for b in binaries))
    binary_os = _OS_OF.get(formats[0])
    if binary_os is None:
        raise TagError("no binary in a known format")
    if os_name and os_name != binary_os:
        kind = {"elf": "ELF", "macho": "Mach-O", "pe": "PE"}[formats[0]]
        if options.trust_name and os_name in ("linux", "macosx", "win"):
            found.append(P.warning("T003", f"egg name says {name.platform} but the binaries are {kind} ({binary_os}); "
                                   "the name is used (--trust-name)"))
        else:
            found.append(P.warning("T003", f"egg name says {name.platform} but the binaries are {kind} ({binary_os}); "
                                   "the binaries are used"))
            os_name, os_version, name_arch = binary_os, None, None
    elif not os_name:
        os_name = binary_os
    archs = sorted({b.arch for b in binaries if b.arch})
    if len(archs) > 1:
        raise TagError("binaries for several architectures: " + "; ".join(f"{b.path} is {b.arch}" for b in binaries))
    arch = archs[0] if archs else None
    for b in binaries:
        if b.suffix_arch and b.arch and b.suffix_arch != b.arch:
            found.append(P.warning("T005", f"{b.path}: the file name says {b.suffix_arch} but the ELF machine is "
                                   f"{b.arch}; the ELF machine is used"))
    if name_arch and arch and name_arch != arch:
        if options.trust_name:
            found.append(P.warning("T004", f"egg name says {name_arch} but the binaries are {arch}; "
                                   "the name is used (--trust-name)"))
            arch = name_arch
        else:
            found.append(P.warning("T004", f"egg name says {name_arch} but the binaries are {arch}; "
                                   "the binaries are used (--trust-name to use the name)"))
    arch = arch or name_arch
    if not arch:
        raise TagError("cannot tell the architecture: the binaries do not say it and the egg name has no platform")
    if os_name == "macosx":
        tag, why = _macos_platform(name, os_version, arch, binaries, options, found)
        return tag, why, [], False
    if os_name == "win":
        return arch, "PE machine type" if archs else f"egg name {name.platform}", [], False
    if os_name != "linux":
        return _tag_safe(name.platform), "egg platform name", [], False
    return _linux_platform(arch, binaries, abi, options, found)


def _macos_platform(name: EggName, os_version: Optional[str], arch: str, binaries: list, options, found: list):
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


def _vkey(version: Optional[str]):
    return tuple(int(x) for x in version.split(".")) if version else ()


def _tag_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).lower()


def _linux_platform(arch: str, binaries: list, abi: str, options: TagOptions, found: list):
    elves = [b for b in binaries if b.format == "elf"]
    audit = manylinux_audit(arch, elves)
    found += audit.notes
    external = list(audit.external_libs)
    mode = options.platform_tag
    if mode == "linux":
        return f"linux_{arch}", "--platform-tag linux", external, False
    if mode == "distro":
        distro, version, why = _distro(elves, options)
        return f"linux_{arch}_{distro}_{_tag_safe(version)}", why, external, False
    if audit.policy:
        alias = [f"{a}_{arch}" for a in audit.aliases]
        tag = ".".join([f"{audit.policy}_{arch}"] + alias)
        return tag, audit.explain(), external, False
    if mode == "manylinux":
        raise TagError(f"not manylinux ({audit.why_not}); --platform-tag auto would tag it linux_{arch}")
    return f"linux_{arch}", f"not manylinux: {audit.why_not}", external, audit.repairable


# -- manylinux (auditwheel's policy, without auditwheel) -------------------------------------------------


@dataclass(frozen=True)
class ManylinuxAudit:
    """The manylinux verdict for a set of ELF files, and each constraint's part in it."""

    arch: str
    policy: Optional[str]  # "manylinux_2_17", or None: linux only
    aliases: tuple = ()  # legacy names of ``policy``: ("manylinux2014",)
    limits: tuple = ()  # ((constraint, oldest policy it allows or None, why), ...) for constraints that bind
    external_libs: tuple = ()  # needed libraries no manylinux policy allows (the deployment must provide them)
    notes: tuple = ()  # Problems found on the way (RPATHs out of the egg, unreachable bundled libraries)

    @property
    def why_not(self) -> str:
        """Why no manylinux policy fits (empty when one does)."""
        return "; ".join(why for _c, pol, why in self.limits if pol is None)

    @property
    def repairable(self) -> bool:
        """Not manylinux only because of libraries outside the policy: ``auditwheel repair`` grafts them."""
        blocking = {c for c, pol, _ in self.limits if pol is None}
        return self.policy is None and blocking == {"libraries"}

    def explain(self) -> str:
        if self.policy is None:
            return f"not manylinux: {self.why_not}"
        text = f"every ELF meets the {self.policy} policy (auditwheel's)"
        newer = [why for _c, pol, why in self.limits if pol == self.policy]
        return text + (f"; not older because {'; '.join(newer)}" if newer else "")


def manylinux_policy(arch: str, binaries: list, abi: str = ""):
    """(lowest manylinux_2_X name every ELF meets, or None, and why not).

    ``abi`` is accepted for compatibility; the UCS2 verdict comes from the
    symbols, as in auditwheel.
    """
    audit = manylinux_audit(arch, binaries)
    return audit.policy, (audit.why_not or None)


def manylinux_audit(arch: str, binaries: list) -> ManylinuxAudit:
    """auditwheel's overall policy for these ELF files (``auditwheel show``, no grafting)."""
    elves = [b for b in binaries if b.format == "elf" and not b.problem]
    policies = [p for p in _policies() if arch in p["symbol_versions"]]
    notes, internal = _bundled_resolution(elves)
    external = _external(elves, internal, _system_libs())
    if not policies:
        return ManylinuxAudit(arch, None, limits=(("arch", None, f"no manylinux policy exists for {arch}"),),
                              external_libs=external, notes=notes)
    checks = (
        ("symbol versions", lambda p: _symbol_violation(p, arch, elves)),
        ("libraries", lambda p: _library_violation(p, elves, internal)),
        ("blacklist", lambda p: _blacklist_violation(p, elves)),
        ("ucs2", lambda p: _ucs2_violation(elves)),
        ("pyfpe", lambda p: _pyfpe_violation(elves)),
        ("isa", lambda p: _isa_violation(elves)),
    )
    limits, overall = [], 0  # index into policies, oldest first
    for constraint, violation in checks:
        first_why, index = None, None
        for i, policy in enumerate(policies):
            why = violation(policy)
            if why is None:
                index = i
                break
            first_why = first_why or why
            last_why = why
        if index is None:
            limits.append((constraint, None, last_why))
            overall = None
        else:
            if index > 0:
                limits.append((constraint, policies[index]["name"], first_why))
            if overall is not None:
                overall = max(overall, index)
    if overall is None:
        return ManylinuxAudit(arch, None, limits=tuple(limits), external_libs=external, notes=notes)
    chosen = policies[overall]
    return ManylinuxAudit(arch, chosen["name"], tuple(chosen["aliases"]),
                          tuple(l for l in limits if l[1] == chosen["name"]), external, notes)


def _is_loader(lib: str) -> bool:
    """The dynamic loader: never external (auditwheel's ``filter_libs``)."""
    return "ld-linux" in lib or lib in ("ld64.so.2", "ld64.so.1")


def _bundled_resolution(elves: list):
    """(notes, {(binary path, needed lib)} that resolve inside the egg through $ORIGIN RPATHs)."""
    paths = {b.path for b in elves}
    by_name = {}
    for b in elves:
        by_name.setdefault(b.path.rsplit("/", 1)[-1], []).append(b.path)
    internal, notes = set(), []
    for b in elves:
        origin = posixpath.dirname(b.path)
        for entry in b.rpath:
            if entry and not entry.startswith(("$ORIGIN", "${ORIGIN}")):
                notes.append(P.info("B002", f"{b.path}: RPATH {entry} points outside the egg "
                                    "(a path on the build machine); it is ignored"))
        for lib in b.needed:
            if lib not in by_name:
                continue
            for entry in b.rpath:
                if not entry.startswith(("$ORIGIN", "${ORIGIN}")):
                    continue
                rel = entry.replace("${ORIGIN}", "$ORIGIN").replace("$ORIGIN", origin, 1).lstrip("/")
                if posixpath.normpath(posixpath.join(rel, lib)) in paths:
                    internal.add((b.path, lib))
                    break
            else:
                notes.append(P.info("B003", f"{b.path} links {lib}, which the egg carries at "
                                    f"{', '.join(by_name[lib])}, but no $ORIGIN RPATH reaches it: "
                                    "the loader looks for it on the system"))
    return tuple(notes), internal


def _external(elves: list, internal: set, allowed) -> tuple:
    return tuple(sorted({lib for b in elves for lib in b.needed
                         if lib not in allowed and not _is_loader(lib) and (b.path, lib) not in internal}))


def _symbol_violation(policy: dict, arch: str, elves: list) -> Optional[str]:
    allowed = policy["symbol_versions"][arch]
    for b in elves:
        for lib, version in b.versioned:
            if _is_loader(lib):
                continue
            prefix, _, number = version.partition("_")
            if prefix in allowed and number not in allowed[prefix]:
                users = b.users_of(version)
                used = f" ({', '.join(users[:3])}{', ...' if len(users) > 3 else ''} from {lib})" if users else f" (from {lib})"
                return f"{b.path} needs {version}{used}, newer than {policy['name']} allows"
    return None


def _library_violation(policy: dict, elves: list, internal: set) -> Optional[str]:
    libs = _external(elves, internal, set(policy["lib_whitelist"]))
    if not libs:
        return None
    users = {lib: next(b.path for b in elves if lib in b.needed) for lib in libs}
    return "; ".join(f"{users[lib]} links {lib}, {_lib_verdict(lib, policy)}" for lib in libs)


def _lib_verdict(lib: str, policy: dict) -> str:
    if _LIBPYTHON.match(lib):
        return ("which no manylinux policy allows (PEP 513: built by an --enable-shared Python; "
                "auditwheel repair drops the dependency)")
    if lib not in _system_libs():
        return "which no manylinux policy allows"
    return f"which {policy['name']} does not allow"


def _blacklist_violation(policy: dict, elves: list) -> Optional[str]:
    for b in elves:
        for lib, symbols in sorted(policy.get("blacklist", {}).items()):
            if lib in b.needed:
                bad = set(symbols) & (set(b.undefined) | {"*"})
                if bad:
                    return f"{b.path} uses {', '.join(sorted(bad))} from {lib}, which {policy['name']} forbids"
    return None


def _ucs2_violation(elves: list) -> Optional[str]:
    for b in elves:
        if b.python_major == 2 and b.ucs in ("ucs2", "both"):
            return f"{b.path} references PyUnicodeUCS2_* (a narrow-unicode Python 2 build), which auditwheel never tags manylinux"
    return None


def _pyfpe_violation(elves: list) -> Optional[str]:
    for b in elves:
        if b.pyfpe:
            return f"{b.path} references PyFPE_jbuf (a --with-fpectl Python build), which PEP 513 excludes from manylinux"
    return None


def _isa_violation(elves: list) -> Optional[str]:
    for b in elves:
        if b.isa:
            return f"{b.path} needs the {b.isa} instruction set, beyond the manylinux {b.arch} baseline"
    return None


def _is_system_lib(lib: str) -> bool:
    """Libraries some manylinux policy allows: part of any glibc system, not the deployment's burden."""
    return lib in _system_libs()


@lru_cache(maxsize=1)
def _system_libs() -> frozenset:
    return frozenset(lib for policy in _policies() for lib in policy["lib_whitelist"])


@lru_cache(maxsize=1)
def _policies() -> list:
    """auditwheel's manylinux policies, oldest (most compatible) first."""
    text = resources.files("migrate").joinpath("data/manylinux-policy.json").read_text("utf-8")
    policies = [p for p in json.loads(text) if p["name"].startswith("manylinux")]
    return sorted(policies, key=lambda p: -p["priority"])


def policy_names(arch: str = "x86_64") -> list:
    """Every manylinux policy name for ``arch``, oldest first (for docs and tests)."""
    return [p["name"] for p in _policies() if arch in p["symbol_versions"]]


# -- distro tags ----------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _compiler_rules() -> list:
    text = resources.files("migrate").joinpath("data/compilers.json").read_text("utf-8")
    return [(re.compile(r["pattern"]), r["distro"], r.get("version")) for r in json.loads(text)["rules"]]


def distro_from_comment(comment: str):
    """``GCC: (Ubuntu 4.8.4-2ubuntu1~14.04) 4.8.4`` -> ("ubuntu", "14.04"); None when unknown."""
    for pattern, distro, version in _compiler_rules():
        m = pattern.search(comment)
        if m:
            return distro, version or m.group("version")
    return None


def normalise_distro(distro: str, version: str):
    """``CentOS:6.5`` -> ("rhel", "6"): CentOS and friends are rhel, as Galaxy tagged them."""
    key = _tag_safe(distro).strip("_")
    key = _DISTRO_ALIASES.get(key, key)
    if key in _MAJOR_ONLY_DISTROS:
        version = version.split(".")[0]
    return key, version


def _distro(binaries: list, options: TagOptions):
    if options.distro:
        distro, _, version = options.distro.partition(":")
        if not distro or not version or not re.fullmatch(r"[A-Za-z0-9._-]+", version):
            raise TagError(f"--distro {options.distro!r}: expected NAME:VERSION, like ubuntu:14.04 or centos:6")
        name, version = normalise_distro(distro, version)
        return name, version, f"--distro {options.distro}"
    seen = {}
    for b in binaries:
        for c in b.comment:
            d = distro_from_comment(c)
            if d:
                seen.setdefault(d, c)
    comments = sorted({c for b in binaries for c in b.comment})
    if len(seen) == 1:
        (distro, version), comment = next(iter(seen.items()))
        return distro, version, f"compiler string {comment!r}"
    if not seen:
        shown = "; ".join(repr(c) for c in comments) if comments else "the binaries have no .comment section"
        raise TagError(f"cannot infer the build distro from the compiler strings ({shown}); pass --distro NAME:VERSION")
    raise TagError("the compiler strings name several distros ("
                   + "; ".join(f"{d} {v} from {c!r}" for (d, v), c in sorted(seen.items()))
                   + "), e.g. a newer toolchain on an older system; pass --distro NAME:VERSION")
