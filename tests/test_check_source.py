"""W8xx: each converted fixture wheel against its own egg, and broken copies of them."""
from __future__ import annotations

from pathlib import Path

import pytest

from migrate import problems as P
from migrate.checks.check import check_wheel
from tests.test_check_wheelmaker import rewrap


def _pair(fixture_wheels, egg_name):
    result = fixture_wheels[egg_name]
    assert result.ok, result.reason
    return Path(result.wheel), Path(result.egg)


def test_every_fixture_wheel_matches_its_egg(fixture_wheels):
    for egg_name, result in sorted(fixture_wheels.items()):
        assert result.ok, result.reason
        checked = check_wheel(result.wheel, source_egg=result.egg)
        assert checked.source_egg == str(result.egg)
        loud = [str(p) for p in checked.problems if p.severity != P.INFO]
        assert loud == [], (egg_name, loud)


def test_dropped_files_are_reported_with_their_reason(fixture_wheels):
    wheel, egg = _pair(fixture_wheels, "cext-1.0-py2.7-linux-x86_64.egg")
    infos = [p.message for p in check_wheel(wheel, egg).problems if p.code == "W807"]
    assert any("__bootstrap__" in m and "cext.py" in m for m in infos), infos
    assert any("stale bytecode" in m and "cext.pyc" in m for m in infos), infos


def test_scripts_are_compared_after_their_shebang_is_rewritten(fixture_wheels):
    wheel, egg = _pair(fixture_wheels, "toolbox-0.5-py2.7.egg")
    broken = rewrap(wheel, wheel.parent / "w802-script", lambda f: f.update(
        {"toolbox-0.5.data/scripts/toolbox-legacy": b"#!python\nprint('changed')\n"}))
    assert check_wheel(broken, egg).codes == ["W802"]


def _drop(name):
    return lambda files: files.pop(name)


def _replace(name, old, new):
    def change(files):
        assert old in files[name], (name, files[name])
        files[name] = files[name].replace(old, new)
    return change


CASES = {
    "W801": ("purepkg-1.0-py3.10.egg", _drop("purepkg/util.py")),
    "W802": ("purepkg-1.0-py3.10.egg", _replace("purepkg/util.py", b"def", b"def _changed(): pass\ndef")),
    "W803": ("toolbox-0.5-py3.10.egg", _replace("toolbox-0.5.dist-info/METADATA", b"Requires-Dist: purepkg>=1.0\n", b"")),
    "W804": ("toolbox-0.5-py3.10.egg", _replace("toolbox-0.5.dist-info/entry_points.txt", b"toolbox.cli:main", b"toolbox.cli:other")),
    "W808": ("purepkg-1.0-py3.10.egg", lambda files: files.update({"purepkg/extra.py": b"x = 1\n"})),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_broken_copy_yields_exactly_its_code(fixture_wheels, tmp_path, code):
    egg_name, change = CASES[code]
    wheel, egg = _pair(fixture_wheels, egg_name)
    broken = rewrap(wheel, tmp_path, change)
    assert check_wheel(broken).codes == [], "the change must be invisible without the egg"
    result = check_wheel(broken, source_egg=egg)
    assert result.codes == [code], [str(p) for p in result.problems]
    assert (result.errors == 0) == (code == "W808"), "W808 is a warning, the others errors"


def test_another_project_or_version(fixture_wheels, tmp_path):
    wheel, _ = _pair(fixture_wheels, "purepkg-1.0-py3.10.egg")
    _, other = _pair(fixture_wheels, "toolbox-0.5-py3.10.egg")
    result = check_wheel(wheel, source_egg=other)
    assert result.codes == ["W805"], [str(p) for p in result.problems]


def test_unreadable_egg(fixture_wheels, tmp_path):
    wheel, _ = _pair(fixture_wheels, "purepkg-1.0-py3.10.egg")
    bogus = tmp_path / "purepkg-1.0-py3.10.egg"
    bogus.write_bytes(b"not a zip")
    result = check_wheel(wheel, source_egg=bogus)
    assert result.codes == ["W806"]
    assert "purepkg-1.0-py3.10.egg" in result.problems[0].message
