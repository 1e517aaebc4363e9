"""Egg names no wheel name can hold: normalised as pkg_resources' safe_name, or refused with an escaped line.

A space, quotes, ``<`` or ``:`` in the project name become ``-`` (safe_name); a file name with
control characters or bytes that are not UTF-8 is refused, and neither stops ``convert`` or ``run``.
"""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.utils import parse_wheel_filename

from migrate.eggs import printable, unprintable
from migrate.eggs.names import parse
from migrate.wheels.convert import convert_egg
from tests.eggmaker import simple_egg
from tests.runner import migrate_run

NOT_UTF8 = os.fsdecode(b"caf\xe9-1.0-py2.7.egg")
ESCAPE = "x\x1b[31my-1.0-py2.7.egg"


@pytest.mark.parametrize("written, project, wheel_name", [
    ("Foo Bar", "Foo-Bar", "foo_bar"),
    ("Foo'Bar", "Foo-Bar", "foo_bar"),
    ('say"hi"', "say-hi", "say_hi"),
    ("a<b", "a-b", "a_b"),
    ("zope:interface", "zope-interface", "zope_interface"),
    ("Caf\u00e9", "Caf", "caf"),
    (" padded ", "padded", "padded"),
])
def test_unsafe_project_names_are_made_safe(tmp_path, written, project, wheel_name):
    name = parse(f"{written}-1.0-py2.7.egg")
    assert (name.project, name.written_project) == (project, written)
    egg = simple_egg(tmp_path / f"{written}-1.0-py2.7.egg", name="demo")
    result = convert_egg(egg, tmp_path / "w")
    assert result.ok, result.problems
    assert Path(result.wheel).name == f"{wheel_name}-1.0-py2-none-any.whl"
    assert str(parse_wheel_filename(Path(result.wheel).name)[0]) == wheel_name.replace("_", "-")
    assert any(p.code == "M011" and repr(written) in p.message for p in result.problems)
    with zipfile.ZipFile(result.wheel) as zf:
        assert f"Name: {project}\n" in zf.read(f"{wheel_name}-1.0.dist-info/METADATA").decode()


def test_a_safe_name_is_left_alone():
    assert parse("zope.interface-3.6.1-py2.7.egg").written_project is None


def eggs_with_bad_names(folder: Path) -> Path:
    for number, name in enumerate((NOT_UTF8, ESCAPE, "Foo Bar-1.0-py2.7.egg", "good-1.0-py2.7.egg")):
        simple_egg(folder / name, name=f"demo{number}")  # different bytes: the run's store keys on them
    return folder


def test_convert_goes_on_and_prints_escaped_lines(tmp_path):
    eggs = eggs_with_bad_names(tmp_path / "eggs")
    out = tmp_path / "w"
    proc = subprocess.run([sys.executable, "-m", "migrate", "convert", str(eggs), "-d", str(out), "-j", "2"],
                          capture_output=True)
    assert proc.returncode == 1
    err = proc.stderr.decode("utf-8")
    assert "FAILED  caf\\xe9-1.0-py2.7.egg: the file name holds control characters" in err
    assert "FAILED  x\\x1b[31my-1.0-py2.7.egg: the file name holds control characters" in err
    assert b"\x1b" not in proc.stdout + proc.stderr
    assert "converted 2 of 4 eggs" in err
    assert sorted(p.name for p in out.iterdir()) == ["foo_bar-1.0-py2-none-any.whl", "good-1.0-py2-none-any.whl"]


def test_run_writes_its_manifest_despite_a_non_utf8_name(tmp_path):
    eggs = eggs_with_bad_names(tmp_path / "eggs")
    out = tmp_path / "out"
    proc = migrate_run(out, "-j", "2", source=eggs)
    assert proc.returncode == 1, proc.stderr
    assert "\x1b" not in proc.stderr and "caf\\xe9-1.0-py2.7.egg: the file name holds" in proc.stderr
    records = json.loads((out / "manifest.json").read_text("utf-8"))["eggs"]
    status = {os.fsencode(Path(r["egg"]).name): r["status"] for r in records}
    assert status == {b"caf\xe9-1.0-py2.7.egg": "failed",
                      b"Foo Bar-1.0-py2.7.egg": "converted", b"good-1.0-py2.7.egg": "converted"}
    # the ESC name never leaves the listing: fetch skips it, with its reason, escaped
    fetched = json.loads((out / "eggs" / "fetch-manifest.json").read_text("utf-8"))
    skipped = [s["reason"] for s in fetched["skipped_links"] if "control character" in s["reason"]]
    assert len(skipped) == 1 and "\x1b" not in skipped[0], fetched["skipped_links"]
    assert (out / "report.txt").is_file() and (out / "requirements.txt").is_file()


def test_unprintable_is_what_printable_escapes():
    """``unprintable`` asks ``str.isprintable`` once; it must answer as comparing with :func:`printable` does,
    for every code point of the BMP (with the surrogates of undecodable bytes) and a sample beyond."""
    for code in list(range(0x10000)) + list(range(0x10000, 0x110000, 97)):
        ch = chr(code)
        for text in (ch, f"a{ch}.egg"):
            assert unprintable(text) == (printable(text) != text), hex(code)
    assert not unprintable("") and unprintable("Foo\udce9-1.0.egg") and not unprintable("Foo-1.0-py2.7.egg")
