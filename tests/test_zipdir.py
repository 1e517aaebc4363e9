"""The struct reader of a zip's central directory (eggs/zipdir.py) against zipfile, the oracle: the
same entries for every egg at hand (fixtures, data/, the real and benchmark eggs when cached), and
None (zipfile reads it) for any zip that is not plain: a comment, data before it, ZIP64 records,
a NUL in a name, a corrupt extra field. ZipEgg gives the same members either way."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path
from unittest import mock

import pytest

from migrate.eggs import BrokenEgg, ZipEgg
from migrate.eggs.zipdir import read_entries

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path.home() / ".cache" / "egg-migrate"
EGGS = [e for e in sorted((ROOT / "tests" / "fixtures" / "eggs").glob("*.egg")) + sorted((ROOT / "data").rglob("*.egg"))
        + sorted((CACHE / "real-eggs").glob("*.egg")) + sorted((CACHE / "bench-eggs").glob("*.egg"))
        if e.is_file() and zipfile.is_zipfile(e)]
FIELDS = ("filename", "flag_bits", "compress_type", "CRC", "compress_size", "file_size", "external_attr", "header_offset")


def _facts(infos) -> list[tuple]:
    return [tuple(getattr(i, f) for f in FIELDS) + (i.is_dir(),) for i in infos]


@pytest.mark.parametrize("egg", EGGS, ids=[e.name for e in EGGS])
def test_every_egg_reads_as_zipfile_reads_it(egg):
    with open(egg, "rb") as fp:
        entries = read_entries(fp)
    assert entries is not None, "an egg at hand is a plain zip"
    with zipfile.ZipFile(egg) as zf:
        assert _facts(entries) == _facts(zf.infolist())


def _zip(comment: bytes = b"") -> bytes:
    fp = io.BytesIO()
    with zipfile.ZipFile(fp, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("EGG-INFO/PKG-INFO", "Metadata-Version: 1.0\nName: demo\nVersion: 1.0\n")
        zf.writestr("demo/", "")
        info = zipfile.ZipInfo("demo/caf\u00e9.py")
        info.extra = b"\x99\x99\x02\x00ab"
        zf.writestr(info, "x = 1\n")
        zf.comment = comment
    return fp.getvalue()


def _local_zip64() -> bytes:
    """A ZIP64 extra in a local header only (the central directory is plain)."""
    fp = io.BytesIO()
    with zipfile.ZipFile(fp, "w") as zf:
        zf.writestr("EGG-INFO/PKG-INFO", "Metadata-Version: 1.0\nName: demo\n")
        with zf.open("demo/big.bin", "w", force_zip64=True) as out:
            out.write(b"0" * 100)
    return fp.getvalue()


def _zip64() -> bytes:
    """ZIP64 end records, as zipfile writes them past 65,535 members (the limit lowered, to stay quick)."""
    fp = io.BytesIO()
    with mock.patch.object(zipfile, "ZIP_FILECOUNT_LIMIT", 1), zipfile.ZipFile(fp, "w") as zf:
        zf.writestr("EGG-INFO/PKG-INFO", "Metadata-Version: 1.0\nName: demo\n")
        zf.writestr("demo/__init__.py", b"")
    assert b"PK\x06\x07" in fp.getvalue()
    return fp.getvalue()


def _corrupt_extra() -> bytes:
    data = bytearray(_zip())
    at = data.rindex(b"\x99\x99\x02\x00")
    data[at + 2] = 0x40  # the field claims more bytes than the extra holds
    return bytes(data)


NOT_PLAIN = {
    "a comment": lambda: _zip(comment=b"hello"),
    "data before the zip": lambda: b"#!/bin/sh\nexit 0\n" + _zip(),
    "zip64": _zip64,
    "a NUL in a name": lambda: _zip().replace(b"demo/caf", b"demo\x00caf"),
    "a corrupt extra field": _corrupt_extra,
    "not a zip": lambda: b"PK\x05\x06" + b"\x00" * 100,
    "empty": lambda: b"",
}


def test_a_plain_zip_reads_as_zipfile_reads_it(tmp_path):
    data = _zip()
    entries = read_entries(io.BytesIO(data))
    assert entries is not None and [e.filename for e in entries] == ["EGG-INFO/PKG-INFO", "demo/", "demo/caf\u00e9.py"]
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert _facts(entries) == _facts(zf.infolist())
    egg = tmp_path / "demo-1.0-py2.7.egg"
    egg.write_bytes(_local_zip64())
    with open(egg, "rb") as fp, zipfile.ZipFile(egg) as zf, ZipEgg(egg) as archive:
        assert _facts(read_entries(fp) or []) == _facts(zf.infolist())
        assert [archive.read(m) for m in archive.members] == [zf.read(m.stored_name) for m in archive.members]


@pytest.mark.parametrize("make", list(NOT_PLAIN.values()), ids=list(NOT_PLAIN))
def test_other_zips_go_to_zipfile(tmp_path, make):
    data = make()
    assert read_entries(io.BytesIO(data)) is None
    egg = tmp_path / "demo-1.0-py2.7.egg"
    egg.write_bytes(data)
    try:
        with zipfile.ZipFile(egg) as zf:
            expected = sorted(i.filename for i in zf.infolist() if not i.is_dir())
    except zipfile.BadZipFile as exc:
        with pytest.raises(BrokenEgg, match="not a readable zip file") as raised:
            ZipEgg(egg)
        assert str(exc) in str(raised.value)
        return
    with ZipEgg(egg) as archive, zipfile.ZipFile(egg) as zf:
        assert sorted(m.stored_name for m in archive.members) == expected
        assert all(archive.read(m) == zf.read(m.stored_name) for m in archive.members[:50])
