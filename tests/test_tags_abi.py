"""The ABI tag, rule by rule as README's tag policy states it, on eggs holding real extension
modules (tests/fixtures/binaries), through ``inspect_egg`` and the CLI.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from migrate import interpreters
from migrate.cli import main
from migrate.wheels.convert import ConvertOptions, convert_egg, inspect_egg
from migrate.wheels.tags import TagOptions
from tests.conftest import fixture_egg
from tests.eggmaker import make_egg, pkg_info

BINARIES = Path(__file__).parent / "fixtures" / "binaries"
PY3_MODULE = BINARIES / "rhel6.so"  # exports PyInit_rhel6, references no PyUnicodeUCS* symbol
PY2_NO_UCS = "cpkg-2.0-py2.7-linux-x86_64.egg"  # a Python 2 extension that uses no Py_UNICODE API


def extension_egg(folder: Path, pyver: str, member: str = "rhel6.so") -> Path:
    return make_egg(folder / f"rhel6-1.0-py{pyver}-linux-x86_64.egg", {
        "EGG-INFO/PKG-INFO": pkg_info("rhel6"),
        "EGG-INFO/top_level.txt": "rhel6\n",
        member: PY3_MODULE.read_bytes(),
    })


@pytest.mark.parametrize("pyver, abi", [
    ("3.3", "cp33m"), ("3.6", "cp36m"), ("3.7", "cp37m"),  # pymalloc's "m": 3.3-3.7
    ("3.8", "cp38"), ("3.9", "cp39"), ("3.10", "cp310"), ("3.12", "cp312"),  # gone from 3.8 on
])
def test_python3_abi_from_the_pyver_when_the_so_has_no_suffix(tmp_path, pyver, abi):
    tags = inspect_egg(extension_egg(tmp_path, pyver)).tags
    assert (tags.python, tags.abi) == ("cp" + pyver.replace(".", ""), abi)
    assert tags.reason("abi") == f"Python {pyver} default ABI (no PEP 3149 suffix on the .so)"


@pytest.mark.parametrize("pyver", ["3.6", "3.8", "3.10"])
def test_abi3_so_is_tagged_abi3(tmp_path, pyver):
    tags = inspect_egg(extension_egg(tmp_path, pyver, member="rhel6.abi3.so")).tags
    assert (tags.python, tags.abi) == ("cp" + pyver.replace(".", ""), "abi3")
    assert tags.reason("abi") == "the extension modules use the limited API (.abi3.so)"


def test_the_probed_interpreters_agree_with_their_own_soabi():
    """interpreters.probe applies the same 3.3-3.7 rule to the interpreters on this machine."""
    checked = 0
    for interp in interpreters.discover():
        if interp.implementation != "cp" or interp.version[0] != 3:
            continue
        soabi = subprocess.run([interp.path, "-c", "import sysconfig; print(sysconfig.get_config_var('SOABI'))"],
                               capture_output=True, text=True, check=True).stdout.strip()
        assert interp.abi == "cp" + soabi.split("-")[1], (interp, soabi)  # cpython-37m-x86_64-linux-gnu
        checked += 1
    if not checked:
        pytest.skip("no CPython 3 interpreter on this machine")


@pytest.mark.parametrize("option, abi", [(None, "cp27m.cp27mu"), ("ucs2", "cp27m"), ("ucs4", "cp27mu")])
def test_py2_unicode_decides_when_the_binaries_and_name_do_not(option, abi):
    facts = inspect_egg(fixture_egg(PY2_NO_UCS), ConvertOptions(tags=TagOptions(py2_unicode=option)))
    assert facts.tags.abi == abi
    if option:
        assert facts.tags.reason("abi") == f"--py2-unicode {option}"
        assert "T011" not in [p.code for p in facts.problems]


def test_py2_unicode_yields_to_the_binaries_and_the_galaxy_suffix():
    ucs4_symbols = inspect_egg(fixture_egg("cext-1.0-py2.7-linux-x86_64.egg"),
                               ConvertOptions(tags=TagOptions(py2_unicode="ucs2"))).tags
    assert ucs4_symbols.abi == "cp27mu"  # PyUnicodeUCS4_* referenced: the option is not asked
    suffix = inspect_egg(fixture_egg("cext-1.0_7b95ff194725-py2.7-linux-x86_64-ucs4.egg"),
                         ConvertOptions(tags=TagOptions(py2_unicode="ucs2"))).tags
    assert suffix.abi == "cp27mu"


def test_py2_unicode_on_the_command_line(tmp_path, capsys):
    egg = str(fixture_egg(PY2_NO_UCS))
    assert main(["inspect", "--json", "--py2-unicode", "ucs4", egg]) == 0
    assert json.loads(capsys.readouterr().out)[0]["tags"]["abi"] == "cp27mu"
    result = convert_egg(egg, tmp_path, ConvertOptions(tags=TagOptions(py2_unicode="ucs2")))
    assert Path(result.wheel).name == "cpkg-2.0-cp27-cp27m-linux_x86_64.whl"
