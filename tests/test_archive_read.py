"""ZipEgg.read inflates a member's stored bytes in one call: the same bytes as zipfile on every member
of every egg at hand, and a corrupt member (bad CRC, wrong size, bad deflate data, a local header
naming another file) is one BrokenEgg line, never a traceback nor the wrong bytes."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from migrate.eggs import BrokenEgg, ZipEgg
from migrate.wheels import convert_egg
from tests.eggmaker import simple_egg

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path.home() / ".cache" / "egg-migrate"
EGGS = [e for e in sorted((ROOT / "tests" / "fixtures" / "eggs").glob("*.egg")) + sorted((CACHE / "real-eggs").glob("*.egg"))
        if e.is_file()]


@pytest.mark.parametrize("egg", EGGS, ids=[e.name for e in EGGS])
def test_every_member_reads_as_zipfile_reads_it(egg):
    with ZipEgg(egg) as archive, zipfile.ZipFile(egg) as zf:
        assert archive.members
        for member in archive.members:
            assert archive.read(member) == zf.read(member.stored_name), member.path


def _corrupt(path: Path, member: str, edit) -> Path:
    """The egg with ``edit(data: bytearray, info)`` applied to its bytes."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    data = bytearray(path.read_bytes())
    edit(data, info)
    path.write_bytes(bytes(data))
    return path


def _bad_crc(data: bytearray, info: zipfile.ZipInfo) -> None:
    start = data.rindex(info.filename.encode()) - 46  # its central directory entry
    data[start + 16] ^= 0xFF


def _bad_deflate(data: bytearray, info: zipfile.ZipInfo) -> None:
    start = info.header_offset + 30 + len(info.filename.encode())
    data[start:start + 4] = b"\xff\xff\xff\xff"


def _other_name(data: bytearray, info: zipfile.ZipInfo) -> None:
    start = info.header_offset + 30
    data[start] = ord("X")


@pytest.mark.parametrize("edit", [_bad_crc, _bad_deflate, _other_name])
def test_a_corrupt_pkg_info_is_one_line(tmp_path, edit):
    egg = _corrupt(simple_egg(tmp_path / "demo-1.0-py2.7.egg", extra_files={"EGG-INFO/PKG-INFO": "Metadata-Version: 1.0\n"
                   "Name: demo\nVersion: 1.0\nSummary: " + "a demo " * 40 + "\n"}), "EGG-INFO/PKG-INFO", edit)
    with ZipEgg(egg) as archive:
        member = next(m for m in archive.members if m.path == "EGG-INFO/PKG-INFO")
        with pytest.raises(BrokenEgg) as raised:
            archive.read(member)
    assert "demo-1.0-py2.7.egg" in str(raised.value) and "\n" not in str(raised.value)
    result = convert_egg(egg, tmp_path / "out")
    assert not result.ok and "demo-1.0-py2.7.egg" in result.reason
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_a_stored_member_of_the_wrong_size_is_refused(tmp_path):
    egg = tmp_path / "demo-1.0-py2.7.egg"
    with zipfile.ZipFile(egg, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("EGG-INFO/PKG-INFO", "Metadata-Version: 1.0\nName: demo\nVersion: 1.0\n")
    with ZipEgg(egg) as archive:
        member = archive.members[0]
        shorter = member._replace(size=member.size - 1)
        with pytest.raises(BrokenEgg):
            archive.read(shorter)


@pytest.mark.parametrize("egg", EGGS[:40], ids=[e.name for e in EGGS[:40]])
def test_the_head_of_every_member_is_zipfiles(egg):
    """head() (is_elf_program's look at the magic bytes) inflates only the start, without a ZipFile."""
    with ZipEgg(egg) as archive, zipfile.ZipFile(egg) as zf:
        for member in archive.members:
            with zf.open(member.stored_name) as fp:
                start = fp.read(4)
            assert archive.head(member, 4) == start, member.path
        assert archive._zip is None, "plain members need no zipfile.ZipFile"


def test_the_head_of_a_corrupt_member_is_one_line(tmp_path):
    egg = _corrupt(simple_egg(tmp_path / "demo-1.0-py2.7.egg", extra_files={"demo/data.bin": "x" * 500}),
                   "demo/data.bin", _bad_deflate)
    with ZipEgg(egg) as archive:
        member = next(m for m in archive.members if m.path == "demo/data.bin")
        with pytest.raises(BrokenEgg, match="demo-1.0-py2.7.egg: cannot read demo/data.bin"):
            archive.head(member, 4)
