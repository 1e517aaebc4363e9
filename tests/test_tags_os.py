"""The platform tag follows the OS the binary is for, not only its format (ELF is not always Linux).

The binaries are the committed fixtures (tests/fixtures/binaries/build.py): ``ucs2.so``, a
Python 2 x86-64 module, with each OS's ABI note added (``os_*.so``), or with its
``e_ident[EI_OSABI]`` byte patched here; ``pe_cygwin.dll`` imports ``cygwin1.dll``.
Each is put in an egg and converted as a user would.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from migrate.binaries import BinaryFacts, analyse
from migrate.checks.check import check_wheel
from migrate.cli import main
from migrate.eggs.names import parse
from migrate.wheels.convert import ConvertOptions, convert_egg, inspect_egg
from migrate.wheels.tags import TagError, TagOptions, choose
from tests.eggmaker import make_egg, pkg_info
from tests.test_check_wheelmaker import build_wheel, standard_files

BINARIES = Path(__file__).parent / "fixtures" / "binaries"
EI_OSABI = 7
OSABI = {"sysv": 0, "netbsd": 2, "linux": 3, "solaris": 6, "freebsd": 9, "openbsd": 12, "arm": 97}


def patched(osabi: str, source: str = "ucs2.so") -> bytes:
    data = bytearray((BINARIES / source).read_bytes())
    data[EI_OSABI] = OSABI[osabi]
    return bytes(data)


def egg(folder: Path, filename: str, binary: bytes, member: str = "ucs2.so") -> Path:
    return make_egg(folder / filename, {
        "EGG-INFO/PKG-INFO": pkg_info("ucs2"),
        "EGG-INFO/top_level.txt": "ucs2\n",
        member: binary,
    })


def refusal(facts) -> str:
    """The T000 error: why no tag is correct."""
    assert facts.tags is None
    return next(p.message for p in facts.problems if p.code == "T000")


def read(data: bytes, path: str = "ucs2.so") -> BinaryFacts:
    return analyse(io.BytesIO(data), path)


@pytest.mark.parametrize("osabi, os_name", [("freebsd", "freebsd"), ("netbsd", "netbsd"), ("openbsd", "openbsd"),
                                            ("solaris", "solaris"), ("linux", "linux"), ("sysv", None), ("arm", None)])
def test_ei_osabi_names_the_os(osabi, os_name):
    facts = read(patched(osabi))
    assert facts.os == os_name
    assert facts.os_how == (f"ELF OS/ABI {osabi.upper()}" if os_name else "")


@pytest.mark.parametrize("fixture, os_name, how", [
    ("os_freebsd.so", "freebsd", "FreeBSD ABI note (.note.tag)"),
    ("os_netbsd.so", "netbsd", "NetBSD ABI note (.note.netbsd.ident)"),
    ("os_openbsd.so", "openbsd", "OpenBSD ABI note (.note.openbsd.ident)"),
    ("os_hurd.so", "hurd", "GNU ABI note (.note.ABI-tag) for hurd"),
    ("os_linux.so", "linux", "GNU ABI note (.note.ABI-tag) for linux"),
    ("os_solaris.so", "solaris", "Solaris link-editor marks (.SUNW_* sections or SUNW_* versions)"),
    ("ucs2.so", None, ""),  # a Linux module without a note, as most are
])
def test_abi_notes_and_solaris_marks_name_the_os(fixture, os_name, how):
    facts = read((BINARIES / fixture).read_bytes())
    assert (facts.os, facts.os_how) == (os_name, how)


def test_freebsd_egg_gets_the_bdist_wheel_platform_and_installs_nowhere_else(tmp_path):
    path = egg(tmp_path, "ucs2-1.0-py2.4-freebsd-6.2-RELEASE-p3-amd64.egg", patched("freebsd"))
    result = convert_egg(str(path), tmp_path / "out", ConvertOptions())
    assert Path(result.wheel).name == "ucs2-1.0-cp24-cp24m-freebsd_6_2_release_p3_amd64.whl"
    with zipfile.ZipFile(result.wheel) as zf:
        wheel = zf.read("ucs2-1.0.dist-info/WHEEL").decode()
    assert "Tag: cp24-cp24m-freebsd_6_2_release_p3_amd64" in wheel
    reason = inspect_egg(path).tags.reason("platform")
    assert "ucs2.so is a FreeBSD ELF (ELF OS/ABI FREEBSD)" in reason


@pytest.mark.parametrize("fixture, platform, tag", [
    ("os_netbsd.so", "netbsd-5.0-amd64", "netbsd_5_0_amd64"),
    ("os_openbsd.so", "openbsd-4.4-amd64", "openbsd_4_4_amd64"),
    ("os_solaris.so", "solaris-2.11-i86pc", "solaris_2_11_i86pc"),
    ("ucs2.so", "freebsd-7.0-RELEASE-amd64", "freebsd_7_0_release_amd64"),  # no mark: the name says which OS
])
def test_other_elf_systems_keep_their_egg_platform(tmp_path, fixture, platform, tag):
    path = egg(tmp_path, f"ucs2-1.0-py2.5-{platform}.egg", (BINARIES / fixture).read_bytes())
    tags = inspect_egg(path).tags
    assert str(tags) == f"cp25-cp25m-{tag}"
    assert not [p for p in tags.problems if p.code in ("T003", "T004", "T012")]


@pytest.mark.parametrize("source, osabi", [("ucs2.so", "freebsd"), ("os_netbsd.so", None), ("os_solaris.so", None)])
@pytest.mark.parametrize("options", [TagOptions(), TagOptions(trust_name=True)])
def test_a_non_linux_elf_is_never_tagged_linux(tmp_path, source, osabi, options):
    binary = patched(osabi, source) if osabi else (BINARIES / source).read_bytes()
    name = parse("ucs2-1.0-py2.7-linux-x86_64.egg")
    found = read(binary)
    with pytest.raises(TagError, match=r"egg name says linux-x86_64 but ucs2.so is a \w+ ELF .*no platform tag fits"):
        choose(name, [found], options=options)


def test_os_disagreement_is_t012_and_the_run_goes_on(tmp_path, capsys):
    bad = egg(tmp_path, "ucs2-1.0-py2.7-linux-x86_64.egg", patched("freebsd"))
    good = egg(tmp_path / "g", "ucs2-1.0-py2.7-freebsd-8.0-RELEASE-amd64.egg", patched("freebsd"))
    assert main(["convert", "-d", str(tmp_path / "out"), str(bad), str(good)]) == 1
    out = capsys.readouterr()
    assert "egg name says linux-x86_64 but ucs2.so is a FreeBSD ELF (ELF OS/ABI FREEBSD)" in out.out + out.err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["ucs2-1.0-cp27-cp27m-freebsd_8_0_release_amd64.whl"]


def test_a_marked_elf_needs_a_platform_in_the_name(tmp_path):
    path = egg(tmp_path, "ucs2-1.0-py2.7.egg", patched("freebsd"))
    assert "ucs2.so is a FreeBSD ELF (ELF OS/ABI FREEBSD) and the egg name has no platform" in refusal(inspect_egg(path))


def test_a_linux_note_agrees_with_a_linux_name(tmp_path):
    path = egg(tmp_path, "ucs2-1.0-py2.7-linux-x86_64.egg", (BINARIES / "os_linux.so").read_bytes())
    assert str(inspect_egg(path, ConvertOptions(tags=TagOptions(platform_tag="linux"))).tags) == \
        "cp27-cp27m-linux_x86_64"


def test_freebsd_name_with_the_wrong_arch_is_refused(tmp_path):
    path = egg(tmp_path, "ucs2-1.0-py2.4-freebsd-6.2-RELEASE-p3-i386.egg", patched("freebsd"))
    assert "says i686 but the binaries are x86_64" in refusal(inspect_egg(path))


def test_cygwin_dll_is_cygwin_not_windows(tmp_path):
    dll = (BINARIES / "pe_cygwin.dll").read_bytes()
    facts = read(dll, "pe_cygwin.dll")
    assert (facts.os, facts.os_how, facts.ucs) == ("cygwin", "imports cygwin1.dll", "ucs2")
    path = make_egg(tmp_path / "pe_cygwin-1.0-py2.5-cygwin-1.5.25-i686.egg", {
        "EGG-INFO/PKG-INFO": pkg_info("pe_cygwin"), "pe_cygwin.dll": dll})
    assert str(inspect_egg(path).tags) == "cp25-cp25m-cygwin_1_5_25_i686"
    windows = make_egg(tmp_path / "pe_cygwin-1.0-py2.5-win32.egg", {
        "EGG-INFO/PKG-INFO": pkg_info("pe_cygwin"), "pe_cygwin.dll": dll})
    assert refusal(inspect_egg(windows)) == ("egg name says win32 but pe_cygwin.dll is a Cygwin PE (imports cygwin1.dll): "
                                             "no platform tag fits both")
    assert "T012" in [p.code for p in inspect_egg(windows).problems]


def test_arm_build_attributes_name_the_generation():
    facts = read((BINARIES / "arm_v4t.so").read_bytes(), "i686.so")
    assert (facts.arch, facts.isa) == ("armv4tl", "armv4tl (not ARMv7 hard-float)")
    assert read((BINARIES / "i686.so").read_bytes(), "i686.so").arch == "i686"


@pytest.mark.parametrize("name_arch, tag", [
    ("armv5tejl", "linux_armv5tejl"),  # the build host's uname -m, as pip there names it
    ("armv7l", "linux_armv7l"),  # v4T code runs there too, but it is not manylinux's ARMv7 hard-float
    (None, "linux_armv4tl"),  # no platform in the name: the attributes say which ARM
])
def test_32_bit_arm_name_is_kept_and_never_manylinux(tmp_path, name_arch, tag):
    platform = f"-linux-{name_arch}" if name_arch else ""
    path = make_egg(tmp_path / f"i686-1.0-py3.10{platform}.egg", {
        "EGG-INFO/PKG-INFO": pkg_info("i686"), "i686.so": (BINARIES / "arm_v4t.so").read_bytes()})
    tags = inspect_egg(path).tags
    assert str(tags) == f"cp310-cp310-{tag}"
    assert "T004" not in [p.code for p in tags.problems]


def test_arm_name_for_an_x86_binary_is_still_t004():
    binary = BinaryFacts(path="ext.so", format="elf", arch="i686", is_extension=True, python_major=2, ucs="ucs4")
    tags = choose(parse("ext-1.0-py2.5-linux-armv5tejl.egg"), [binary], options=TagOptions(platform_tag="linux"))
    assert str(tags) == "cp25-cp25mu-linux_i686" and "T004" in [p.code for p in tags.problems]


@pytest.mark.parametrize("binary, tag, expected", [
    ("os_freebsd.so", "cp27-cp27m-linux_x86_64", ["W608"]),  # a FreeBSD module in a Linux wheel
    ("os_solaris.so", "cp27-cp27m-linux_x86_64", ["W608"]),
    ("os_freebsd.so", "cp27-cp27m-freebsd_8_0_release_amd64", []),
    ("os_linux.so", "cp27-cp27m-linux_x86_64", []),
    ("pe_cygwin.dll", "cp25-cp25m-win32", ["W608"]),  # a Cygwin DLL in a Windows wheel
    ("pe_cygwin.dll", "cp25-cp25mu-cygwin_1_5_25_i686", ["W605"]),  # PyUnicodeUCS2_* imported: a cp25m build
    ("ucs2.so", "cp25-cp25mu-linux_x86_64", ["W605"]),
    ("ucs2.so", "cp25-cp25m-linux_x86_64", []),
    ("arm_v4t.so", "cp310-cp310-linux_armv5tejl", []),  # ARMv4T code in the armv5tejl host's wheel
    ("arm_v4t.so", "cp310-cp310-manylinux_2_17_armv7l", ["W607"]),
    ("arm_v4t.so", "cp310-cp310-linux_x86_64", ["W606"]),
])
def test_check_flags_a_binary_for_another_os_or_build(tmp_path, binary, tag, expected):
    files = standard_files(tags=(tag,), purelib=False, modules={binary: (BINARIES / binary).read_bytes()})
    result = check_wheel(build_wheel(tmp_path, files, f"demo-1.0-{tag}.whl"))
    assert result.codes == expected, [str(p) for p in result.problems]
