"""The ABI tag for every CPython 2.3-3.13 x {Linux UCS2, Linux UCS4, win32, win_amd64, macOS}.

Two oracles: a table written from the rule (``m`` pymalloc up to 3.7, ``u`` a wide build
before 3.3, Windows and macOS narrow), and ``packaging.tags.cpython_tags`` run for an
interpreter configured like that build (its ``_get_config_var`` answers as that build's
``sysconfig`` would), which is what pip installs by. Every tag of the chosen wheel must be
among them.
"""
from __future__ import annotations

from typing import Optional

import pytest
from packaging import tags as ptags

from migrate.binaries import BinaryFacts
from migrate.eggs.names import parse
from migrate.pins import default_abi
from migrate.wheels.tags import TagOptions, choose

VERSIONS = [(2, v) for v in range(3, 8)] + [(3, v) for v in range(0, 14)]
# kind -> (egg platform, binary format, arch, PyUnicodeUCS* the binary references before 3.3, Py_UNICODE_SIZE)
KINDS = {
    "linux-ucs2": ("linux-x86_64", "elf", "x86_64", "ucs2", 2),
    "linux-ucs4": ("linux-x86_64", "elf", "x86_64", "ucs4", 4),
    "win32": ("win32", "pe", "win32", None, 2),
    "win_amd64": ("win-amd64", "pe", "win_amd64", None, 2),
    "macos": ("macosx-10.6-intel", "macho", "intel", None, 2),
}


def expected_abi(version: tuple[int, int], kind: str) -> str:
    """The table, written out from the rule rather than computed by the code under test."""
    major, minor = version
    if version >= (3, 8):
        return f"cp{major}{minor}"
    wide = kind == "linux-ucs4" and version < (3, 3)
    return f"cp{major}{minor}m" + ("u" if wide else "")


def extension(version: tuple[int, int], kind: str) -> BinaryFacts:
    _plat, fmt, arch, ucs, _size = KINDS[kind]
    major, minor = version
    needed = (f"python{major}{minor}.dll",) if fmt == "pe" else ()
    return BinaryFacts(path="ext.so" if fmt != "pe" else "ext.pyd", format=fmt, arch=arch, is_extension=True,
                       python_major=major, ucs=ucs if version < (3, 3) else None, needed=needed,
                       macos_min="10.6" if fmt == "macho" else None)


def packaging_tags(version: tuple[int, int], unicode_size: int, platforms: list[str], monkeypatch) -> set[str]:
    """What packaging.tags generates for a CPython X.Y configured as the build would be (no debug, pymalloc)."""
    config = {"Py_DEBUG": 0, "WITH_PYMALLOC": 1, "Py_UNICODE_SIZE": unicode_size, "Py_GIL_DISABLED": 0}

    def config_var(name: str, warn: bool = False) -> Optional[int]:
        return config.get(name)

    monkeypatch.setattr(ptags, "_get_config_var", config_var)
    return {str(t) for t in ptags.cpython_tags(python_version=version, platforms=platforms)}


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("version", VERSIONS, ids=lambda v: f"{v[0]}.{v[1]}")
def test_abi_for_every_version_and_build(version, kind, monkeypatch):
    plat = KINDS[kind][0]
    name = parse(f"ext-1.0-py{version[0]}.{version[1]}-{plat}.egg")
    tags = choose(name, [extension(version, kind)], options=TagOptions(platform_tag="linux"))
    assert tags.python == f"cp{version[0]}{version[1]}"
    assert tags.abi == expected_abi(version, kind), tags.reason("abi")
    accepted = packaging_tags(version, KINDS[kind][4], tags.platform.split("."), monkeypatch)
    assert set(tags.expanded()) <= accepted, sorted(accepted)[:4]


@pytest.mark.parametrize("version", [v for v in VERSIONS if v < (3, 3)], ids=lambda v: f"{v[0]}.{v[1]}")
def test_no_unicode_reference_on_linux_is_both_builds(version, monkeypatch):
    """T011: no PyUnicodeUCS* symbol, so the module loads on narrow and wide builds; each half is a real tag."""
    major, minor = version
    name = parse(f"ext-1.0-py{major}.{minor}-linux-x86_64.egg")
    binary = BinaryFacts(path="ext.so", format="elf", arch="x86_64", is_extension=True, python_major=major)
    tags = choose(name, [binary], options=TagOptions(platform_tag="linux"))
    assert tags.abi == f"cp{major}{minor}m.cp{major}{minor}mu"
    assert "T011" in [p.code for p in tags.problems]
    narrow, wide = tags.expanded()
    assert narrow in packaging_tags(version, 2, ["linux_x86_64"], monkeypatch)
    assert wide in packaging_tags(version, 4, ["linux_x86_64"], monkeypatch)


@pytest.mark.parametrize("suffix, abi", [("cpython-32mu", "cp32mu"), ("cpython-32m", "cp32m"), ("cpython-32dmu", "cp32dmu")])
def test_python_3_2_so_suffix_names_the_abi(suffix, abi):
    name = parse("ext-1.0-py3.2-linux-x86_64.egg")
    binary = BinaryFacts(path=f"ext.{suffix}.so", format="elf", arch="x86_64", is_extension=True, python_major=3,
                         ucs="ucs2")  # the suffix wins over the symbols
    tags = choose(name, [binary], options=TagOptions(platform_tag="linux"))
    assert (tags.python, tags.abi) == ("cp32", abi)


@pytest.mark.parametrize("option, abi", [("ucs2", "cp24m"), ("ucs4", "cp24mu")])
def test_galaxy_suffix_and_option_keep_the_version(option, abi):
    binary = BinaryFacts(path="ext.so", format="elf", arch="i686", is_extension=True, python_major=2)
    by_name = choose(parse(f"ext-1.0-py2.4-linux-i686-{option}.egg"), [binary], options=TagOptions(platform_tag="linux"))
    by_option = choose(parse("ext-1.0-py2.4-linux-i686.egg"), [binary],
                       options=TagOptions(platform_tag="linux", py2_unicode=option))
    assert by_name.abi == by_option.abi == abi


def test_cygwin_pe_is_not_taken_for_a_narrow_windows_build():
    """A Cygwin DLL without PyUnicodeUCS* references: Cygwin's Python may be narrow or wide."""
    binary = BinaryFacts(path="ext.dll", format="pe", arch="win32", is_extension=True, python_major=2,
                         needed=("cygwin1.dll", "libpython2.5.dll"), os="cygwin", os_how="imports cygwin1.dll")
    tags = choose(parse("ext-1.0-py2.5-cygwin-1.5.25-i686.egg"), [binary])
    assert str(tags) == "cp25-cp25m.cp25mu-cygwin_1_5_25_i686"


@pytest.mark.parametrize("version, abi", [((2, 6), "cp26mu"), ((2, 7), "cp27mu"), ((3, 2), "cp32mu"), ((3, 5), "cp35m"),
                                          ((3, 8), "cp38"), ((3, 13), "cp313")])
def test_pin_targets_default_to_the_wide_build_of_their_own_version(version, abi):
    """``pin --python 2.6`` without ``--abi``: the Linux default build of 2.6, not 2.7's ABI."""
    assert default_abi(version) == abi
