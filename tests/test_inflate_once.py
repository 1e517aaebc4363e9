"""A binary is inflated once: the bytes read for its analysis, checked against its size and CRC,
are the bytes the wheel copies (with their sha256 for RECORD). The wheel is byte for byte the
one made by inflating the binary again, a corrupt binary still fails the egg in one line, and
an egg whose binaries pass the memory budget is copied the old way. Member paths that need no
normalising take a short way through ``check_member_path``: the same answers as the long way."""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from migrate.eggs import ZipEgg, zipegg
from migrate.eggs import archive as archive_module
from migrate.wheels import convert_egg
from tests.conftest import fixture_egg

BINARY_EGGS = ["cext-1.0-py3.10-linux-x86_64.egg", "cpkg-2.0-py2.7-linux-x86_64.egg", "zlibext-1.0-py3.10-linux-x86_64.egg"]


def _record_matches(wheel: Path) -> int:
    """Every RECORD line's hash and size are those of the member; the number of members checked."""
    with zipfile.ZipFile(wheel) as zf:
        record = next(n for n in zf.namelist() if n.endswith(".dist-info/RECORD"))
        rows = list(csv.reader(io.StringIO(zf.read(record).decode("utf-8"))))
        for name, digest, size in rows:
            if name == record:
                continue
            data = zf.read(name)  # zipfile checks the CRC
            expected = "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert (digest, int(size)) == (expected, len(data)), name
    return len(rows) - 1


@pytest.mark.parametrize("name", BINARY_EGGS)
def test_binaries_are_inflated_once_and_the_wheel_is_the_same(name, tmp_path, monkeypatch):
    egg = fixture_egg(name)
    first = convert_egg(egg, tmp_path / "kept")
    assert first.ok and first.facts is not None and first.facts.plan.binaries
    assert _record_matches(Path(str(first.wheel)))

    copied_raw: list[str] = []  # the members whose stored bytes were read again to be copied
    for method in ("raw_chunks", "stored"):
        def spy(self, member, read=getattr(ZipEgg, method)):
            copied_raw.append(member.path)
            return read(self, member)

        monkeypatch.setattr(ZipEgg, method, spy)
    again = convert_egg(egg, tmp_path / "kept-again")
    binaries = {m.path for m in first.facts.plan.binaries}
    assert not binaries & set(copied_raw)  # the binaries' stored bytes were not read again

    monkeypatch.setattr(zipegg, "_KEEP_BUDGET", 0)  # nothing kept: every member inflated again while copied
    copied_raw.clear()
    old_way = convert_egg(egg, tmp_path / "not-kept")
    assert binaries <= set(copied_raw)
    assert Path(str(old_way.wheel)).read_bytes() == Path(str(first.wheel)).read_bytes() \
        == Path(str(again.wheel)).read_bytes()


def test_a_corrupt_binary_still_fails_the_egg(tmp_path):
    egg = tmp_path / "cext-1.0-py3.10-linux-x86_64.egg"
    data = bytearray(fixture_egg(egg.name).read_bytes())
    with zipfile.ZipFile(fixture_egg(egg.name)) as zf:
        info = next(i for i in zf.infolist() if i.filename.endswith(".so"))
    start = data.rindex(info.filename.encode()) - 46  # its central directory entry: a wrong CRC-32
    data[start + 16:start + 20] = (info.CRC ^ 1).to_bytes(4, "little")
    egg.write_bytes(bytes(data))
    result = convert_egg(egg, tmp_path / "out")
    assert not result.ok and "CRC-32" in result.reason
    assert not list((tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else True


def test_kept_bytes_are_handed_over_once_within_the_budget(monkeypatch):
    egg = fixture_egg("cext-1.0-py3.10-linux-x86_64.egg")
    with ZipEgg(egg) as archive:
        member = next(m for m in archive.members if m.path.endswith(".so"))
        data = archive.read(member, keep=True)
        checked = archive.checked(member)
        assert checked is not None and checked.sha256 == hashlib.sha256(data).digest()
        assert len(checked.raw) == member.compressed_size
        assert archive.checked(member) is None  # handed over once: the memory is freed with the copy
        archive.read(member)  # not asked to keep
        assert archive.checked(member) is None
    monkeypatch.setattr(zipegg, "_KEEP_BUDGET", member.compressed_size - 1)
    with ZipEgg(egg) as archive:
        archive.read(member, keep=True)
        assert archive.checked(member) is None


def _long_way(path: str, egg: str) -> str:
    """check_member_path without its short way (the rules as they were)."""
    monkey = archive_module._plain_path
    try:
        archive_module._plain_path = lambda p: False
        return archive_module.check_member_path(path, egg)
    finally:
        archive_module._plain_path = monkey


PATHS = ["a/b.py", "a.py", "EGG-INFO/PKG-INFO", ".hidden/x", "a/.x", "a/./b", "./a", "a/", "a//b", "a/b/", "a.",
         "a/..b", "..a", "a..", "a/../b", "../a", "/abs", "\\abs", "a\\b", "C:x", "c:/x", "a:b", "a\x00b", ".", "",
         "/", "a/.", "x/y/z.so", "é/ü.py", " a", "a ", "a/ /b", "...", "a/.../b"]


@pytest.mark.parametrize("path", PATHS)
def test_the_short_way_gives_the_long_way_s_answer(path):
    try:
        expected = _long_way(path, "demo.egg")
    except archive_module.UnsafeEgg as exc:
        with pytest.raises(archive_module.UnsafeEgg) as got:
            archive_module.check_member_path(path, "demo.egg")
        assert str(got.value) == str(exc)
    else:
        assert archive_module.check_member_path(path, "demo.egg") == expected


def _member_bytes(writer_input, method: int, crc: int, size: int, csize: int) -> tuple[bytes, str]:
    """(the archive written, the error) of one add_raw."""
    from migrate.wheels import WheelZipWriter

    out = io.BytesIO()
    zw = WheelZipWriter(out)
    try:
        zw.add_raw("pkg/data.bin", writer_input, method, crc, csize, size)
    except ValueError as exc:  # CorruptMember
        return b"", str(exc)
    zw.close()
    return out.getvalue(), ""


CONTENT = bytes(range(256)) * 40


@pytest.mark.parametrize("case", ["good", "bad crc", "shorter", "longer", "corrupt deflate", "stored", "stored bad crc"])
def test_small_members_inflated_in_one_call_as_in_chunks(case):
    """add_raw given a small member's stored bytes whole: the same archive, or the same error, as in chunks."""
    import zlib

    method, crc, size = 8, zlib.crc32(CONTENT), len(CONTENT)
    raw = zlib.compress(CONTENT, 6, -15) if not case.startswith("stored") else CONTENT
    if case.startswith("stored"):
        method = 0
    if "bad crc" in case:
        crc ^= 1
    if case == "shorter":
        size -= 1
    if case == "longer":
        size += 1
    if case == "corrupt deflate":
        raw = b"\xff\xff" + raw[2:]
    whole = _member_bytes(raw, method, crc, size, len(raw))
    chunked = _member_bytes([raw[:100], raw[100:]], method, crc, size, len(raw))
    assert whole == chunked
    assert bool(whole[1]) == (case not in ("good", "stored")), whole[1]
