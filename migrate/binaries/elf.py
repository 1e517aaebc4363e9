"""What the binaries in an egg say about the interpreter and platform they need.

An egg's name can lie (Galaxy renamed eggs; setuptools left the platform off
eggs whose ``.so`` files were copied in by hand); the binaries cannot. This
module reads ELF files with pyelftools and recognises Mach-O and PE files
well enough to name their platform (see ``machpe.py``). It never imports the
extension and never raises on bad input: a file that cannot be read comes
back with ``problem`` set.

What is read follows auditwheel's analysers (``elfutils.py``, ``lddtree.py``)
so that ``tags.manylinux_audit`` can reach the same verdict without running
it: versioned requirements from ``.gnu.version_r`` (with the symbol that
needs each), strong undefined symbols for the policy blacklists, the Python
init symbol, ``PyUnicodeUCS2_*`` / ``PyFPE_*`` references, the x86-64 ISA
level from the GNU property note.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import BinaryIO, Optional

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

# (e_machine, ELF class) -> arch name as used in wheel platform tags (auditwheel's table).
_ARCH = {
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
_PY3_SUFFIX = re.compile(r"\.cpython-(?P<ver>\d)(?P<minor>\d+)(?P<flags>[dmu]*)(-(?P<triplet>[^.]+))?\.so$")
_PYPY_SUFFIX = re.compile(r"\.(?P<abi>pypy\d*-\w+?|pypy-\d+)(-[^.]*-[^.]*-[^.]*)?\.so$")
_ABI3_SUFFIX = re.compile(r"\.abi3(-[^.]+)?\.so$")
_LIBPYTHON = re.compile(r"^libpython(?P<major>\d)\.(?P<minor>\d+)(?P<flags>[dmu]*)\.so(\.[\d.]+)?$")
# first part of a PEP 3149 multiarch triplet -> wheel arch
_TRIPLET_ARCH = {"i386": "i686", "i486": "i686", "i586": "i686", "arm": "armv7l", "powerpc64le": "ppc64le",
                 "powerpc64": "ppc64", "powerpc": "ppc"}
_PYFPE = ("PyFPE_jbuf", "PyFPE_dummy", "PyFPE_counter")
# x86 ISA needed bits (GNU_PROPERTY_X86_ISA_1_NEEDED), highest first
_X86_ISA = ((8, "x86-64-v4"), (4, "x86-64-v3"), (2, "x86-64-v2"))
_EF_ARM_EABIMASK = 0xFF000000
_EF_ARM_EABI_VER5 = 0x05000000
_EF_ARM_ABI_FLOAT_HARD = 0x400


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
    needed: tuple = ()  # DT_NEEDED (PE: imported DLLs; Mach-O: LC_LOAD_DYLIB)
    rpath: tuple = ()  # DT_RPATH + DT_RUNPATH
    versioned: tuple = ()  # ((library, "GLIBC_2.14"), ...) from .gnu.version_r
    comment: tuple = ()  # .comment strings (compiler identification)
    undefined: tuple = ()  # strong (non-weak) undefined dynamic symbols: what the policy blacklists see
    macos_min: Optional[str] = None  # "10.6" for Mach-O
    problem: Optional[str] = None  # why the file could not be read
    soname: Optional[str] = None  # DT_SONAME
    pyfpe: bool = False  # references PyFPE_jbuf & co (a --with-fpectl Python 2 build)
    isa: Optional[str] = None  # instruction set beyond the arch baseline: "x86-64-v3", "armv7l soft-float"
    libc: Optional[str] = None  # "glibc" / "musl" from DT_NEEDED, None when it links no libc
    version_users: tuple = ()  # ((version, symbol), ...): which undefined symbol needs each version

    @property
    def suffix_abi(self) -> Optional[str]:
        """The ABI a PEP 3149 file name suffix names: cp36m, cp310, abi3, pypy36_pp73..."""
        return abi_from_filename(self.path)

    @property
    def suffix_arch(self) -> Optional[str]:
        """The arch a PEP 3149 suffix names (``x86_64-linux-gnu`` -> ``x86_64``)."""
        return arch_from_filename(self.path)

    @property
    def libpython(self) -> Optional[tuple]:
        """(major, minor, flags) of a ``libpythonX.Y[m].so`` this binary links (an --enable-shared build)."""
        for lib in self.needed:
            m = _LIBPYTHON.match(lib)
            if m:
                return int(m["major"]), int(m["minor"]), m["flags"]
        return None

    def users_of(self, version: str) -> list:
        """The undefined symbols that need ``version`` (e.g. GLIBC_2.34), sorted."""
        return sorted({s for v, s in self.version_users if v == version})


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
    first = m["triplet"].split("-", 1)[0]
    return _TRIPLET_ARCH.get(first, first)


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
        except RecursionError:
            return BinaryFacts(path=path, format="elf", problem="unreadable ELF file (nesting too deep)")
        except (ELFError, ValueError, KeyError, IndexError, OSError, AssertionError) as exc:
            return BinaryFacts(path=path, format="elf", problem=f"unreadable ELF file ({_short(exc)})")
        except Exception as exc:  # pyelftools raises assorted errors on corrupt input
            return BinaryFacts(path=path, format="elf", problem=f"unreadable ELF file ({type(exc).__name__}: {_short(exc)})")
    if kind in ("macho", "pe"):
        from migrate.binaries import machpe

        return machpe.analyse(stream, path, kind)
    if not head:
        return BinaryFacts(path=path, format="unknown", problem="empty file, not a binary")
    if _looks_like_text(stream):
        return BinaryFacts(path=path, format="unknown", problem="a text file, not an ELF, Mach-O or PE binary")
    return BinaryFacts(path=path, format="unknown", problem="not an ELF, Mach-O or PE binary")


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def _looks_like_text(stream: BinaryIO) -> bool:
    sample = stream.read(512)
    stream.seek(0)
    return b"\0" not in sample and all(b >= 0x20 or b in b"\t\r\n\f" for b in sample)


def _analyse_elf(stream: BinaryIO, path: str) -> BinaryFacts:
    elf = ELFFile(stream)
    machine = elf["e_machine"]
    arch = _ARCH.get((machine, elf.elfclass))
    if machine == "EM_PPC64":
        arch = "ppc64le" if elf.little_endian else "ppc64"
    elif arch is None:
        arch = str(machine).lower().replace("em_", "")
    if elf["e_type"] not in ("ET_DYN", "ET_EXEC"):
        return BinaryFacts(path=path, format="elf", arch=arch,
                           problem=f"not a shared library or program (ELF type {elf['e_type']})")

    mod = module_name(path)
    # One pass over the section headers: pyelftools re-parses them on every lookup.
    sections = list(elf.iter_sections())
    by_name = {section.name: section for section in sections}
    defined, undefined, strong, functions = set(), set(), set(), set()
    users = []
    dynsym = by_name.get(".dynsym")
    verneed = by_name.get(".gnu.version_r")
    versions, versioned = _version_needs(verneed)
    versym = by_name.get(".gnu.version")
    if dynsym is not None:
        for index, sym in enumerate(dynsym.iter_symbols()):
            if not sym.name:
                continue
            info = sym["st_info"]
            if sym["st_shndx"] == "SHN_UNDEF":
                undefined.add(sym.name)
                if info["bind"] != "STB_WEAK":
                    strong.add(sym.name)
                if info["type"] in ("STT_FUNC", "STT_NOTYPE"):
                    functions.add(sym.name)
                if versym is not None and versions:
                    ndx = versym.get_symbol(index)["ndx"]
                    if isinstance(ndx, int) and (ndx & 0x7FFF) in versions:
                        users.append((versions[ndx & 0x7FFF], sym.name))
            elif info["bind"] in ("STB_GLOBAL", "STB_WEAK") and info["type"] in ("STT_FUNC", "STT_NOTYPE"):
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
    pyfpe = python_major is not None and any(s in functions for s in _PYFPE)

    needed, rpath, soname = [], [], None
    for section in sections:
        if section.header["sh_type"] != "SHT_DYNAMIC":
            continue
        for tag in section.iter_tags():
            d_tag = tag.entry.d_tag
            if d_tag == "DT_NEEDED":
                needed.append(tag.needed)
            elif d_tag == "DT_RPATH":
                rpath.append(tag.rpath)
            elif d_tag == "DT_RUNPATH":
                rpath.append(tag.runpath)
            elif d_tag == "DT_SONAME":
                soname = tag.soname
        break  # one PT_DYNAMIC, as the loader assumes

    comment = ()
    section = by_name.get(".comment")
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
        rpath=tuple(":".join(rpath).split(":")) if rpath else (),
        versioned=tuple(sorted(set(versioned))),
        comment=comment,
        undefined=tuple(sorted(strong)),
        soname=soname,
        pyfpe=pyfpe,
        isa=_isa(elf, sections, arch),
        libc=_libc(needed),
        version_users=tuple(sorted(set(users))),
    )


def _version_needs(section):
    """({vna_other index: version name}, [(library, version name)]) from .gnu.version_r."""
    names, needs = {}, []
    if section is not None:
        for need, auxes in section.iter_versions():
            for aux in auxes:
                names[aux["vna_other"] & 0x7FFF] = aux.name
                needs.append((need.name, aux.name))
    return names, needs


def _isa(elf, sections: list, arch: Optional[str]) -> Optional[str]:
    """An instruction set beyond what the manylinux arch means (auditwheel's machine policy)."""
    if arch == "armv7l":
        flags = elf["e_flags"]
        if (flags & _EF_ARM_EABIMASK) != _EF_ARM_EABI_VER5 or not flags & _EF_ARM_ABI_FLOAT_HARD:
            return "armv7l soft-float or pre-EABI5"
        return None
    if arch != "x86_64":
        return None
    for section in sections:
        if section.header["sh_type"] != "SHT_NOTE":
            continue
        for note in section.iter_notes():
            if note["n_type"] != "NT_GNU_PROPERTY_TYPE_0" or note["n_name"] != "GNU":
                continue
            for prop in note["n_desc"]:
                if prop.pr_type != "GNU_PROPERTY_X86_ISA_1_NEEDED" or prop.pr_datasz != 4:
                    continue
                bits = prop.pr_data & ~1
                for bit, name in _X86_ISA:
                    if bits & bit:
                        return name
                if bits:
                    return "an unknown x86-64 ISA level"
    return None


def _libc(needed: list) -> Optional[str]:
    for lib in needed:
        if lib.startswith(("libc.musl-", "ld-musl-")):
            return "musl"
        if lib == "libc.so.6" or lib.startswith(("ld-linux-", "ld64.so.")):
            return "glibc"
    return None
