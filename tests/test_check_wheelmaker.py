"""Build wheels byte by byte for the check tests, good and deliberately broken.

``standard_files()`` gives the files of a correct small wheel; tests change
them and call ``build_wheel()``, which writes RECORD (unless told otherwise)
and can add the zip-level damage no normal tool produces. The tests in this
module prove the untouched wheel is correct by other tools' standards, so a
code a broken variant yields is caused by its one change.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import stat
import subprocess
import sys
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import pytest

from migrate.checks.check import check_wheel

FIXTURES = Path(__file__).parent / "fixtures" / "eggs"
VENV_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Member:
    """A zip member with the damage to do to it."""

    data: bytes
    symlink: bool = False
    encrypted: bool = False
    method: int = zipfile.ZIP_DEFLATED
    mode: int = 0o644


def record_hash(data: bytes, algorithm: str = "sha256") -> str:
    digest = hashlib.new(algorithm, data).digest()
    return f"{algorithm}=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def standard_files(name: str = "demo", version: str = "1.0", tags=("py3-none-any",), purelib: bool = True,
                   metadata: str = "", modules: Optional[dict] = None) -> dict:
    """{member: bytes} of a correct wheel (RECORD left to build_wheel)."""
    dist_info = f"{name}-{version}.dist-info"
    files = dict(modules if modules is not None else {f"{name}/__init__.py": b"VALUE = 1\n"})
    files[f"{dist_info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: a test wheel\n"
        f"Description-Content-Type: text/plain\n{metadata}\nA wheel made by the check tests.\n"
    ).encode()
    files[f"{dist_info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: egg-migrate tests\n"
        f"Root-Is-Purelib: {'true' if purelib else 'false'}\n" + "".join(f"Tag: {t}\n" for t in tags) + "\n"
    ).encode()
    return files


def build_wheel(dest: Path, files: dict, filename: str = "demo-1.0-py3-none-any.whl", *,
                record: bool = True, rows: Optional[Callable] = None, dist_info: Optional[str] = None,
                record_first: bool = False, extra: tuple = (), corrupt: Optional[str] = None) -> Path:
    """Write ``files`` (bytes or Member) as a wheel; RECORD lists every member unless ``record=False``.

    ``rows(list_of_rows) -> list_of_rows`` edits RECORD before it is written; ``extra`` members are
    added unlisted, before RECORD (duplicates); ``corrupt`` flips a byte of that member's stored data;
    ``Member(encrypted=True)`` sets the encryption flag (zipfile cannot write it).
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / filename
    if dist_info is None:
        dist_info = next((n.split("/", 1)[0] for n in files if n.split("/", 1)[0].endswith(".dist-info")), None)
    members = [(n, m if isinstance(m, Member) else Member(m)) for n, m in files.items()]
    record_name = f"{dist_info}/RECORD"
    if record and dist_info:
        table = [[n, record_hash(m.data), str(len(m.data))] for n, m in members]
        table.append([record_name, "", ""])
        if rows:
            table = rows(table)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(table)
        entry = (record_name, Member(out.getvalue().encode()))
        extras = [(n, m if isinstance(m, Member) else Member(m)) for n, m in extra]
        members = [entry] + members + extras if record_first else members + extras + [entry]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicates some tests want
        with zipfile.ZipFile(path, "w") as zf:
            for n, m in members:
                info = zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = m.method
                kind = stat.S_IFLNK if m.symlink else stat.S_IFREG
                info.external_attr = ((kind | (0o777 if m.symlink else m.mode)) << 16)
                zf.writestr(info, m.data)
    if corrupt:
        _flip_byte(path, corrupt)
    for n, m in members:
        if m.encrypted:
            _set_encrypted(path, n)
    return path


def _set_encrypted(path: Path, name: str) -> None:
    """Set bit 0 of the general purpose flags in the local and the central header."""
    with zipfile.ZipFile(path) as zf:
        offset = zf.getinfo(name).header_offset
    raw = bytearray(path.read_bytes())
    raw[offset + 6] |= 0x1
    encoded = name.encode()
    pos = raw.find(b"PK\x01\x02")
    while pos != -1:
        name_len = int.from_bytes(raw[pos + 28:pos + 30], "little")
        if raw[pos + 46:pos + 46 + name_len] == encoded:
            raw[pos + 8] |= 0x1
            break
        pos = raw.find(b"PK\x01\x02", pos + 4)
    path.write_bytes(bytes(raw))


