"""The struct reader of dynamic symbols (binaries/elfsymbols.py) against pyelftools, the oracle.

Every ELF binary at hand is read both ways and must give the same facts: the committed test
binaries, the .so files of the fixture eggs and of data/sample-repo, and the real PyPI eggs of
scripts/real-eggs when its cache is there. Corrupted copies must too (the struct reader either
agrees or hands the file to pyelftools).
"""
from __future__ import annotations

import io
import random
import struct
import zipfile
from pathlib import Path

import pytest

from migrate.binaries import analyse, elf
from migrate.binaries.elfarm import arm_generation
from migrate.binaries.elfsymbols import Unusual
from migrate.binaries.elftables import read_tables

HERE = Path(__file__).parent
ROOT = HERE.parent
REAL_EGGS = Path.home() / ".cache" / "egg-migrate" / "real-eggs"


def _elf_members(egg: Path) -> list[tuple[str, bytes]]:
    """Only the ELF members are read whole: the rest are opened for their first four bytes (at
    collection, in every worker, inflating every member took over a second)."""
    try:
        with zipfile.ZipFile(egg) as z:
            return [(f"{egg.name}!{n}", z.read(n)) for n in z.namelist() if _is_elf(_head(z, n))]
    except (zipfile.BadZipFile, OSError):
        return []


def _head(z: zipfile.ZipFile, name: str) -> bytes:
    with z.open(name) as member:
        return member.read(4)


def _is_elf(head: bytes) -> bool:
    return head == b"\x7fELF"


def _sources(with_real: bool) -> list[Path]:
    """The committed ELF files and the eggs that hold an ELF shared library. Only central
    directories and the four-byte heads of files and ``.so`` members are read here (collection
    runs in every worker); each egg is inflated by the one test that gets it, which checks
    every ELF member, whatever its name."""
    files = [p for p in sorted((HERE / "fixtures").rglob("*")) if p.is_file() and p.suffix != ".egg" and _starts_elf(p)]
    eggs = sorted((HERE / "fixtures" / "eggs").glob("*.egg")) + sorted((ROOT / "data" / "sample-repo").rglob("*.egg"))
    if with_real and REAL_EGGS.is_dir():
        eggs += sorted(REAL_EGGS.glob("*.egg"))
    return files + [egg for egg in eggs if _lists_a_library(egg)]


def _starts_elf(path: Path) -> bool:
    with open(path, "rb") as fp:
        return _is_elf(fp.read(4))


def _lists_a_library(egg: Path) -> bool:
    try:
        with zipfile.ZipFile(egg) as z:
            return any(_is_elf(_head(z, n)) for n in z.namelist() if n.endswith(".so") or ".so." in n)
    except (zipfile.BadZipFile, OSError):
        return False


def _binaries_in(source: Path) -> list[tuple[str, bytes]]:
    if source.suffix == ".egg":
        return _elf_members(source)
    data = source.read_bytes()
    return [(str(source.relative_to(HERE)), data)] if _is_elf(data[:4]) else []


def _binaries(with_real: bool) -> list[tuple[str, bytes]]:
    return [found for source in _sources(with_real) for found in _binaries_in(source)]


def _oracle(data: bytes):
    return elf.tables_by_pyelftools(io.BytesIO(data))


def test_the_corpus_is_there():
    names = [name for name, _ in _binaries(with_real=False)]
    assert len(names) >= 20 and any("bx_python" in n for n in names) and any(n.endswith("i686.so") for n in names)


@pytest.mark.parametrize("source", _sources(with_real=True), ids=lambda p: p.name)
def test_same_tables_as_pyelftools(source):
    found = _binaries_in(source)
    assert found, f"{source}: no ELF member"
    for name, data in found:
        try:
            fast = read_tables(io.BytesIO(data))
        except Unusual:
            assert name.endswith("truncated.so"), f"{name}: a common binary must not need pyelftools"
            continue
        assert fast == _oracle(data), name


