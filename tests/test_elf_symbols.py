"""The struct reader of dynamic symbols (binaries/elfsymbols.py) against pyelftools, the oracle.

Every ELF binary at hand is read both ways and must give the same facts: the committed test
binaries, the .so files of the fixture eggs and of data/sample-repo, and the real PyPI eggs of
scripts/real-eggs when its cache is there. Corrupted copies must too (the struct reader either
agrees or hands the file to pyelftools).
"""
from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest

from migrate.binaries import analyse, elf
from migrate.binaries.elfsymbols import Unusual
from migrate.binaries.elftables import read_tables

HERE = Path(__file__).parent
ROOT = HERE.parent
REAL_EGGS = Path.home() / ".cache" / "egg-migrate" / "real-eggs"


def _elf_members(egg: Path) -> list[tuple[str, bytes]]:
    try:
        with zipfile.ZipFile(egg) as z:
            return [(f"{egg.name}!{n}", z.read(n)) for n in z.namelist() if _is_elf(z.read(n)[:4])]
    except (zipfile.BadZipFile, OSError):
        return []


def _is_elf(head: bytes) -> bool:
    return head == b"\x7fELF"


def _binaries(with_real: bool) -> list[tuple[str, bytes]]:
    found = [(str(p.relative_to(HERE)), p.read_bytes()) for p in sorted((HERE / "fixtures").rglob("*"))
             if p.is_file() and p.suffix != ".egg" and _is_elf(p.read_bytes()[:4])]
    eggs = sorted((HERE / "fixtures" / "eggs").glob("*.egg")) + sorted((ROOT / "data" / "sample-repo").rglob("*.egg"))
    if with_real and REAL_EGGS.is_dir():
        eggs += sorted(REAL_EGGS.glob("*.egg"))
    for egg in eggs:
        found += _elf_members(egg)
    return found


def _oracle(data: bytes):
    return elf.tables_by_pyelftools(io.BytesIO(data))


def test_the_corpus_is_there():
    names = [name for name, _ in _binaries(with_real=False)]
    assert len(names) >= 20 and any("bx_python" in n for n in names) and any(n.endswith("i686.so") for n in names)


@pytest.mark.parametrize("name, data", _binaries(with_real=True), ids=lambda v: v if isinstance(v, str) else "")
def test_same_tables_as_pyelftools(name, data):
    try:
        fast = read_tables(io.BytesIO(data))
    except Unusual:
        assert name.endswith("truncated.so"), f"{name}: a common binary must not need pyelftools"
        return
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
