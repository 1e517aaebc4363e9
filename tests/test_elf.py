"""What elf.py / machpe.py read from real files: the committed test binaries and the fixture eggs' .so files.

tests/fixtures/binaries/build.py rebuilds the binaries (gcc for ELF, struct for Mach-O/PE).
"""
from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest

from migrate.binaries import BinaryFacts, abi_from_filename, analyse, arch_from_filename, module_name
from migrate.wheels.convert import inspect_egg
from tests.eggmaker import make_egg, pkg_info

HERE = Path(__file__).parent
BINARIES = HERE / "fixtures" / "binaries"
EGGS = HERE / "fixtures" / "eggs"


def read(name: str, path: str = None) -> BinaryFacts:
    with open(BINARIES / name, "rb") as fp:
        return analyse(fp, path or name)


def egg_binary(egg: str, member: str) -> BinaryFacts:
    with zipfile.ZipFile(EGGS / egg) as z:
        return analyse(io.BytesIO(z.read(member)), member)


def test_fixture_egg_extensions():
    py27 = egg_binary("cext-1.0-py2.7-linux-x86_64.egg", "cext.so")
    assert (py27.format, py27.arch, py27.python_major, py27.ucs) == ("elf", "x86_64", 2, "ucs4")
    assert py27.libpython == (2, 7, "")  # pyenv's 2.7 is an --enable-shared build
    py36 = egg_binary("cext-1.0-py3.6-linux-x86_64.egg", "cext.cpython-36m-x86_64-linux-gnu.so")
    assert (py36.python_major, py36.suffix_abi, py36.suffix_arch, py36.libpython) == (3, "cp36m", "x86_64", (3, 6, "m"))
    xml = egg_binary("xmlext-1.0-py3.10-linux-x86_64.egg", "xmlext.cpython-310-x86_64-linux-gnu.so")
    assert xml.needed == ("libxml2.so.2",)
    assert ("libxml2.so.2", "LIBXML2_2.4.30") in xml.versioned
    assert xml.users_of("LIBXML2_2.4.30") == ["xmlCheckVersion"]
    assert xml.comment == ("GCC: (Debian 12.2.0-14+deb12u1) 12.2.0",)
    assert egg_binary("zlibext-1.0-py3.10-linux-x86_64.egg", "zlibext.cpython-310-x86_64-linux-gnu.so").needed == ("libz.so.1",)


def test_glibc_versions_with_the_symbols_that_need_them():
    b = read("gl234.so")
    assert b.is_extension and b.python_major == 3 and b.libc == "glibc"
    assert ("libc.so.6", "GLIBC_2.34") in b.versioned
    assert b.users_of("GLIBC_2.34") == ["pthread_create", "pthread_join"]


def test_pyfpe_ucs2_isa_and_weak_symbols():
    assert read("pyfpe.so").pyfpe and read("pyfpe.so").ucs == "ucs4"
    ucs2 = read("ucs2.so")
    assert (ucs2.python_major, ucs2.ucs, ucs2.pyfpe) == (2, "ucs2", False)
    assert read("ucs2-notype.so").ucs == "ucs2"  # an untyped reference counts too (auditwheel misses it)
    assert read("isav3.so").isa == "x86-64-v3"
    assert read("gl234.so").isa is None
    # weak undefined symbols (__gmon_start__, __cxa_finalize) are not what blacklists see
    assert "__gmon_start__" not in read("gl234.so").undefined
    assert "uncompress2" in read("zblack.so").undefined


def test_rpath_soname_and_bundled_library():
    user = read("bundled/usefoo.so", "usefoo.so")
    assert user.needed == ("libfoo.so.1",) and user.rpath == ("$ORIGIN/.libs",)
    assert read("bundled/libfoo.so.1").soname == "libfoo.so.1"
    assert read("bundled/libfoo.so.1").is_extension is False


def test_arches():
    assert read("i686.so").arch == "i686"
    assert read("aarch64.so").arch == "aarch64"


@pytest.mark.parametrize("name, problem", [
    ("text.so", "a text file, not an ELF, Mach-O or PE binary"),
    ("truncated.so", "unreadable ELF file"),
])
def test_broken_files_are_problems_not_crashes(name, problem):
    b = read(name)
    assert b.problem.startswith(problem)
    assert not b.is_extension


def test_empty_and_garbage():
    assert analyse(io.BytesIO(b""), "empty.so").problem == "empty file, not a binary"
    assert analyse(io.BytesIO(bytes(range(256))), "junk.so").problem == "not an ELF, Mach-O or PE binary"
    assert "unreadable Mach-O" in analyse(io.BytesIO(b"\xca\xfe\xba\xbe\0\0\0\x40"), "x.so").problem
    assert "unreadable PE" in analyse(io.BytesIO(b"MZ" + b"\0" * 100), "x.pyd").problem


