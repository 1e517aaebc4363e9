"""W6xx on the small committed test binaries (tests/fixtures/binaries): ELF, Mach-O and PE."""
from __future__ import annotations

from pathlib import Path

import pytest

from migrate.checks.check import check_wheel
from tests.test_check_wheelmaker import build_wheel, standard_files

BINARIES = Path(__file__).parent / "fixtures" / "binaries"

CASES = [
    # (binary, tag, expected codes)
    ("gl234.so", "cp310-cp310-manylinux_2_17_x86_64", ["W607"]),  # needs GLIBC_2.34
    ("gl234.so", "cp310-cp310-manylinux_2_34_x86_64", []),
    ("isav3.so", "cp310-cp310-manylinux_2_17_x86_64", ["W607"]),  # x86-64-v3 instructions
    ("isav3.so", "cp310-cp310-linux_x86_64", []),
    ("pyfpe.so", "cp27-cp27mu-manylinux1_x86_64", ["W607"]),  # PyFPE_jbuf: a --with-fpectl build
    ("ucs2.so", "cp27-cp27m-manylinux1_x86_64", ["W607"]),  # UCS2 Python 2 is never manylinux
    ("ucs2.so", "cp27-cp27mu-linux_x86_64", ["W605"]),
    ("ucs2.so", "cp27-cp27m-linux_x86_64", []),
    ("zblack.so", "cp310-cp310-manylinux_2_5_x86_64", ["W607"]),  # links libz: not in the policy
    ("i686.so", "cp310-cp310-linux_x86_64", ["W606"]),
    ("i686.so", "cp310-cp310-manylinux_2_5_i686", []),
    ("aarch64.so", "cp310-cp310-linux_aarch64", []),
    ("macho_x86_64.so", "cp310-cp310-macosx_10_9_arm64", ["W606"]),
    ("macho_universal2.so", "cp310-cp310-macosx_11_0_universal2", []),
    ("macho_intel.so", "cp310-cp310-linux_x86_64", ["W608"]),
    ("pe_amd64.pyd", "cp27-cp27m-win_amd64", []),
    ("pe_amd64.pyd", "cp27-cp27m-win32", ["W606"]),
    ("pe_win32.pyd", "cp27-cp27m-win32", ["W603"]),  # links python36.dll: a Python 3 extension
    ("text.so", "py3-none-any", ["W609"]),
    ("truncated.so", "py3-none-any", ["W609"]),
]


@pytest.mark.parametrize("binary,tag,expected", CASES, ids=[f"{b}-{t}" for b, t, _ in CASES])
def test_binary_against_tag(tmp_path, binary, tag, expected):
    purelib = tag.endswith("-any")
    files = standard_files(tags=(tag,), purelib=purelib, modules={binary: (BINARIES / binary).read_bytes()})
    wheel = build_wheel(tmp_path, files, f"demo-1.0-{tag}.whl")
    result = check_wheel(wheel)
    assert result.codes == expected, [str(p) for p in result.problems]


def test_manylinux_message_says_what_is_needed(tmp_path):
    files = standard_files(tags=("cp310-cp310-manylinux_2_17_x86_64",), purelib=False,
                           modules={"gl234.so": (BINARIES / "gl234.so").read_bytes()})
    wheel = build_wheel(tmp_path, files, "demo-1.0-cp310-cp310-manylinux_2_17_x86_64.whl")
    [problem] = check_wheel(wheel).problems
    assert "manylinux_2_34" in problem.message