def _flip_byte(path: Path, name: str) -> None:
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
        assert info.compress_type == zipfile.ZIP_STORED, "corrupt only stored members"
    raw = bytearray(path.read_bytes())
    header = info.header_offset
    name_len = int.from_bytes(raw[header + 26:header + 28], "little")
    extra_len = int.from_bytes(raw[header + 28:header + 30], "little")
    start = header + 30 + name_len + extra_len
    raw[start] ^= 0xFF
    path.write_bytes(bytes(raw))


def egg_member(egg: str, member: str) -> bytes:
    """A file out of a committed fixture egg (real ELF extension modules for the binary checks)."""
    with zipfile.ZipFile(FIXTURES / egg) as zf:
        return zf.read(member)


def cext27() -> bytes:
    """``cext.so`` built by CPython 2.7 (UCS4): exports initcext, references PyUnicodeUCS4_*."""
    return egg_member("cext-1.0-py2.7-linux-x86_64.egg", "cext.so")


def cext310() -> bytes:
    """``cext.cpython-310-x86_64-linux-gnu.so``: exports PyInit_cext, manylinux_2_5 clean."""
    return egg_member("cext-1.0-py3.10-linux-x86_64.egg", "cext.cpython-310-x86_64-linux-gnu.so")


def xmlext310() -> bytes:
    """Links libxml2, which no manylinux policy allows."""
    return egg_member("xmlext-1.0-py3.10-linux-x86_64.egg", "xmlext.cpython-310-x86_64-linux-gnu.so")


def rewrap(wheel: Path, dest: Path, change: Callable[[dict], None], filename: Optional[str] = None) -> Path:
    """Copy a wheel with its files changed by ``change(files)``; RECORD rewritten to match."""
    with zipfile.ZipFile(wheel) as zf:
        files = {n: zf.read(n) for n in zf.namelist() if not n.endswith("/RECORD")}
    change(files)
    return build_wheel(dest, files, filename or wheel.name)


def installer_errors(wheel: Path) -> list:
    """installer's own RECORD validation (a test dependency, used to cross-check ours): its issues,
    or why it refused to open the wheel at all. Only installer's public exceptions count as a
    verdict; anything else (an import that broke, a bug) is an error of the test."""
    from installer.exceptions import InstallerError
    from installer.sources import WheelFile

    try:
        with WheelFile.open(wheel) as source:
            source.validate_record()
    except (InstallerError, zipfile.BadZipFile) as exc:
        return list(getattr(exc, "issues", None) or [repr(exc)])
    return []


def test_standard_wheel_is_clean_for_every_tool(tmp_path):
    wheel = build_wheel(tmp_path, standard_files())
    assert check_wheel(wheel).problems == ()
    assert installer_errors(wheel) == []
    twine = subprocess.run([VENV_BIN / "twine", "check", "--strict", wheel], capture_output=True, text=True)
    assert twine.returncode == 0, twine.stdout + twine.stderr
    cwc = subprocess.run([VENV_BIN / "check-wheel-contents", "--no-config", wheel], capture_output=True, text=True)
    assert cwc.returncode == 0, cwc.stdout + cwc.stderr


def test_binary_wheel_is_clean(tmp_path):
    files = standard_files(tags=("cp310-cp310-manylinux_2_5_x86_64", "cp310-cp310-manylinux1_x86_64"),
                           purelib=False, modules={"cext.cpython-310-x86_64-linux-gnu.so": cext310()})
    wheel = build_wheel(tmp_path, files, "demo-1.0-cp310-cp310-manylinux_2_5_x86_64.manylinux1_x86_64.whl")
    assert check_wheel(wheel).problems == ()
    assert installer_errors(wheel) == []


def test_helpers_damage_what_they_say(tmp_path):
    wheel = build_wheel(tmp_path, {**standard_files(), "demo/data.bin": Member(b"0123456789", method=zipfile.ZIP_STORED)},
                        corrupt="demo/data.bin")
    with zipfile.ZipFile(wheel) as zf, pytest.raises(zipfile.BadZipFile, match="CRC"):
        zf.read("demo/data.bin")
