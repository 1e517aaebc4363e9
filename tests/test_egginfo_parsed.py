"""EGG-INFO parsed, not spliced: requires.txt sections keep their meaning, dist-info text is UTF-8.

The cases are the ones issue 13 saw on real eggs: ``[fast:python_version<"3"or os_name=="nt"]``
lost its precedence, ``[x"y]`` was a traceback, ``[Fast Mode]`` an invalid extra, and a latin-1
``entry_points.txt`` was copied raw, so pip refused the wheel.
"""
import base64
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.metadata import Metadata
from packaging.requirements import Requirement

from migrate import interpreters
from migrate.checks.check import check_wheel
from migrate.eggs.egginfo import parse_requires_txt
from migrate.wheels.convert import convert_egg
from tests.eggmaker import make_egg, pkg_info

ENV = {"python_version": "2.7", "os_name": "posix", "sys_platform": "linux"}


def installs(requirement: str, extra: str = "", **env) -> bool:
    """Whether pip would install ``requirement`` for that extra in that environment."""
    marker = Requirement(requirement).marker
    return marker is None or marker.evaluate({**ENV, **env, "extra": extra})


def test_section_marker_keeps_its_precedence():
    reqs, extras, found = parse_requires_txt('[fast:python_version<"3"or os_name=="nt"]\ncext\n')
    assert found == [] and extras == ("fast",)
    assert reqs == ['cext; (python_version < "3" or os_name == "nt") and extra == "fast"']
    assert installs(reqs[0], "fast") and installs(reqs[0], "fast", python_version="3.11", os_name="nt")
    assert not installs(reqs[0], "")  # without the extra: never (the spliced text installed it on Python 2)
    assert not installs(reqs[0], "fast", python_version="3.11")


def test_line_marker_and_section_marker_are_both_kept():
    reqs, _, found = parse_requires_txt('[:python_version < "3"]\nfoo; os_name=="nt" or sys_platform=="win32"\n')
    assert found == []
    assert reqs == ['foo; (os_name == "nt" or sys_platform == "win32") and python_version < "3"']
    assert not installs(reqs[0], os_name="nt", python_version="3.11")
    assert installs(reqs[0], os_name="nt")


def test_extras_are_pep685_normalised():
    reqs, extras, found = parse_requires_txt("[Fast Mode]\ncext\n[Docs_Build]\nsphinx\n")
    assert found == [] and extras == ("fast-mode", "docs-build")
    assert reqs == ['cext; extra == "fast-mode"', 'sphinx; extra == "docs-build"']


@pytest.mark.parametrize("header", ['[x"y]', "[a<b]", "[x'y:os_name=='nt']", "[é]", '[:os_name == "nt" or]'])
def test_a_bad_section_is_reported_and_skipped(header):
    reqs, extras, found = parse_requires_txt(f"good\n{header}\nskipped\n[ok]\nkept\n")
    assert reqs == ["good", 'kept; extra == "ok"'] and extras == ("ok",)
    assert [p.code for p in found] == ["M002"]
    assert found[0].message.startswith("requires.txt line 2: ") and found[0].message.endswith("section skipped")


def test_bad_section_in_an_egg_converts_with_valid_metadata(tmp_path):
    egg = make_egg(tmp_path / "demo-1.0-py2.7.egg", {
        "EGG-INFO/PKG-INFO": pkg_info(),
        "EGG-INFO/requires.txt": 'six\n[x"y]\nbad\n[Fast Mode:python_version<"3"or os_name=="nt"]\ncext\n',
        "demo/__init__.py": "",
    })
    result = convert_egg(egg, tmp_path / "w")
    assert result.ok, result.problems
    assert "M002" in {p.code for p in result.problems}
    with zipfile.ZipFile(result.wheel) as zf:
        meta = Metadata.from_email(zf.read("demo-1.0.dist-info/METADATA").decode(), validate=True)
    assert [str(r) for r in meta.requires_dist] == [
        "six", 'cext; (python_version < "3" or os_name == "nt") and extra == "fast-mode"']
    assert meta.provides_extra == ["fast-mode"]


LATIN1_EP = "[console_scripts]\ncaf\xe9 = demo:main\n".encode("latin-1")


def latin1_egg(tmp_path: Path, pyver: str = "2.7") -> Path:
    return make_egg(tmp_path / f"demo-1.0-py{pyver}.egg", {
        "EGG-INFO/PKG-INFO": pkg_info(),
        "EGG-INFO/entry_points.txt": LATIN1_EP,
        "EGG-INFO/top_level.txt": "demo\n",
        "demo/__init__.py": "def main():\n    print('hi')\n",
    })


def test_latin1_entry_points_are_written_as_utf8(tmp_path):
    result = convert_egg(latin1_egg(tmp_path), tmp_path / "w")
    assert result.ok, result.problems
    assert any(p.code == "M010" and "entry_points.txt" in p.message for p in result.problems)
    with zipfile.ZipFile(result.wheel) as zf:
        assert zf.read("demo-1.0.dist-info/entry_points.txt") == LATIN1_EP.decode("latin-1").encode("utf-8")
    checked = check_wheel(result.wheel, result.egg)
    assert not {"W412", "W802", "W804"} & {p.code for p in checked.problems}, checked.problems


def raw_wheel(dest: Path, entry_points: bytes) -> Path:
    """A pure wheel holding ``entry_points`` byte for byte (RECORD right)."""
    dist = "demo-1.0.dist-info"
    members = {
        "demo/__init__.py": b"def main():\n    print('hi')\n",
        f"{dist}/METADATA": b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n\n",
        f"{dist}/entry_points.txt": entry_points,
    }
    rows = [f"{arc},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}"
            for arc, data in members.items()]
    members[f"{dist}/RECORD"] = ("\n".join(rows + [f"{dist}/RECORD,,"]) + "\n").encode()
    path = dest / "demo-1.0-py3-none-any.whl"
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for arc, data in members.items():
            zf.writestr(arc, data)
    return path


def test_check_flags_a_dist_info_file_that_is_not_utf8(tmp_path):
    bad = check_wheel(raw_wheel(tmp_path / "bad", LATIN1_EP))
    assert [p.message for p in bad.problems if p.code == "W412"] == [
        "demo-1.0.dist-info/entry_points.txt is not UTF-8 (invalid continuation byte at byte 21); "
        "installers cannot read it"]
    good = check_wheel(raw_wheel(tmp_path / "good", LATIN1_EP.decode("latin-1").encode("utf-8")))
    assert "W412" not in {p.code for p in good.problems}


def pip_install(wheel, target: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", "install", "--no-index", "--no-deps", "--disable-pip-version-check",
                           "--target", str(target), str(wheel)], capture_output=True, text=True, env=interpreters.pip_env())


def test_pip_installs_the_converted_wheel_and_its_script(tmp_path):
    raw = pip_install(raw_wheel(tmp_path / "raw", LATIN1_EP), tmp_path / "raw-site")
    assert raw.returncode != 0  # what copying the egg's bytes gave: pip cannot read the entry points
    proc = pip_install(convert_egg(latin1_egg(tmp_path, "3.10"), tmp_path / "w").wheel, tmp_path / "site")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "site" / "bin" / "caf\xe9").is_file()
