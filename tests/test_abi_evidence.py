"""Three ABI rules only a converted egg shows: ``python3.dll``, the Galaxy ``-ucs`` suffix, and mixed UCS.

Each builds an egg around a committed binary (tests/fixtures/binaries), converts it, and
reads the wheel's tags: the rule and its reason, as docs/tags.rst states them.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from migrate.wheels.convert import convert_egg, inspect_egg
from tests.conftest import fixture_egg
from tests.eggmaker import make_egg, pkg_info

BINARIES = Path(__file__).parent / "fixtures" / "binaries"


def test_a_module_importing_python3_dll_is_abi3(tmp_path):
    """A Windows extension linked against python3.dll uses only the limited API: ``cp36-abi3-win32``."""
    pyd = (BINARIES / "pe_win32.pyd").read_bytes()
    assert pyd.count(b"python36.dll") == 1
    limited = pyd.replace(b"python36.dll", b"python3.dll\x00")
    egg = make_egg(tmp_path / "pemod-1.0-py3.6-win32.egg", {
        "EGG-INFO/PKG-INFO": pkg_info("pemod"), "EGG-INFO/top_level.txt": "pemod\n", "pemod.pyd": limited})
    tags = inspect_egg(egg).tags
    assert str(tags) == "cp36-abi3-win32"
    assert tags.reason("abi") == "the extension modules import python3.dll (the limited API)"


def test_the_galaxy_ucs4_suffix_decides_when_the_binary_is_silent(tmp_path):
    """A Python 2 extension with no PyUnicodeUCS* reference: Galaxy's ``-ucs4`` makes it ``cp27mu``, not both."""
    plain = fixture_egg("cpkg-2.0-py2.7-linux-x86_64.egg")
    assert inspect_egg(plain).tags.abi == "cp27m.cp27mu"  # the binary alone says nothing
    named = tmp_path / "cpkg-2.0-py2.7-linux-x86_64-ucs4.egg"
    shutil.copy(plain, named)
    result = convert_egg(named, tmp_path / "wheels")
    assert result.ok, result.problems
    assert result.tags.abi == "cp27mu"
    assert result.tags.reason("abi").startswith("Galaxy name suffix -ucs4")
    assert "-cp27-cp27mu-" in Path(result.wheel).name


def test_extensions_of_both_unicode_builds_are_refused(tmp_path):
    """One module built for UCS2 and another for UCS4 load on no single interpreter: no wheel, a reason."""
    ucs2 = (BINARIES / "ucs2.so").read_bytes()
    ucs4 = ucs2.replace(b"PyUnicodeUCS2_", b"PyUnicodeUCS4_")
    egg = make_egg(tmp_path / "mixed-1.0-py2.7-linux-x86_64.egg", {
        "EGG-INFO/PKG-INFO": pkg_info("mixed"), "EGG-INFO/top_level.txt": "a\nb\n",
        "a.so": ucs2, "b.so": ucs4})
    result = convert_egg(egg, tmp_path / "wheels")
    assert not result.ok and result.wheel is None
    assert not list((tmp_path / "wheels").glob("*.whl"))
    assert any("both PyUnicodeUCS2_* and PyUnicodeUCS4_*" in p.message for p in result.problems), result.problems
