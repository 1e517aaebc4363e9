"""What the binaries in an egg say about the interpreter and platform they need.

An egg's name can lie (Galaxy renamed eggs; setuptools left the platform off
eggs whose ``.so`` files were copied in by hand); the binaries cannot. This
module reads ELF files with pyelftools and recognises Mach-O and PE files
well enough to name their platform (see ``machpe.py``). It never imports the
extension and never raises on bad input: a file that cannot be read comes
back with ``problem`` set.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import BinaryIO, Optional

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

# e_machine -> arch name as used in wheel platform tags.
_ARCH = {
    "EM_X86_64": "x86_64",
    "EM_386": "i686",
    "EM_AARCH64": "aarch64",
    "EM_ARM": "armv7l",
    "EM_S390": "s390x",
    "EM_RISCV": "riscv64",
    "EM_LOONGARCH": "loongarch64",
}
_PY3_SUFFIX = re.compile(r"\.cpython-(?P<ver>\d)(?P<minor>\d+)(?P<flags>[dmu]*)(-[^.]+)?\.so$")
_PYPY_SUFFIX = re.compile(r"\.(?P<abi>pypy\d*-\w+?|pypy-\d+)(-[^.]*-[^.]*-[^.]*)?\.so$")
_ABI3_SUFFIX = re.compile(r"\.abi3(-[^.]+)?\.so$")


@dataclass(frozen=True)
class BinaryFacts:
    """Facts read from one binary file inside an egg."""

    path: str
    format: str  # "elf", "macho", "pe" or "unknown"
    arch: Optional[str] = None  # wheel-style arch: x86_64, i686, aarch64, intel, universal2...
    is_extension: bool = False  # exports init<mod> / PyInit_<mod>
    python_major: Optional[int] = None  # 2 (init<mod>) or 3 (PyInit_<mod>)
    ucs: Optional[str] = None  # "ucs2" / "ucs4" from PyUnicodeUCS*_ references (py2)
    pypy: bool = False  # links PyPy's cpyext (PyPy* symbols)
    needed: tuple = ()  # DT_NEEDED
    rpath: tuple = ()  # DT_RPATH + DT_RUNPATH
    versioned: tuple = ()  # ((library, "GLIBC_2.14"), ...) from .gnu.version_r
    comment: tuple = ()  # .comment strings (compiler identification)
    undefined: tuple = ()  # undefined dynamic symbols (for policy blacklists)
    macos_min: Optional[str] = None  # "10.6" for Mach-O
    problem: Optional[str] = None  # why the file could not be read

    @property
    def suffix_abi(self) -> Optional[str]:
        """The ABI a PEP 3149 file name suffix names: cp36m, cp310, abi3, pypy36_pp73..."""
        return abi_from_filename(self.path)


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


def module_name(path: str) -> str:
    """``pkg/_speedups.cpython-36m-x86_64-linux-gnu.so`` -> ``_speedups``."""
    return path.rsplit("/", 1)[-1].split(".", 1)[0]


def sniff_format(head: bytes) -> str:
    if head[:4] == b"\x7fELF":
        return "elf"
    if head[:4] in (b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        return "macho"
    if head[:2] == b"MZ":
        return "pe"
    return "unknown"


def analyse(stream: BinaryIO, path: str) -> BinaryFacts:
    """Read a binary from a seekable stream; never raises for bad content."""
    head = stream.read(8)
    stream.seek(0)
    kind = sniff_format(head)
    if kind == "elf":
        try:
            return _analyse_elf(stream, path)
        except (ELFError, ValueError, KeyError, IndexError, OSError, AssertionError) as exc:
            return BinaryFacts(path=path, format="elf", problem=f"unreadable ELF file ({exc})")
        except Exception as exc:  # pyelftools raises assorted errors on corrupt input
            return BinaryFacts(path=path, format="elf", problem=f"unreadable ELF file ({type(exc).__name__}: {exc})")
    if kind in ("macho", "pe"):
        from migrate import machpe

        return machpe.analyse(stream, path, kind)
    return BinaryFacts(path=path, format="unknown", problem="not an ELF, Mach-O or PE binary")


def _analyse_elf(stream: BinaryIO, path: str) -> BinaryFacts:
    elf = ELFFile(stream)
    machine = elf["e_machine"]
    arch = _ARCH.get(machine)
    if machine == "EM_PPC64":
        arch = "ppc64le" if elf.little_endian else "ppc64"
    elif machine == "EM_X86_64" and elf.elfclass == 32:
        arch = "x32"
    elif arch is None:
        arch = str(machine).lower().replace("em_", "")

    mod = module_name(path)
    defined, undefined = set(), set()
    dynsym = elf.get_section_by_name(".dynsym")
    if dynsym is not None:
        for sym in dynsym.iter_symbols():
            if not sym.name:
                continue
            if sym["st_shndx"] == "SHN_UNDEF":
                undefined.add(sym.name)
            elif sym["st_info"]["bind"] in ("STB_GLOBAL", "STB_WEAK"):
                defined.add(sym.name)

    python_major = None
    if f"PyInit_{mod}" in defined:
        python_major = 3
    elif f"init{mod}" in defined:
        python_major = 2
    ucs = None
    if any(s.startswith("PyUnicodeUCS4_") for s in undefined):
        ucs = "ucs4"
    if any(s.startswith("PyUnicodeUCS2_") for s in undefined):
        ucs = "ucs2" if ucs is None else "both"
    pypy = any(s.startswith("PyPy") for s in undefined)

    needed, rpath = [], []
    for section in elf.iter_sections():
        if section.header["sh_type"] != "SHT_DYNAMIC":
            continue
        for tag in section.iter_tags():
            if tag.entry.d_tag == "DT_NEEDED":
                needed.append(tag.needed)
            elif tag.entry.d_tag == "DT_RPATH":
                rpath.append(tag.rpath)
            elif tag.entry.d_tag == "DT_RUNPATH":
                rpath.append(tag.runpath)

    versioned = []
    verneed = elf.get_section_by_name(".gnu.version_r")
    if verneed is not None:
        for need, auxes in verneed.iter_versions():
            for aux in auxes:
                versioned.append((need.name, aux.name))

    comment = ()
    section = elf.get_section_by_name(".comment")
    if section is not None:
        raw = section.data()
        comment = tuple(dict.fromkeys(s.decode("utf-8", "replace").strip() for s in raw.split(b"\0") if s.strip()))

    return BinaryFacts(
        path=path,
        format="elf",
        arch=arch,
        is_extension=python_major is not None,
        python_major=python_major,
        ucs=ucs,
        pypy=pypy,
        needed=tuple(needed),
        rpath=tuple(rpath),
        versioned=tuple(sorted(set(versioned))),
        comment=comment,
        undefined=tuple(sorted(undefined)),
    )
