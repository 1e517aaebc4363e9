"""Opening an egg with few system calls: one ``stat`` tells its kind (as ``is_dir``, ``is_file`` and
``exists`` did, one call each), a small zipped egg is read with ``os`` calls whatever its size has
become since ``fstat``, and the wheel writer keeps its own position on a real file."""
from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from migrate.eggs import BrokenEgg, FolderEgg, ZipEgg, open_egg
from migrate.eggs.zipegg import _read_to_end
from migrate.wheels.wheelzip import WheelZipWriter

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "eggs"
ZIPPED = FIXTURES / "purepkg-1.0-py3.10.egg"
FOLDER = FIXTURES / "dirpkg-0.3-py3.10.egg"


def _pathlib_kind(path: Path) -> str:
    """What open_egg decided with pathlib's three calls, before it made one."""
    if path.is_dir():
        return "develop" if path.name.lower().endswith(".egg-info") else "folder"
    if path.is_file() and path.name.lower().endswith(".egg-info"):
        return "single-file .egg-info"
    if not path.exists():
        return "no such file or folder"
    return "zip"


def _kind(path: Path) -> str:
    try:
        archive, meta_dir = open_egg(path)
    except BrokenEgg as exc:
        return "single-file .egg-info" if "single-file .egg-info" in str(exc) else str(exc).split(": ", 1)[1]
    with archive:
        if isinstance(archive, ZipEgg):
            return "zip"
        assert isinstance(archive, FolderEgg)
        return "folder" if meta_dir == "EGG-INFO" else "develop"


def _places(tmp: Path) -> list[Path]:
    shutil.copy(ZIPPED, tmp / ZIPPED.name)
    shutil.copytree(FOLDER, tmp / FOLDER.name)
    (tmp / "site").mkdir()
    info = tmp / "site" / "demo.egg-info"
    info.mkdir()
    (info / "PKG-INFO").write_text("Metadata-Version: 1.0\nName: demo\nVersion: 1.0\n")
    (info / "top_level.txt").write_text("demo\n")
    (tmp / "site" / "demo").mkdir()
    (tmp / "site" / "demo" / "__init__.py").write_text("")
    (tmp / "plain.egg-info").write_text("Metadata-Version: 1.0\nName: plain\n")
    (tmp / "link.egg").symlink_to(tmp / ZIPPED.name)
    (tmp / "dangling.egg").symlink_to(tmp / "gone.egg")
    (tmp / "loop.egg").symlink_to(tmp / "loop.egg")
    return [tmp / ZIPPED.name, tmp / FOLDER.name, info, tmp / "plain.egg-info", tmp / "link.egg",
            tmp / "dangling.egg", tmp / "loop.egg", tmp / "missing.egg", tmp / ZIPPED.name / "under-a-file.egg",
            tmp / "nul\x00.egg"]


def test_one_stat_tells_every_kind_as_pathlib_did(tmp_path):
    places = _places(tmp_path)
    kinds = [_kind(p) for p in places]
    assert kinds == [_pathlib_kind(p) for p in places]
    assert set(kinds) == {"zip", "folder", "develop", "single-file .egg-info", "no such file or folder"}


@pytest.mark.parametrize("told", [0, 1, 100, 2000, "exact", "exact+1", 10**6])
def test_a_small_egg_is_read_to_its_end_whatever_fstat_said(tmp_path, told):
    data = ZIPPED.read_bytes() * 3
    path = tmp_path / "egg"
    path.write_bytes(data)
    size = {"exact": len(data), "exact+1": len(data) + 1}.get(told, told)  # type: ignore[arg-type]
    fd = os.open(path, os.O_RDONLY)
    try:
        assert _read_to_end(fd, size) == data
    finally:
        os.close(fd)


def _members(zw: WheelZipWriter) -> None:
    raw = ZIPPED.read_bytes()
    with zipfile.ZipFile(ZIPPED) as zf:
        info = zf.infolist()[0]
        content = zf.read(info)
    start = 30 + len(info.filename) + len(info.extra)
    stored = raw[info.header_offset + start:info.header_offset + start + info.compress_size]
    zw.add_bytes("a/bytes.txt", b"in one go\n" * 50)
    zw.add_chunks("a/chunks.txt", [b"streamed\n" * 3000, b"and more\n" * 3000])  # seeks back to its header
    zw.add_raw("a/raw.txt", stored, info.compress_type, info.CRC, info.compress_size, info.file_size)
    zw.add_checked("a/checked.txt", stored, info.compress_type, info.CRC, info.file_size, b"\0" * 32)
    zw.add_bytes("a/after.txt", content)
    zw.close()


def test_the_writer_keeps_its_position_on_a_real_file_as_in_memory(tmp_path):
    memory = io.BytesIO()
    _members(WheelZipWriter(memory))
    path = tmp_path / "w.whl"
    with open(path, "wb", buffering=1 << 20) as fp:
        _members(WheelZipWriter(fp))
    assert path.read_bytes() == memory.getvalue()
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        assert zf.read("a/chunks.txt") == b"streamed\n" * 3000 + b"and more\n" * 3000

