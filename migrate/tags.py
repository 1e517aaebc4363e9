"""(egg facts) -> wheel tags, with the reason for each (PEP 425, 600; packaging.tags).

The rules (README, "Tag policy"):

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

The binaries win over the egg's name; ``trust_name`` reverses that.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Iterable, Optional

from migrate import problems as P
from migrate.elf import BinaryFacts
from migrate.names import EggName

PLATFORM_MODES = ("auto", "manylinux", "linux", "distro")
_LEGACY_ALIAS = {"manylinux_2_5": "manylinux1", "manylinux_2_12": "manylinux2010", "manylinux_2_17": "manylinux2014"}
_NAME_ARCH = {"amd64": "x86_64", "i386": "i686", "i586": "i686", "i486": "i686", "x86": "i686", "armv7": "armv7l"}


class TagError(ValueError):
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
    binaries = list(binaries)
    found = [P.warning("B001", f"{b.path}: {b.problem}") for b in binaries if b.problem]
    readable = [b for b in binaries if not b.problem]
    if not binaries:
        return _pure(name, classifiers, sourceless, found)
    if not readable:
        raise TagError("every binary is unreadable: " + "; ".join(f"{b.path}: {b.problem}" for b in binaries))
    major, minor, py_reason = _python_version(name, readable, options, found)
    pypy = any(b.pypy for b in readable)
    python = f"{'pp' if pypy else 'cp'}{major}{minor}"
    abi, abi_reason = _abi(name, major, minor, readable, options, found, pypy)
    platform, plat_reason, external = _platform(name, readable, abi, options, found)
    return WheelTags(
        python=python,
        abi=abi,
        platform=platform,
        reasons=(("python", py_reason), ("abi", abi_reason), ("platform", plat_reason)),
        external_libs=tuple(external),
        problems=tuple(found),
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


def _python_version(name: EggName, binaries: list, options: TagOptions, found: list):
    """(major, minor, reason) from the name, cross-checked against the binaries."""
    name_ver = tuple(int(x) for x in name.pyver.split(".")) if name.pyver else None
    suffix_vers = {(int(a[2]), int(a[3:].rstrip("dmu"))) for a in (b.suffix_abi for b in binaries) if a and a.startswith("cp")}
    init_majors = {b.python_major for b in binaries if b.python_major}
    if len(suffix_vers) > 1:
        raise TagError("extension modules for several Python versions: " + ", ".join(f"{a}.{b}" for a, b in sorted(suffix_vers)))
    if len(init_majors) > 1:
        raise TagError("both Python 2 (init<mod>) and Python 3 (PyInit_<mod>) extension modules")
    binary_ver = next(iter(suffix_vers), None)
    binary_major = binary_ver[0] if binary_ver else next(iter(init_majors), None)
    if name_ver and len(name_ver) == 2:
        if binary_major and binary_major != name_ver[0] or binary_ver and binary_ver != name_ver:
            said = f"{binary_ver[0]}.{binary_ver[1]}" if binary_ver else f"{binary_major}.x"
            found.append(P.warning("T001", f"egg name says py{name.pyver} but the extension modules are for Python {said}"))
            if not options.trust_name:
                if binary_ver:
                    return binary_ver[0], binary_ver[1], f"the .so suffix (name said py{name.pyver})"
                raise TagError(f"egg name says py{name.pyver} but the modules are for Python {said}; pass --trust-name to use the name")
        return name_ver[0], name_ver[1], f"egg built for py{name.pyver}" + (", matching the binaries" if binary_major else "")
    if binary_ver:
        return binary_ver[0], binary_ver[1], "the extension's .so suffix (no python version in the egg name)"
    raise TagError("no python version in the egg name and the binaries do not say one")


def _abi(name: EggName, major: int, minor: int, binaries: list, options: TagOptions, found: list, pypy: bool):
    if pypy:
        abis = {b.suffix_abi for b in binaries if b.suffix_abi and b.suffix_abi.startswith("pypy")}
        if len(abis) == 1:
            return next(iter(abis)), "PyPy extension suffix"
        raise TagError("PyPy extension modules without a .pypy-XY suffix: cannot tell the PyPy ABI")
    if major == 2:
        return _py2_abi(name, binaries, options, found)
    abis = {b.suffix_abi for b in binaries if b.suffix_abi and b.suffix_abi.startswith("cp")}
    if len(abis) == 1:
        return next(iter(abis)), "the extension modules' .so suffix"
    if {b.suffix_abi for b in binaries} & {"abi3"}:
        return "abi3", "the extension modules use the limited API (.abi3.so)"
    flag = "m" if (3, 3) <= (major, minor) <= (3, 7) else ""
    return f"cp{major}{minor}{flag}", f"Python {major}.{minor} default ABI (no PEP 3149 suffix on the .so)"


def _py2_abi(name: EggName, binaries: list, options: TagOptions, found: list):
    seen = {b.ucs for b in binaries if b.ucs}
    if "both" in seen or seen == {"ucs2", "ucs4"}:
        raise TagError("extension modules reference both PyUnicodeUCS2_* and PyUnicodeUCS4_*")
    binary_ucs = next(iter(seen), None)
    is_linux = any(b.format == "elf" for b in binaries)
    if binary_ucs and name.ucs and binary_ucs != name.ucs:
        found.append(P.warning("T002", f"egg name says -{name.ucs} but the extensions reference PyUnicode{binary_ucs.upper()}_*"))
        if options.trust_name:
            binary_ucs = None
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


def split_egg_platform(platform: Optional[str]):
    """``linux-x86_64`` -> ("linux", None, "x86_64"); ``macosx-10.6-intel`` -> ("macosx", "10.6", "intel")."""
    if not platform:
        return None, None, None
    parts = platform.split("-")
    os_name = parts[0].lower()
    if os_name == "win32":
        return "win", None, "win32"
    if os_name == "win" and len(parts) == 2:
        return "win", None, parts[1].lower()
    if os_name == "macosx" and len(parts) == 3:
        return "macosx", parts[1], parts[2]
    if os_name == "linux" and len(parts) == 2:
        arch = parts[1].lower()
        return "linux", None, _NAME_ARCH.get(arch, arch)
    return os_name, None, "-".join(parts[1:]) or None


def _platform(name: EggName, binaries: list, abi: str, options: TagOptions, found: list):
    os_name, os_version, name_arch = split_egg_platform(name.platform)
    formats = {b.format for b in binaries}
    if len(formats) > 1:
        raise TagError("binaries for several operating systems: " + ", ".join(sorted(formats)))
    binary_os = {"elf": "linux", "macho": "macosx", "pe": "win"}[formats.pop()]
    if os_name and os_name != binary_os:
        found.append(P.warning("T003", f"egg name says {name.platform} but the binaries are {binary_os} ({binaries[0].format})"))
        if not options.trust_name:
            os_name, os_version, name_arch = binary_os, None, None
    os_name = os_name if options.trust_name and os_name else binary_os
    archs = {b.arch for b in binaries if b.arch}
    if len(archs) > 1:
        raise TagError("binaries for several architectures: " + ", ".join(sorted(archs)))
    arch = next(iter(archs), None)
    if name_arch and arch and name_arch != arch and not (os_name == "win" and name_arch in (arch, "amd64")):
        found.append(P.warning("T004", f"egg name says {name_arch} but the binaries are {arch}"))
        if options.trust_name:
            arch = name_arch
    arch = arch or name_arch
    if os_name == "macosx":
        version = max((b.macos_min for b in binaries if b.macos_min), default=None, key=_vkey) or os_version or "10.6"
        return f"macosx_{version.replace('.', '_')}_{arch}", "Mach-O minimum version and architectures", []
    if os_name == "win":
        return arch, "PE machine type", []
    if os_name != "linux":
        return _tag_safe(name.platform), "egg platform name", []
    return _linux_platform(arch, binaries, abi, options, found)


def _vkey(version: Optional[str]):
    return tuple(int(x) for x in version.split(".")) if version else ()


def _tag_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).lower()


def _linux_platform(arch: str, binaries: list, abi: str, options: TagOptions, found: list):
    bundled = {b.path.rsplit("/", 1)[-1] for b in binaries}
    external = sorted({lib for b in binaries for lib in b.needed if lib not in bundled and not _is_system_lib(lib)})
    mode = options.platform_tag
    if mode == "linux":
        return f"linux_{arch}", "--platform-tag linux", external
    if mode == "distro":
        distro, version, why = _distro(binaries, options)
        return f"linux_{arch}_{distro}_{_tag_safe(version)}", why, external
    policy, why_not = manylinux_policy(arch, binaries, abi)
    if policy:
        alias = _LEGACY_ALIAS.get(policy)
        tag = f"{policy}_{arch}" + (f".{alias}_{arch}" if alias else "")
        return tag, f"every ELF meets the {policy} policy (auditwheel's)", external
    if mode == "manylinux":
        raise TagError(f"not manylinux: {why_not}")
    return f"linux_{arch}", f"not manylinux: {why_not}", external


def _is_system_lib(lib: str) -> bool:
    """Libraries some manylinux policy allows: part of any glibc system, not the deployment's burden."""
    return lib in _system_libs()


