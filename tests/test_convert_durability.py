"""``egg-migrate convert`` makes its wheels durable in one pass, not one fsync per wheel.

The wheels are written unsynced into a hidden temp folder inside WHEEL_DIR, synced together,
then renamed into place and the folder fsynced once. A wheel is never seen under its final
name before its bytes are on disk, and a kill before the renames leaves no wheel at all.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from migrate import cli, fsutil
from migrate.wheels import convert as convert_module
from migrate.wheels.convert import convert_egg

EGGS = Path(__file__).parent / "fixtures" / "eggs"
SOME = ["purepkg-1.0-py3.10.egg", "cext-1.0-py3.10-linux-x86_64.egg", "toolbox-0.5-py2.7.egg",
        "nsdemo.alpha-1.0-py2.7.egg"]


def _count_fsyncs(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = os.fsync

    def counting(fd):
        calls.append(fd)
        return real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    return calls


def test_one_sync_pass_before_the_renames(tmp_path, monkeypatch, capsys):
    fsyncs = _count_fsyncs(monkeypatch)
    seen = []
    real_sync = convert_module.sync_files

    def watching(files, root):
        seen.append((sorted(Path(f).name for f in files), sorted(p.name for p in tmp_path.glob("*.whl")), len(fsyncs)))
        return real_sync(files, root)

    monkeypatch.setattr(convert_module, "sync_files", watching)
    assert cli.main(["convert", *(str(EGGS / e) for e in SOME), "-d", str(tmp_path), "-j", "1"]) == 0
    wheels = sorted(p.name for p in tmp_path.iterdir())
    assert len(wheels) == len(SOME) and all(w.endswith(".whl") for w in wheels)  # no temp folder left
    assert len(seen) == 1
    synced, in_place_then, fsyncs_before = seen[0]
    assert synced == wheels and in_place_then == []  # all synced together, none renamed yet
    assert fsyncs_before == 0  # nothing fsynced while converting
    assert len(fsyncs) == len(SOME) + 1  # the few wheels one by one, then WHEEL_DIR once


def test_the_wheels_are_the_same_as_with_one_fsync_each(tmp_path, monkeypatch, capsys):
    one_by_one = tmp_path / "one"
    for egg in SOME:
        assert convert_egg(EGGS / egg, one_by_one).ok
    batched = tmp_path / "batched"
    assert cli.main(["convert", *(str(EGGS / e) for e in SOME), "-d", str(batched), "-j", "2"]) == 0
    assert {p.name: p.read_bytes() for p in one_by_one.iterdir()} == {p.name: p.read_bytes() for p in batched.iterdir()}


def test_convert_egg_alone_still_fsyncs_its_wheel(tmp_path, monkeypatch):
    fsyncs = _count_fsyncs(monkeypatch)
    assert convert_egg(EGGS / SOME[0], tmp_path).ok
    assert len(fsyncs) == 1
    assert convert_egg(EGGS / SOME[0], tmp_path, sync=False).ok
    assert len(fsyncs) == 1


def test_many_wheels_are_synced_with_one_syncfs(tmp_path, monkeypatch):
    fsyncs = _count_fsyncs(monkeypatch)
    files = []
    for i in range(fsutil.FEW_FILES + 1):
        files.append(tmp_path / f"f{i}")
        files[-1].write_bytes(b"x")
    fsutil.sync_files(files, tmp_path)
    assert fsyncs == []
    fsutil.sync_files(files[:2], tmp_path)
    assert len(fsyncs) == 2


def test_a_kill_before_the_renames_leaves_no_wheel(tmp_path):
    """SIGKILL inside the sync pass: WHEEL_DIR holds no wheel, only the hidden temp folder."""
    script = (
        "import os, signal, sys\n"
        "from migrate import cli\n"
        "from migrate.wheels import convert\n"
        "convert.sync_files = lambda files, root: os.kill(os.getpid(), signal.SIGKILL)\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    out = tmp_path / "wheels"
    proc = subprocess.run([sys.executable, "-c", script, "convert", *(str(EGGS / e) for e in SOME), "-d", str(out),
                           "-j", "2"], capture_output=True)
    assert proc.returncode == -9
    left = list(out.iterdir())
    assert not list(out.glob("*.whl"))
    assert len(left) == 1 and left[0].name.startswith(".egg-migrate-") and left[0].name.endswith(".tmp")


def test_unsynced_into_a_fresh_name_writes_no_temp_file(tmp_path, monkeypatch):
    """Into a staging folder of its own the wheel is made under its name (no temp name, no rename),
    0o644 whatever the umask; a wheel that fails half-way leaves nothing behind."""
    renames = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (renames.append(b), real_replace(a, b))[1])
    (tmp_path / "a").mkdir()
    old = os.umask(0o077)
    try:
        result = convert_egg(EGGS / SOME[0], tmp_path / "a", sync=False)
    finally:
        os.umask(old)
    assert result.ok and renames == []
    assert [p.name for p in (tmp_path / "a").iterdir()] == [Path(result.wheel).name]
    assert Path(result.wheel).stat().st_mode & 0o777 == 0o644
    assert convert_egg(EGGS / SOME[0], tmp_path / "a", sync=False).ok  # the name taken: replaced atomically
    assert len(renames) == 1 and list((tmp_path / "a").iterdir()) == [Path(result.wheel)]


def test_a_wheel_that_fails_half_way_leaves_nothing(tmp_path):
    import zipfile

    egg = tmp_path / "demo-1.0-py2.7.egg"
    with zipfile.ZipFile(egg, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("EGG-INFO/PKG-INFO", "Metadata-Version: 1.0\nName: demo\nVersion: 1.0\n")
        zf.writestr("demo/__init__.py", "x = 1\n" * 100)
    data = bytearray(egg.read_bytes())
    at = data.rindex(b"demo/__init__.py") - 46 + 16  # the CRC in its central directory entry
    data[at] ^= 0xFF
    egg.write_bytes(bytes(data))
    (tmp_path / "out").mkdir()
    result = convert_egg(egg, tmp_path / "out", sync=False)
    assert not result.ok and "CRC" in result.reason
    assert list((tmp_path / "out").iterdir()) == []