def test_same_facts_either_way_on_corrupted_copies(monkeypatch):
    """Flip bytes anywhere in the symbol tables and headers: both readers give the same BinaryFacts."""
    rng = random.Random(16)
    originals = [data for name, data in _binaries(with_real=False) if name.endswith(("gl234.so", "i686.so"))]
    copies = []
    for data in originals:
        for _ in range(80):
            corrupt = bytearray(data)
            for _ in range(rng.randrange(1, 6)):
                corrupt[rng.randrange(16, len(data))] = rng.randrange(256)
            copies.append(bytes(corrupt))
    fast = [analyse(io.BytesIO(c), "x.so") for c in copies]

    monkeypatch.setattr(elf, "read_tables", elf.tables_by_pyelftools)
    slow = [analyse(io.BytesIO(c), "x.so") for c in copies]
    for i, (a, b) in enumerate(zip(fast, slow)):
        assert a == b, i
    assert sum(f.problem is None for f in fast) > 50  # most copies still read


def test_big_endian_and_32_bit_layouts():
    """The struct formats of ELF32 (i686) and of a byte-swapped copy of the header fields agree with pyelftools."""
    data = (HERE / "fixtures" / "binaries" / "i686.so").read_bytes()
    assert read_tables(io.BytesIO(data)) == _oracle(data)
    with pytest.raises(Unusual):
        read_tables(io.BytesIO(data[:4] + b"\x03" + data[5:]))  # ELF class 3 does not exist


@pytest.mark.parametrize("name", ["os_freebsd.so", "os_netbsd.so", "os_openbsd.so", "os_hurd.so", "os_linux.so",
                                  "os_solaris.so", "arm_v4t.so"])
def test_os_and_arm_generation_either_way(monkeypatch, name):
    """The OS (EI_OSABI, ABI notes, Solaris marks) and the ARM generation come out of both readers alike."""
    data = (HERE / "fixtures" / "binaries" / name).read_bytes()
    fast = analyse(io.BytesIO(data), "x.so")
    monkeypatch.setattr(elf, "read_tables", elf.tables_by_pyelftools)
    slow = analyse(io.BytesIO(data), "x.so")
    assert fast == slow
    assert fast.os == name[3:-3] if name.startswith("os_") else fast.arch == "armv4tl"
    freebsd = bytearray(data)
    freebsd[7] = 9  # EI_OSABI FreeBSD
    assert elf.tables_by_pyelftools(io.BytesIO(bytes(freebsd))) == read_tables(io.BytesIO(bytes(freebsd)))
    assert analyse(io.BytesIO(bytes(freebsd)), "x.so").os == "freebsd"


def _subsection(vendor: bytes, body: bytes) -> bytes:
    return struct.pack("<I", 4 + len(vendor) + 1 + len(body)) + vendor + b"\0" + body


def _file_scope(attributes: bytes) -> bytes:
    return b"\x01" + struct.pack("<I", 5 + len(attributes)) + attributes


@pytest.mark.parametrize("attributes, arch", [
    (b"\x05ARM9TDMI\0\x06\x02", "armv4tl"),  # Tag_CPU_name (a string), then Tag_CPU_arch v4T
    (b"\x05ARM10TDMI\0\x06\x03", "armv5tl"),  # read as numbers, this name would swallow the tag
    (b"\x05" + b"7-A\0" + b"\x06\x0a\x07\x41", "armv7l"),  # v7
    (b"\x20\x01gnu\0\x43x\0\x06\x04", "armv5tel"),  # Tag_compatibility (number, string), Tag_conformance
    (b"\x08\x01\x09\x02", "armv7l"),  # no Tag_CPU_arch: what EM_ARM alone means
    (b"\x06", "armv7l"),  # cut short
])
def test_arm_attributes_are_walked_from_bytes(attributes, arch):
    raw = b"A" + _subsection(b"gnu", b"\x01\x06\x03\x00\x00\x00") + _subsection(b"aeabi", _file_scope(attributes))
    assert arm_generation(raw, little_endian=True) == arch
    assert arm_generation(b"B" + raw[1:], little_endian=True) == "armv7l"  # not format version A