@lru_cache(maxsize=1)
def _system_libs() -> frozenset:
    return frozenset(lib for policy in _policies() for lib in policy["lib_whitelist"])


@lru_cache(maxsize=1)
def _policies() -> list:
    text = resources.files("migrate").joinpath("data/manylinux-policy.json").read_text("utf-8")
    policies = [p for p in json.loads(text) if p["name"].startswith("manylinux")]
    return sorted(policies, key=lambda p: -p["priority"])


def manylinux_policy(arch: str, binaries: list, abi: str):
    """(lowest manylinux_2_X name every binary meets, or None, and why not)."""
    if abi == "cp27m":
        return None, "UCS2 Python 2 extensions are never manylinux"
    bundled = {b.path.rsplit("/", 1)[-1] for b in binaries}
    why_not = "no manylinux policy for this architecture"
    for policy in _policies():
        allowed = policy["symbol_versions"].get(arch)
        if allowed is None:
            continue
        reason = _violation(policy, allowed, binaries, bundled)
        if reason is None:
            return policy["name"], None
        why_not = reason
    return None, why_not


def _violation(policy: dict, allowed: dict, binaries: list, bundled: set) -> Optional[str]:
    whitelist = set(policy["lib_whitelist"])
    for b in binaries:
        for lib in b.needed:
            if lib not in whitelist and lib not in bundled:
                return f"{b.path} links {lib}, which manylinux does not allow"
        for lib, version in b.versioned:
            prefix, _, number = version.partition("_")
            if prefix in allowed and number not in allowed[prefix]:
                return f"{b.path} needs {version} (from {lib})"
        for lib, symbols in policy.get("blacklist", {}).items():
            if lib in b.needed:
                bad = set(symbols) & set(b.undefined)
                if bad:
                    return f"{b.path} uses {sorted(bad)[0]} from {lib}, which {policy['name']} forbids"
    return None


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


def _distro(binaries: list, options: TagOptions):
    if options.distro:
        distro, _, version = options.distro.partition(":")
        if not distro or not version:
            raise TagError(f"--distro {options.distro!r}: expected NAME:VERSION, like ubuntu:14.04")
        return distro.lower(), version, f"--distro {options.distro}"
    seen = {d for b in binaries for c in b.comment for d in [distro_from_comment(c)] if d}
    comments = sorted({c for b in binaries for c in b.comment})
    if len(seen) == 1:
        distro, version = seen.pop()
        return distro, version, f"compiler string {comments[0]!r}"
    if not seen:
        shown = "; ".join(comments) or "no .comment section"
        raise TagError(f"cannot infer the distro from the compiler strings ({shown}); pass --distro NAME:VERSION")
    raise TagError("binaries built on several distros: " + ", ".join(f"{d} {v}" for d, v in sorted(seen)))
