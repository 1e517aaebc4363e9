"""Converted binary wheels install with stock pip into their interpreter's venv and work,
and our manylinux verdict agrees with ``auditwheel show --json`` on every Linux wheel.

Eggs: the committed fixture eggs (cext, cpkg, zlibext, xmlext for 2.7/3.6/3.10) plus the eggs
tests/madebinaries.py makes from tests/fixtures/binaries (``made_wheels``, tests/conftest.py).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from packaging.utils import parse_wheel_filename

from tests.conftest import build_once, installed_distributions, py
from tests.consoletools import run_tool

EXPECTED = {
    "gl234": "manylinux_2_34_x86_64",
    "zblack": "manylinux_2_34_x86_64",  # uncompress2 (libz) is blacklisted before manylinux_2_34
    "usefoo": "manylinux_2_5_x86_64",  # libfoo.so.1 is reached through $ORIGIN/.libs
    "usefoo_norpath": "linux_x86_64",
    "ucs2": "linux_x86_64",
    "pyfpe": "linux_x86_64",
    "isav3": "linux_x86_64",
    "i686": "manylinux_2_5_i686",
    "textso": "manylinux_2_34_x86_64",
}


def auditwheel_tags(wheels: list, tmp: Path) -> list:
    """``auditwheel show --json`` of each wheel (one process for all: tests/consoletools.py).

    A linux_<arch> wheel is shown under a manylinux file name: auditwheel takes the libc from
    the name when the ELF files link no libc.so.6 (the fixtures' ``gcc -shared`` modules do
    not), and the name changes nothing else it reads."""
    targets = []
    for wheel in wheels:
        platforms = sorted({t.platform for t in parse_wheel_filename(wheel.name)[3]})
        target = wheel
        if platforms[0].startswith("linux_"):
            target = tmp / wheel.name.replace(f"-{platforms[0]}.whl", f"-manylinux_2_5_{platforms[0][6:]}.whl")
            shutil.copy(wheel, target)
        targets.append(target)
    shown = run_tool("auditwheel", [["show", "--json", target] for target in targets])
    for target, one in zip(targets, shown):
        assert one.code == 0, (target, one.output)
    return [json.loads(one.stdout) for one in shown]


def linux_wheels(results: dict) -> list:
    return [Path(r.wheel) for r in results.values() if r.ok and not r.tags.is_pure and "linux" in r.tags.platform]


def first_platform(wheel: Path) -> str:
    return wheel.name[:-4].split("-")[-1].split(".")[0]


def test_made_eggs_get_the_expected_platform(made_wheels):
    for name, result in made_wheels.items():
        assert result.ok, (name, result.reason)
        assert first_platform(Path(result.wheel)) == EXPECTED[name.split("-")[0]], name
    assert "usefoo_norpath-1.0-py3.10-linux-x86_64.egg" in made_wheels
    assert made_wheels["usefoo_norpath-1.0-py3.10-linux-x86_64.egg"].tags.external_libs == ("libfoo.so.1",)
    text = made_wheels["textso-1.0-py3.10-linux-x86_64.egg"]
    assert any(p.code == "B001" and "notes.so: a text file" in p.message for p in text.problems)


@pytest.fixture
def auditwheel_shows(fixture_wheels, made_wheels, tmp_path_factory) -> dict:
    """{wheel file name: ``auditwheel show --json``} of every Linux wheel here, run once per session
    (one process, either worker) for both tests below; the wheels are the same in every worker."""
    pytest.importorskip("auditwheel")
    wheels = linux_wheels(fixture_wheels) + linux_wheels(made_wheels)
    return build_once(tmp_path_factory, "auditwheel-show",
                      lambda folder: {w.name: shown for w, shown in zip(wheels, auditwheel_tags(wheels, folder))})


def test_manylinux_level_agrees_with_auditwheel(fixture_wheels, made_wheels, auditwheel_shows):
    wheels = linux_wheels(fixture_wheels) + linux_wheels(made_wheels)
    assert len(wheels) >= 17 and sorted(auditwheel_shows) == sorted(w.name for w in wheels)
    disagree = []
    for wheel in wheels:
        report = auditwheel_shows[wheel.name]
        if report["overall_tag"] != first_platform(wheel):
            disagree.append(f"{wheel.name}: auditwheel says {report['overall_tag']}")
    assert not disagree, "\n".join(disagree)


def test_external_libraries_match_auditwheel(fixture_wheels, auditwheel_shows):
    xml = fixture_wheels["xmlext-1.0-py3.10-linux-x86_64.egg"]
    assert xml.tags.external_libs == ("libxml2.so.2",)
    assert "libxml2.so.2" in auditwheel_shows[Path(xml.wheel).name]["external_libs"]


# -- install with stock pip and call the C functions ---------------------------------------------------

def test_py310_wheels_install_and_work(fixture_wheels, installed_venvs):
    """Installed by one pip run with every other wheel for 3.10 (``installed_venvs``, tests/conftest.py)."""
    cext = fixture_wheels["cext-1.0-py3.10-linux-x86_64.egg"]
    zlib = fixture_wheels["zlibext-1.0-py3.10-linux-x86_64.egg"]
    xml = fixture_wheels["xmlext-1.0-py3.10-linux-x86_64.egg"]
    assert first_platform(Path(cext.wheel)) == "manylinux_2_5_x86_64"  # needs only glibc (here: nothing)
    assert first_platform(Path(zlib.wheel)) == "manylinux_2_5_x86_64"  # libz.so.1 is in the policy
    assert first_platform(Path(xml.wheel)) == "linux_x86_64"  # libxml2.so.2 is not
    _, venv310 = installed_venvs("3.10")
    assert {"cext==1.0", "zlibext==1.0", "xmlext==1.0", "gl234==1.0", "zblack==1.0", "usefoo==1.0"} <= set(
        installed_distributions(venv310).splitlines())
    out = py(venv310, "import cext, zlibext, xmlext, gl234, zblack, usefoo, zlib; "
                      "print(cext.add(2, 3), cext.echo('hi'), zlibext.crc(b'abc') == zlib.crc32(b'abc'), "
                      "xmlext.version().isdigit(), gl234.threads(), zblack.roundtrip(), usefoo.value())")
    assert out == "5 hi True True 42 b'hello hello hello' 7"


def test_py27_and_py36_wheels_keep_a_linux_tag_for_libpython(fixture_wheels):
    """Their installs with stock pip into fresh 2.7 and 3.6 venvs and the C calls are in
    tests/test_install.py, whose venv of each interpreter gets every wheel meant for it."""
    py27 = fixture_wheels["cext-1.0-py2.7-linux-x86_64.egg"]
    assert Path(py27.wheel).name == "cext-1.0-cp27-cp27mu-linux_x86_64.whl"  # NEEDED libpython2.7.so.1.0
    assert py27.tags.external_libs == ("libpython2.7.so.1.0",)
    py36 = fixture_wheels["cext-1.0-py3.6-linux-x86_64.egg"]
    assert Path(py36.wheel).name == "cext-1.0-cp36-cp36m-linux_x86_64.whl"  # NEEDED libpython3.6m.so.1.0
    assert py36.tags.repairable
