"""What an ELF file says about the interpreter and platform it needs.

An egg's name can lie (Galaxy renamed eggs; setuptools left the platform off
eggs whose ``.so`` files were copied in by hand); the binaries cannot. This
module reads ELF files with pyelftools (Mach-O and PE: ``machpe.py``). It
never imports the extension and never raises on bad input: a file that
cannot be read comes back with ``problem`` set.

What is read follows auditwheel's analysers (``elfutils.py``, ``lddtree.py``)
so that ``tags.manylinux_audit`` can reach the same verdict without running
it: versioned requirements from ``.gnu.version_r`` (with the symbol that
needs each), strong undefined symbols for the policy blacklists, the Python
init symbol, ``PyUnicodeUCS2_*`` / ``PyFPE_*`` references, the x86-64 ISA
level from the GNU property note.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, Any, Iterator, Optional

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import Section

from migrate.binaries.elfos import elf_os
from migrate.binaries.facts import BinaryFacts, python_major_of, ucs_of
from migrate.platforms import ARM_CPU_ARCH, elf_arch

_PYFPE = ("PyFPE_jbuf", "PyFPE_dummy", "PyFPE_counter")
# x86 ISA needed bits (GNU_PROPERTY_X86_ISA_1_NEEDED), highest first
_X86_ISA = ((8, "x86-64-v4"), (4, "x86-64-v3"), (2, "x86-64-v2"))
_EF_ARM_EABIMASK = 0xFF000000
_EF_ARM_EABI_VER5 = 0x05000000
_EF_ARM_ABI_FLOAT_HARD = 0x400
# Sections are typed ``Any`` where this module calls the methods of the ``Section`` subclass that
# pyelftools picks by the section's type (``iter_symbols``, ``iter_tags``, ``iter_notes``...).


def read_elf(stream: IO[bytes], path: str) -> BinaryFacts:
    """Read an ELF file from a seekable stream; never raises for bad content."""
    try:
        return _read(stream, path)
    except RecursionError:
        return BinaryFacts(path=path, format="elf", problem="unreadable ELF file (nesting too deep)")
    except (ELFError, ValueError, KeyError, IndexError, OSError, AssertionError) as exc:
        return BinaryFacts(path=path, format="elf", problem=f"unreadable ELF file ({_short(exc)})")
    except Exception as exc:  # pyelftools raises assorted errors on corrupt input
        return BinaryFacts(path=path, format="elf", problem=f"unreadable ELF file ({type(exc).__name__}: {_short(exc)})")


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def _read(stream: IO[bytes], path: str) -> BinaryFacts:
    elf = ELFFile(stream)
    arch = elf_arch(elf["e_machine"], elf.elfclass, elf.little_endian)
    if elf["e_type"] not in ("ET_DYN", "ET_EXEC"):
        return BinaryFacts(path=path, format="elf", arch=arch,
                           problem=f"not a shared library or program (ELF type {elf['e_type']})")
    # One pass over the section headers: pyelftools re-parses them on every lookup.
    sections = list(elf.iter_sections())
    by_name = {section.name: section for section in sections}
    if arch == "armv7l":
        arch = _arm_generation(by_name.get(".ARM.attributes"))
    symbols = _symbols(by_name)
    python_major = python_major_of(path, symbols.defined)
    needed, rpath, soname = _dynamic(sections)
    os_name, os_how = elf_os(elf, sections, symbols.versioned)
    return BinaryFacts(
        path=path,
        format="elf",
        arch=arch,
        is_extension=python_major is not None,
        python_major=python_major,
        ucs=ucs_of(symbols.undefined),
        pypy=any(s.startswith("PyPy") for s in symbols.undefined),
        needed=tuple(needed),
        rpath=tuple(":".join(rpath).split(":")) if rpath else (),
        versioned=tuple(sorted(set(symbols.versioned))),
        comment=_comment(by_name.get(".comment")),
        undefined=tuple(sorted(symbols.strong)),
        soname=soname,
        pyfpe=python_major is not None and any(s in symbols.functions for s in _PYFPE),
        isa=_isa(elf, sections, arch),
        libc=_libc(needed),
        version_users=tuple(sorted(set(symbols.users))),
        os=os_name,
        os_how=os_how,
    )


@dataclass
class _DynamicSymbols:
    """What ``.dynsym`` says, with the versions ``.gnu.version_r`` gives the undefined ones."""

    versioned: list[tuple[str, str]]  # [(library, version name)] from .gnu.version_r
    defined: set[str] = field(default_factory=set)  # global or weak functions (and untyped) the binary exports
    undefined: set[str] = field(default_factory=set)
    strong: set[str] = field(default_factory=set)  # undefined and not weak
    functions: set[str] = field(default_factory=set)  # undefined functions (and untyped)
    users: list[tuple[str, str]] = field(default_factory=list)  # [(version name, undefined symbol that needs it)]


def _symbols(by_name: dict[str, Any]) -> _DynamicSymbols:
    dynsym = by_name.get(".dynsym")
    versions, versioned = _version_needs(by_name.get(".gnu.version_r"))
    versym = by_name.get(".gnu.version")
    found = _DynamicSymbols(versioned)
    if dynsym is None:
        return found
    for index, sym in enumerate(dynsym.iter_symbols()):
        if not sym.name:
            continue
        info = sym["st_info"]
        if sym["st_shndx"] == "SHN_UNDEF":
            found.undefined.add(sym.name)
            if info["bind"] != "STB_WEAK":
                found.strong.add(sym.name)
            if info["type"] in ("STT_FUNC", "STT_NOTYPE"):
                found.functions.add(sym.name)
            if versym is not None and versions:
                ndx = versym.get_symbol(index)["ndx"]
                if isinstance(ndx, int) and (ndx & 0x7FFF) in versions:
                    found.users.append((versions[ndx & 0x7FFF], sym.name))
        elif info["bind"] in ("STB_GLOBAL", "STB_WEAK") and info["type"] in ("STT_FUNC", "STT_NOTYPE"):
            found.defined.add(sym.name)
    return found


def _dynamic(sections: list[Any]) -> tuple[list[str], list[str], Optional[str]]:
    """(DT_NEEDED list, DT_RPATH + DT_RUNPATH entries, DT_SONAME) of the dynamic section."""
    needed: list[str] = []
    rpath: list[str] = []
    soname = None
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
    return needed, rpath, soname


def _comment(section: Optional[Section]) -> tuple[str, ...]:
    """The compiler identification strings of ``.comment``, each once."""
    if section is None:
        return ()
    raw = section.data()
    return tuple(dict.fromkeys(s.decode("utf-8", "replace").strip() for s in raw.split(b"\0") if s.strip()))


def _version_needs(section: Any) -> tuple[dict[int, str], list[tuple[str, str]]]:
    """({vna_other index: version name}, [(library, version name)]) from .gnu.version_r."""
    names: dict[int, str] = {}
    needs: list[tuple[str, str]] = []
    if section is not None:
        for need, auxes in section.iter_versions():
            for aux in auxes:
                names[aux["vna_other"] & 0x7FFF] = aux.name
                needs.append((need.name, aux.name))
    return names, needs


def _isa(elf: ELFFile, sections: list[Any], arch: Optional[str]) -> Optional[str]:
    """An instruction set beyond what the manylinux arch means (auditwheel's machine policy)."""
    if arch == "armv7l":
        return _arm_float_abi(elf["e_flags"])
    if arch in ARM_CPU_ARCH.values():  # an older (or 32-bit v8) ARM: manylinux's armv7l means ARMv7 hard-float
        return f"{arch} (not ARMv7 hard-float)"
    if arch == "x86_64":
        return _x86_isa_level(sections)
    return None


def _arm_generation(attributes: Any) -> str:
    """The ARM generation the build attributes name (``Tag_CPU_arch`` 2 -> ``armv4tl``); armv7l without them."""
    if attributes is None or not hasattr(attributes, "iter_subsections"):
        return "armv7l"
    for subsection in attributes.iter_subsections():
        for subsubsection in subsection.iter_subsubsections():
            for attribute in subsubsection.iter_attributes():
                if attribute.tag == "TAG_CPU_ARCH":
                    return ARM_CPU_ARCH.get(attribute.value, "armv7l")
    return "armv7l"


def _arm_float_abi(flags: int) -> Optional[str]:
    """What an armv7l binary needs beyond EABI version 5 with the hard-float ABI; None when nothing."""
    if (flags & _EF_ARM_EABIMASK) != _EF_ARM_EABI_VER5 or not flags & _EF_ARM_ABI_FLOAT_HARD:
        return "armv7l soft-float or pre-EABI5"
    return None


def _x86_isa_level(sections: list[Any]) -> Optional[str]:
    """The x86-64 ISA level the first property that needs more than the baseline names."""
    for prop in _x86_isa_needed(sections):
        bits = prop.pr_data & ~1  # bit 0 is the x86-64 baseline itself
        if bits:
            return next((name for bit, name in _X86_ISA if bits & bit), "an unknown x86-64 ISA level")
    return None


def _x86_isa_needed(sections: list[Any]) -> Iterator[Any]:
    """Each GNU_PROPERTY_X86_ISA_1_NEEDED property of the GNU property notes, in file order."""
    for section in sections:
        if section.header["sh_type"] != "SHT_NOTE":
            continue
        for note in section.iter_notes():
            if note["n_type"] != "NT_GNU_PROPERTY_TYPE_0" or note["n_name"] != "GNU":
                continue
            for prop in note["n_desc"]:
                if prop.pr_type == "GNU_PROPERTY_X86_ISA_1_NEEDED" and prop.pr_datasz == 4:
                    yield prop


def _libc(needed: list[str]) -> Optional[str]:
    for lib in needed:
        if lib.startswith(("libc.musl-", "ld-musl-")):
            return "musl"
        if lib == "libc.so.6" or lib.startswith(("ld-linux-", "ld64.so.")):
            return "glibc"
    return None
