"""Tag policy: every cross-check message, --trust-name, distro inference and refusal, manylinux mode.

Facts are built directly (BinaryFacts) where the point is the rule, and read from the
committed test binaries (tests/fixtures/binaries) where the point is the real file.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from migrate.binaries import BinaryFacts, analyse
from migrate.eggs.names import parse
from migrate.wheels.tags import (
    TagError,
    TagOptions,
    choose,
    distro_from_comment,
    manylinux_audit,
    manylinux_policy,
    normalise_distro,
    policy_names,
    split_egg_platform,
)

BINARIES = Path(__file__).parent / "fixtures" / "binaries"
TRUST = TagOptions(trust_name=True)


def read(name: str, path: str = None) -> BinaryFacts:
    with open(BINARIES / name, "rb") as fp:
        return analyse(fp, path or name)


def ext(path="cext.so", **kw) -> BinaryFacts:
    base = dict(path=path, format="elf", arch="x86_64", is_extension=True, python_major=2, ucs="ucs4")
    base.update(kw)
    return BinaryFacts(**base)


def codes(tags) -> list:
    return [p.code for p in tags.problems]


def message(tags, code: str) -> str:
    return next(p.message for p in tags.problems if p.code == code)


# -- .comment -> distro -------------------------------------------------------------------------------

@pytest.mark.parametrize("comment, expected", [
    ("GCC: (Ubuntu 4.8.4-2ubuntu1~14.04) 4.8.4", ("ubuntu", "14.04")),
    ("GCC: (Ubuntu 4.8.4-2ubuntu1~14.04.3) 4.8.4", ("ubuntu", "14.04")),
    ("GCC: (Ubuntu 4.8.2-19ubuntu1) 4.8.2", ("ubuntu", "14.04")),
    ("GCC: (Ubuntu 4.4.3-4ubuntu5.1) 4.4.3", ("ubuntu", "10.04")),
    ("GCC: (Ubuntu/Linaro 4.6.3-1ubuntu5) 4.6.3", ("ubuntu", "12.04")),
    ("GCC: (Ubuntu 5.4.0-6ubuntu1~16.04.12) 5.4.0 20160609", ("ubuntu", "16.04")),
    ("GCC: (Ubuntu 7.5.0-3ubuntu1~18.04) 7.5.0", ("ubuntu", "18.04")),
    ("GCC: (Ubuntu 9.4.0-1ubuntu1~20.04.2) 9.4.0", ("ubuntu", "20.04")),
    ("GCC: (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0", ("ubuntu", "22.04")),
    ("GCC: (Ubuntu 11.2.0-7ubuntu2) 11.2.0", ("ubuntu", "21.10")),
    ("GCC: (Ubuntu 13.2.0-23ubuntu4) 13.2.0", ("ubuntu", "24.04")),
    ("GCC: (GNU) 4.4.7 20120313 (Red Hat 4.4.7-4)", ("rhel", "6")),
    ("GCC: (GNU) 4.4.7 20120313 (Red Hat 4.4.7-17)", ("rhel", "6")),
    ("GCC: (GNU) 4.1.2 20080704 (Red Hat 4.1.2-54)", ("rhel", "5")),
    ("GCC: (GNU) 4.8.5 20150623 (Red Hat 4.8.5-44)", ("rhel", "7")),
    ("GCC: (GNU) 8.5.0 20210514 (Red Hat 8.5.0-4)", ("rhel", "8")),
    ("GCC: (GNU) 11.4.1 20230605 (Red Hat 11.4.1-2)", ("rhel", "9")),
    ("GCC: (Debian 4.4.5-8) 4.4.5", ("debian", "6")),
    ("GCC: (Debian 4.3.2-1.1) 4.3.2", ("debian", "5")),
    ("GCC: (Debian 4.7.2-5) 4.7.2", ("debian", "7")),
    ("GCC: (Debian 4.9.2-10+deb8u2) 4.9.2", ("debian", "8")),
    ("GCC: (Debian 6.3.0-18+deb9u1) 6.3.0 20170516", ("debian", "9")),
    ("GCC: (Debian 12.2.0-14+deb12u1) 12.2.0", ("debian", "12")),
    ("GCC: (SUSE Linux) 4.3.4 [gcc-4_3-branch revision 152973]", ("sles", "11")),
    # toolset compilers run on older releases than their version suggests: not inferred
    ("GCC: (GNU) 8.3.1 20190311 (Red Hat 8.3.1-3)", None),
    ("GCC: (GNU) 10.2.1 20210130 (Red Hat 10.2.1-11)", None),
    ("GCC: (GNU) 4.9.3", None),
    ("clang version 3.4 (tags/RELEASE_34/final)", None),
    ("", None),
])
def test_distro_from_comment(comment, expected):
    assert distro_from_comment(comment) == expected


@pytest.mark.parametrize("given, expected", [
    (("ubuntu", "14.04"), ("ubuntu", "14.04")),
    (("CentOS", "6.5"), ("rhel", "6")),
    (("scientific", "6"), ("rhel", "6")),
    (("debian", "8.11"), ("debian", "8")),
])
def test_normalise_distro(given, expected):
    assert normalise_distro(*given) == expected


def test_distro_mode_infers_from_a_real_comment_section():
    for name, tag in (("rhel6.so", "linux_x86_64_rhel_6"), ("ubuntu1404.so", "linux_x86_64_ubuntu_14_04")):
        b = read(name, name.replace(".so", ".cpython-310-x86_64-linux-gnu.so"))
        mod = name[:-3]
        b = replace(b, path=f"{mod}.cpython-310-x86_64-linux-gnu.so")
        tags = choose(parse(f"{mod}-1.0-py3.10-linux-x86_64.egg"), [b], options=TagOptions(platform_tag="distro"))
        assert tags.platform == tag
        assert "compiler string" in tags.reason("platform")


def test_distro_mode_with_option_and_aliases():
    tags = choose(parse("cext-1.0-py2.7-linux-x86_64.egg"), [ext()],
                  options=TagOptions(platform_tag="distro", distro="centos:6.5"))
    assert tags.platform == "linux_x86_64_rhel_6"
    assert str(tags) == "cp27-cp27mu-linux_x86_64_rhel_6"


def test_distro_mode_refuses_when_it_cannot_infer():
    with pytest.raises(TagError, match=r"cannot infer the build distro .*'GCC: \(GNU\) 4\.9\.3'.*--distro NAME:VERSION"):
        choose(parse("cext-1.0-py2.7-linux-x86_64.egg"), [ext(comment=("GCC: (GNU) 4.9.3",))],
               options=TagOptions(platform_tag="distro"))
    with pytest.raises(TagError, match="no .comment section"):
        choose(parse("cext-1.0-py2.7-linux-x86_64.egg"), [ext()], options=TagOptions(platform_tag="distro"))


def test_distro_mode_refuses_two_releases():
    toolset = ext(comment=("GCC: (GNU) 4.8.5 20150623 (Red Hat 4.8.5-44)", "GCC: (GNU) 8.5.0 20210514 (Red Hat 8.5.0-4)"))
    with pytest.raises(TagError, match=r"several distros \(rhel 7 .*rhel 8 .*--distro"):
        choose(parse("cext-1.0-py2.7-linux-x86_64.egg"), [toolset], options=TagOptions(platform_tag="distro"))


def test_bad_distro_option():
    with pytest.raises(TagError, match="expected NAME:VERSION"):
        choose(parse("cext-1.0-py2.7-linux-x86_64.egg"), [ext()], options=TagOptions(platform_tag="distro", distro="ubuntu"))


# -- cross-checks: the binary wins, --trust-name reverses ----------------------------------------------

def test_name_ucs_vs_symbols():
    name = parse("cext-1.0-py2.7-linux-x86_64-ucs2.egg")
    tags = choose(name, [ext(ucs="ucs4")])
    assert tags.abi == "cp27mu"
    assert message(tags, "T002") == ("egg name says -ucs2 but cext.so references PyUnicodeUCS4_* (a UCS4 build); "
                                     "the binary is used (--trust-name to use the name)")
    trusted = choose(name, [ext(ucs="ucs4")], options=TRUST)
    assert trusted.abi == "cp27m"
    assert message(trusted, "T002").endswith("the name is used (--trust-name)")
    assert "--trust-name" in trusted.reason("abi")


def test_name_arch_vs_elf():
    name = parse("cext-1.0-py2.7-linux-i686-ucs4.egg")
    tags = choose(name, [ext()])
    assert tags.platform.endswith("_x86_64") and "T004" in codes(tags)
    assert message(tags, "T004") == ("egg name says i686 but the binaries are x86_64; "
                                     "the binaries are used (--trust-name to use the name)")
    trusted = choose(name, [ext()], options=TRUST)
    assert trusted.platform == "linux_i686" or trusted.platform.endswith("_i686")
    assert message(trusted, "T004").endswith("the name is used (--trust-name)")


def test_real_aarch64_elf_in_an_x86_64_egg():
    b = read("aarch64.so", "rhel6.cpython-310-x86_64-linux-gnu.so")
    tags = choose(parse("rhel6-1.0-py3.10-linux-x86_64.egg"), [b])
    assert tags.platform == "manylinux_2_17_aarch64.manylinux2014_aarch64"
    assert "egg name says x86_64 but the binaries are aarch64" in message(tags, "T004")
    assert message(tags, "T005") == ("rhel6.cpython-310-x86_64-linux-gnu.so: the file name says x86_64 but the "
                                     "ELF machine is aarch64; the ELF machine is used")


def test_pyver_vs_init_symbol():
    name = parse("cext-1.0-py2.7-linux-x86_64.egg")
    py3 = ext(python_major=3, ucs=None)
    with pytest.raises(TagError, match=r"egg name says py2\.7 but cext\.so exports PyInit_cext \(a Python 3 module\).*--trust-name"):
        choose(name, [py3])
    trusted = choose(name, [py3], options=TRUST)
    assert (trusted.python, "T001") == ("cp27", codes(trusted)[0])
    assert message(trusted, "T001") == ("egg name says py2.7 but cext.so exports PyInit_cext (a Python 3 module); "
                                        "the name is used (--trust-name)")


def test_pyver_vs_so_suffix_and_libpython():
    name = parse("cext-1.0-py3.10-linux-x86_64.egg")
    b = ext(path="cext.cpython-36m-x86_64-linux-gnu.so", python_major=3, ucs=None, needed=("libpython3.6m.so.1.0",))
    tags = choose(name, [b])
    assert (tags.python, tags.abi) == ("cp36", "cp36m")
    assert message(tags, "T001").startswith("egg name says py3.10 but the .so suffix of cext.cpython-36m")
    assert message(tags, "T001").endswith("the binary is used (--trust-name to use the name)")
    trusted = choose(name, [b], options=TRUST)
    assert (trusted.python, trusted.abi) == ("cp310", "cp310")
    # libpython alone names the version when the file has no suffix
    plain = ext(path="cext.so", python_major=3, ucs=None, needed=("libpython3.6m.so.1.0",))
    tags = choose(parse("cext-1.0-py3.10-linux-x86_64.egg"), [plain])
    assert tags.python == "cp36" and "links libpython3.6m" in message(tags, "T001")


def test_init_symbol_vs_suffix_in_one_module():
    b = ext(path="cext.cpython-36m-x86_64-linux-gnu.so", python_major=2, ucs=None)
    tags = choose(parse("cext-1.0-py3.6-linux-x86_64.egg"), [b])
    assert tags.python == "cp36"
    assert message(tags, "T007") == ("the .so suffix of cext.cpython-36m-x86_64-linux-gnu.so (Python 3.6) "
                                     "but it exports initcext (a Python 2 module)")


def test_name_os_vs_binaries():
    mach = read("macho_x86_64.so", "machmod.so")
    tags = choose(parse("machmod-1.0-py3.10-linux-x86_64.egg"), [mach])
    assert tags.platform == "macosx_10_9_x86_64"
    assert message(tags, "T003") == ("egg name says linux-x86_64 but the binaries are Mach-O (macosx); "
                                     "the binaries are used")


def test_unreadable_binaries_are_reported_not_fatal():
    good = read("gl234.so", "gl234.cpython-310-x86_64-linux-gnu.so")
    text = read("text.so")
    tags = choose(parse("gl234-1.0-py3.10-linux-x86_64.egg"), [good, text])
    assert tags.platform == "manylinux_2_34_x86_64"
    assert message(tags, "B001") == "text.so: a text file, not an ELF, Mach-O or PE binary"
    with pytest.raises(TagError, match="no readable binary: text.so: a text file"):
        choose(parse("x-1.0-py3.10-linux-x86_64.egg"), [text])


# -- manylinux ----------------------------------------------------------------------------------------

def test_lowest_policy_and_legacy_alias():
    assert policy_names("x86_64")[:3] == ["manylinux_2_5", "manylinux_2_12", "manylinux_2_17"]
    tags = choose(parse("cext-1.0-py2.7-linux-x86_64.egg"), [ext(versioned=(("libc.so.6", "GLIBC_2.2.5"),))])
    assert tags.platform == "manylinux_2_5_x86_64.manylinux1_x86_64"
    newer = ext(versioned=(("libc.so.6", "GLIBC_2.14"),), version_users=(("GLIBC_2.14", "memcpy"),))
    tags = choose(parse("cext-1.0-py2.7-linux-x86_64.egg"), [newer])
    assert tags.platform == "manylinux_2_17_x86_64.manylinux2014_x86_64"
    assert "not older because cext.so needs GLIBC_2.14 (memcpy from libc.so.6)" in tags.reason("platform")


def test_real_glibc_2_34_binary():
    tags = choose(parse("gl234-1.0-py3.10-linux-x86_64.egg"), [read("gl234.so", "gl234.cpython-310-x86_64-linux-gnu.so")])
    assert tags.platform == "manylinux_2_34_x86_64"
    assert "GLIBC_2.34 (pthread_create, pthread_join from libc.so.6)" in tags.reason("platform")


def test_loader_is_never_external():
    b = ext(needed=("libc.so.6", "ld-linux-x86-64.so.2"), versioned=(("ld-linux-x86-64.so.2", "GLIBC_2.3"),))
    assert manylinux_policy("x86_64", [b])[0] == "manylinux_2_5"


@pytest.mark.parametrize("binary, words", [
    (ext(needed=("libxml2.so.2",)), ["cext.so links libxml2.so.2, which no manylinux policy allows"]),
    (ext(needed=("libpython2.7.so.1.0",)), ["links libpython2.7.so.1.0", "auditwheel repair drops"]),
    (ext(ucs="ucs2"), ["cext.so references PyUnicodeUCS2_*"]),
    (ext(pyfpe=True), ["cext.so references PyFPE_jbuf"]),
    (ext(isa="x86-64-v3"), ["needs the x86-64-v3 instruction set"]),
    (ext(versioned=(("libc.so.6", "GLIBC_PRIVATE"),), version_users=(("GLIBC_PRIVATE", "__libc_foo"),)),
     ["cext.so needs GLIBC_PRIVATE (__libc_foo from libc.so.6)"]),
    (ext(arch="s390"), ["no manylinux policy exists for s390"]),
])
def test_manylinux_mode_fails_naming_symbol_or_library(binary, words):
    name = parse("cext-1.0-py2.7-linux-x86_64.egg")
    with pytest.raises(TagError) as info:
        choose(name, [binary], options=TagOptions(platform_tag="manylinux"))
    for w in words:
        assert w in str(info.value)
    auto = choose(name, [binary])
    assert auto.platform.startswith("linux_")


def test_external_libs_and_repairable():
    tags = choose(parse("xmlext-1.0-py3.10-linux-x86_64.egg"),
                  [ext(path="xmlext.cpython-310-x86_64-linux-gnu.so", python_major=3, ucs=None,
                       needed=("libxml2.so.2", "libz.so.1", "libc.so.6"))])
    assert tags.platform == "linux_x86_64"
    assert tags.external_libs == ("libxml2.so.2",)
    assert tags.repairable
    ucs2 = choose(parse("cext-1.0-py2.7-linux-x86_64.egg"), [ext(ucs="ucs2", needed=("libxml2.so.2",))])
    assert ucs2.platform == "linux_x86_64" and not ucs2.repairable


def test_blacklisted_symbol():
    b = ext(needed=("libz.so.1",), undefined=("uncompress2",))
    audit = manylinux_audit("x86_64", [b])
    assert audit.policy == "manylinux_2_34"
    assert any("uses uncompress2 from libz.so.1" in why for _c, _p, why in audit.limits)


def test_bundled_library_needs_an_origin_rpath():
    lib = BinaryFacts(path="pkg/.libs/libfoo.so.1", format="elf", arch="x86_64", needed=("libc.so.6",), soname="libfoo.so.1")
    reached = ext(path="pkg/usefoo.so", python_major=3, ucs=None, needed=("libfoo.so.1",), rpath=("$ORIGIN/.libs",))
    assert manylinux_audit("x86_64", [reached, lib]).policy == "manylinux_2_5"
    unreached = replace(reached, rpath=())
    audit = manylinux_audit("x86_64", [unreached, lib])
    assert audit.policy is None and audit.external_libs == ("libfoo.so.1",)
    assert "no $ORIGIN RPATH reaches it" in audit.notes[0].message
    build_dir = replace(reached, rpath=("/home/build/lib",))
    assert "points outside the egg" in manylinux_audit("x86_64", [build_dir, lib]).notes[0].message


def test_linux_mode_and_bad_mode():
    tags = choose(parse("cext-1.0-py2.7-linux-x86_64.egg"), [ext()], options=TagOptions(platform_tag="linux"))
    assert tags.platform == "linux_x86_64"
    with pytest.raises(TagError, match="expected one of"):
        choose(parse("cext-1.0-py2.7-linux-x86_64.egg"), [ext()], options=TagOptions(platform_tag="bogus"))


# -- macOS and Windows ---------------------------------------------------------------------------------

@pytest.mark.parametrize("file, egg, expected", [
    ("macho_x86_64.so", "machmod-1.0-py3.10-macosx-10.9-x86_64.egg", "cp310-cp310-macosx_10_9_x86_64"),
    ("macho_intel.so", "machmod-1.0-py2.7-macosx-10.6-intel.egg", "cp27-cp27m-macosx_10_6_intel"),
    ("macho_arm64.so", "machmod-1.0-py3.10-macosx-11.3-arm64.egg", "cp310-cp310-macosx_11_0_arm64"),
    ("macho_universal2.so", "machmod-1.0-py3.10-macosx-10.9-universal2.egg", "cp310-cp310-macosx_10_9_universal2"),
    ("pe_amd64.pyd", "pemod-1.0-py2.7-win-amd64.egg", "cp27-cp27m-win_amd64"),
    ("pe_win32.pyd", "pemod-1.0-py3.6-win32.egg", "cp36-cp36m-win32"),
])
def test_macos_and_windows_tags(file, egg, expected):
    path = "machmod.so" if file.startswith("macho") else "pemod.pyd"
    tags = choose(parse(egg), [read(file, path)])
    assert str(tags) == expected
    assert not [p for p in tags.problems if p.severity != "info"]


def test_macos_name_and_binary_disagree():
    tags = choose(parse("machmod-1.0-py2.7-macosx-10.3-fat.egg"), [read("macho_intel.so", "machmod.so")])
    assert tags.platform == "macosx_10_6_intel"
    assert {"T004", "T006"} <= set(codes(tags))
    trusted = choose(parse("machmod-1.0-py2.7-macosx-10.3-fat.egg"), [read("macho_intel.so", "machmod.so")], options=TRUST)
    assert trusted.platform == "macosx_10_3_fat"


def test_windows_pyd_python_version_from_dll():
    tags = choose(parse("pemod-1.0-py3.10-win32.egg"), [read("pe_win32.pyd", "pemod.pyd")])
    assert tags.python == "cp36" and "imports python36.dll" in message(tags, "T001")


@pytest.mark.parametrize("platform, expected", [
    ("linux-x86_64", ("linux", None, "x86_64")),
    ("linux-i686", ("linux", None, "i686")),
    ("macosx-10.6-intel", ("macosx", "10.6", "intel")),
    ("win32", ("win", None, "win32")),
    ("win-amd64", ("win", None, "win_amd64")),
    (None, (None, None, None)),
])
def test_split_egg_platform(platform, expected):
    assert split_egg_platform(platform) == expected
