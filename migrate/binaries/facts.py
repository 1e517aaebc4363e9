"""What one binary says, whatever its format: :class:`BinaryFacts` and the facts its file name gives.

The format readers (:mod:`elf`, :mod:`machpe`) fill a ``BinaryFacts``; the
helpers here are the rules they share: the module an extension's file name
names, its init symbol, the Python ABI a ``PyUnicodeUCS*`` reference or a
PEP 3149 suffix implies, the ``libpythonX.Y`` a binary links.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Collection, Iterable, Optional

from migrate.platforms import canonical_arch

# What the first bytes of a file say its format is.
_MAGIC = (
    (b"\x7fELF", "elf"),
    (b"\xfe\xed\xfa\xce", "macho"), (b"\xce\xfa\xed\xfe", "macho"),  # 32-bit, big and little endian
    (b"\xfe\xed\xfa\xcf", "macho"), (b"\xcf\xfa\xed\xfe", "macho"),  # 64-bit
    (b"\xca\xfe\xba\xbe", "macho"),  # fat (universal)
    (b"MZ", "pe"),
)
FORMAT_NAMES = {"elf": "ELF", "macho": "Mach-O", "pe": "PE"}
_PY3_SUFFIX = re.compile(r"\.cpython-(?P<ver>\d)(?P<minor>\d+)(?P<flags>[dmu]*)(-(?P<triplet>[^.]+))?\.so$")
_PYPY_SUFFIX = re.compile(r"\.(?P<abi>pypy\d*-\w+?|pypy-\d+)(-[^.]*-[^.]*-[^.]*)?\.so$")
_ABI3_SUFFIX = re.compile(r"\.abi3(-[^.]+)?\.so$")
_LIBPYTHON = re.compile(r"^libpython(?P<major>\d)\.(?P<minor>\d+)(?P<flags>[dmu]*)\.so(\.[\d.]+)?$")


@dataclass(frozen=True)
class BinaryFacts:
    """Facts read from one binary file inside an egg."""

    path: str
    format: str  # "elf", "macho", "pe" or "unknown"
    arch: Optional[str] = None  # wheel-style arch: x86_64, i686, aarch64, intel, universal2, win_amd64...
    is_extension: bool = False  # exports init<mod> / PyInit_<mod>
    python_major: Optional[int] = None  # 2 (init<mod>) or 3 (PyInit_<mod>)
    ucs: Optional[str] = None  # "ucs2" / "ucs4" / "both" from PyUnicodeUCS*_ references (py2)
    pypy: bool = False  # links PyPy's cpyext (PyPy* symbols)
    needed: tuple[str, ...] = ()  # DT_NEEDED (PE: imported DLLs; Mach-O: LC_LOAD_DYLIB)
    rpath: tuple[str, ...] = ()  # DT_RPATH + DT_RUNPATH
    versioned: tuple[tuple[str, str], ...] = ()  # ((library, "GLIBC_2.14"), ...) from .gnu.version_r
    comment: tuple[str, ...] = ()  # .comment strings (compiler identification)
    undefined: tuple[str, ...] = ()  # strong (non-weak) undefined dynamic symbols: what the policy blacklists see
    macos_min: Optional[str] = None  # "10.6" for Mach-O
    problem: Optional[str] = None  # why the file could not be read
    soname: Optional[str] = None  # DT_SONAME
    pyfpe: bool = False  # references PyFPE_jbuf & co (a --with-fpectl Python 2 build)
    isa: Optional[str] = None  # instruction set beyond the arch baseline: "x86-64-v3", "armv7l soft-float"
    libc: Optional[str] = None  # "glibc" / "musl" from DT_NEEDED, None when it links no libc
    version_users: tuple[tuple[str, str], ...] = ()  # ((version, symbol), ...): which undefined symbol needs each version
    os: Optional[str] = None  # the OS the binary itself names (freebsd, solaris, linux, cygwin...); None: it does not say
    os_how: str = ""  # how: "ELF OS/ABI FREEBSD", "imports cygwin1.dll"

    @property
    def suffix_abi(self) -> Optional[str]:
        """The ABI a PEP 3149 file name suffix names: cp36m, cp310, abi3, pypy36_pp73..."""
        return abi_from_filename(self.path)

    @property
    def suffix_arch(self) -> Optional[str]:
        """The arch a PEP 3149 suffix names (``x86_64-linux-gnu`` -> ``x86_64``)."""
        return arch_from_filename(self.path)

    @property
    def libpython(self) -> Optional[tuple[int, int, str]]:
        """(major, minor, flags) of a ``libpythonX.Y[m].so`` this binary links (an --enable-shared build)."""
        for lib in self.needed:
            version = libpython_version(lib)
            if version:
                return version
        return None

    def users_of(self, version: str) -> list[str]:
        """The undefined symbols that need ``version`` (e.g. GLIBC_2.34), sorted."""
        return sorted({s for v, s in self.version_users if v == version})


def sniff_format(head: bytes) -> str:
    """"elf", "macho", "pe" or "unknown" from a file's first bytes."""
    return next((kind for magic, kind in _MAGIC if head.startswith(magic)), "unknown")


def module_name(path: str) -> str:
    """``pkg/_speedups.cpython-36m-x86_64-linux-gnu.so`` -> ``_speedups``."""
    return path.rsplit("/", 1)[-1].split(".", 1)[0]


def init_symbol(path: str, python_major: int) -> str:
    """The symbol a Python 3 (``PyInit_<mod>``) or Python 2 (``init<mod>``) extension exports."""
    mod = module_name(path)
    return f"PyInit_{mod}" if python_major == 3 else f"init{mod}"


def python_major_of(path: str, exported: Collection[str]) -> Optional[int]:
    """3 when the binary exports ``PyInit_<mod>``, 2 for ``init<mod>``, None for neither."""
    if init_symbol(path, 3) in exported:
        return 3
    if init_symbol(path, 2) in exported:
        return 2
    return None


def ucs_of(undefined: Iterable[str]) -> Optional[str]:
    """The Python 2 unicode build ``PyUnicodeUCS*_`` references need: "ucs2", "ucs4", "both" or None."""
    ucs = None
    if any(s.startswith("PyUnicodeUCS4_") for s in undefined):
        ucs = "ucs4"
    if any(s.startswith("PyUnicodeUCS2_") for s in undefined):
        ucs = "ucs2" if ucs is None else "both"
    return ucs


def libpython_version(lib: str) -> Optional[tuple[int, int, str]]:
    """``libpython3.6m.so.1.0`` -> (3, 6, "m"); None for any other library."""
    m = _LIBPYTHON.match(lib)
    return (int(m["major"]), int(m["minor"]), m["flags"]) if m else None


def abi_from_filename(path: str) -> Optional[str]:
    name = path.rsplit("/", 1)[-1]
    m = _PY3_SUFFIX.search(name)
    if m:
        return f"cp{m['ver']}{m['minor']}{m['flags']}"
    if _ABI3_SUFFIX.search(name):
        return "abi3"
    m = _PYPY_SUFFIX.search(name)
    if m:
        return m["abi"].replace("-", "_").replace(".", "_")
    return None


def arch_from_filename(path: str) -> Optional[str]:
    m = _PY3_SUFFIX.search(path.rsplit("/", 1)[-1])
    if not m or not m["triplet"] or "-linux-" not in m["triplet"]:
        return None
    return canonical_arch(m["triplet"].split("-", 1)[0])