def test_every_truncation_and_corruption_of_a_real_elf_is_reported_not_raised(tmp_path):
    """Reported: ``problem`` says why (one line) and the egg's inspection fails with it (T000: its only
    binary is unreadable); a corruption that still reads either gives the intact file's tags or a
    cross-check warning (a mangled e_machine is T004). Never an exception, never silent."""
    data = (BINARIES / "gl234.so").read_bytes()
    intact = str(inspect_egg(_egg_with(tmp_path / "intact", data)).tags)
    rng = random.Random(4)
    cuts = sorted({rng.randrange(4, len(data)) for _ in range(60)})
    for cut in cuts:
        b = analyse(io.BytesIO(data[:cut]), "gl234.so")
        assert b.format == "elf" and b.problem and "\n" not in b.problem, (cut, b.problem)
        facts = inspect_egg(_egg_with(tmp_path / f"cut{cut}", data[:cut]))
        assert [p.code for p in facts.problems] == ["T000"] and facts.tags is None, (cut, facts.problems)
        assert facts.problems[0].message == f"no readable binary: gl234.so: {b.problem}"
    reported = 0
    for i in range(60):
        corrupt = bytearray(data)
        for _ in range(8):
            corrupt[rng.randrange(4, 64)] = rng.randrange(256)
        b = analyse(io.BytesIO(bytes(corrupt)), "gl234.so")
        assert b.format == "elf" and "\n" not in (b.problem or ""), b.problem
        facts = inspect_egg(_egg_with(tmp_path / f"corrupt{i}", bytes(corrupt)))
        found = {p.code for p in facts.problems}
        if b.problem:
            assert found == {"T000"} and b.problem in facts.problems[0].message, facts.problems
        assert found & {"T000", "T004"} or str(facts.tags) == intact, (b, facts.problems)
        reported += bool(found)
    assert reported >= 50  # most of the header is load-bearing


def _egg_with(folder: Path, binary: bytes) -> Path:
    return make_egg(folder / "gl234-1.0-py3.10-linux-x86_64.egg",
                    {"EGG-INFO/PKG-INFO": pkg_info("gl234"), "gl234.so": binary})


def test_macho():
    thin = read("macho_x86_64.so", "machmod.so")
    assert (thin.format, thin.arch, thin.macos_min, thin.python_major) == ("macho", "x86_64", "10.9", 3)
    fat = read("macho_intel.so", "machmod.so")
    assert (fat.arch, fat.macos_min, fat.python_major, fat.ucs) == ("intel", "10.6", 2, "ucs2")
    arm = read("macho_arm64.so", "machmod.so")
    assert (arm.arch, arm.macos_min) == ("arm64", "11.3")  # LC_BUILD_VERSION
    uni = read("macho_universal2.so", "machmod.so")
    assert (uni.arch, uni.macos_min) == ("universal2", "10.9")  # the arm64 slice's 11.0 does not count


def test_pe():
    amd64 = read("pe_amd64.pyd", "pemod.pyd")
    assert (amd64.format, amd64.arch, amd64.python_major, amd64.needed) == ("pe", "win_amd64", 2, ("python27.dll",))
    win32 = read("pe_win32.pyd", "pemod.pyd")
    assert (win32.arch, win32.python_major, win32.needed) == ("win32", 3, ("python36.dll",))


@pytest.mark.parametrize("path, abi, arch", [
    ("pkg/_x.cpython-36m-x86_64-linux-gnu.so", "cp36m", "x86_64"),
    ("_x.cpython-310-aarch64-linux-gnu.so", "cp310", "aarch64"),
    ("_x.cpython-37m-i386-linux-gnu.so", "cp37m", "i686"),
    ("_x.cpython-38-powerpc64le-linux-gnu.so", "cp38", "ppc64le"),
    ("_x.cpython-39-arm-linux-gnueabihf.so", "cp39", "armv7l"),
    ("_x.cpython-312-darwin.so", "cp312", None),
    ("_x.abi3.so", "abi3", None),
    ("_x.pypy-41.so", "pypy_41", None),
    ("_x.pypy37-pp73-x86_64-linux-gnu.so", "pypy37_pp73", None),
    ("_x.so", None, None),
])
def test_file_name_suffixes(path, abi, arch):
    assert abi_from_filename(path) == abi
    assert arch_from_filename(path) == arch
    assert module_name(path) == "_x"
