"""convert_egg on the committed fixtures, on broken and hostile eggs, and its guarantees."""
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from installer.sources import WheelFile
from packaging.metadata import Metadata
from packaging.utils import parse_wheel_filename

from migrate.eggs.archive import Limits
from migrate.wheels.convert import ConvertOptions, convert_egg
from tests.conftest import fixture_egg
from tests.eggmaker import make_egg, pkg_info, simple_egg
from tests.runner import in_process

EXPECTED_WHEELS = {
    "cext-1.0-py2.7-linux-x86_64.egg": "cext-1.0-cp27-cp27mu-linux_x86_64.whl",
    "cext-1.0-py3.6-linux-x86_64.egg": "cext-1.0-cp36-cp36m-linux_x86_64.whl",
    "cext-1.0-py3.10-linux-x86_64.egg": "cext-1.0-cp310-cp310-manylinux_2_5_x86_64.manylinux1_x86_64.whl",
    "cext-1.0_7b95ff194725-py2.7-linux-x86_64-ucs4.egg": "cext-1.0+7b95ff194725-cp27-cp27mu-linux_x86_64.whl",
    "cpkg-2.0-py2.7-linux-x86_64.egg": "cpkg-2.0-cp27-cp27m.cp27mu-linux_x86_64.whl",
    "cpkg-2.0-py3.10-linux-x86_64.egg": "cpkg-2.0-cp310-cp310-manylinux_2_5_x86_64.manylinux1_x86_64.whl",
    "dirpkg-0.3-py3.10.egg": "dirpkg-0.3-py3-none-any.whl",
    "nosrc-1.0-py2.7.egg": "nosrc-1.0-cp27-none-any.whl",
    "nsdemo.alpha-1.0-py2.7.egg": "nsdemo_alpha-1.0-py2-none-any.whl",
    "nsdemo.beta-1.0-py3.10.egg": "nsdemo_beta-1.0-py3-none-any.whl",
    "purepkg-1.0-py2.7.egg": "purepkg-1.0-py2-none-any.whl",
    "purepkg-1.0-py3.10.egg": "purepkg-1.0-py3-none-any.whl",
    "toolbox-0.5-py2.7.egg": "toolbox-0.5-py2-none-any.whl",
    "xmlext-1.0-py3.10-linux-x86_64.egg": "xmlext-1.0-cp310-cp310-linux_x86_64.whl",
    "zlibext-1.0-py3.10-linux-x86_64.egg": "zlibext-1.0-cp310-cp310-manylinux_2_5_x86_64.manylinux1_x86_64.whl",
}


def names(wheel):
    with zipfile.ZipFile(wheel) as zf:
        return zf.namelist()


def read_member(wheel, name):
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(name)


@pytest.mark.parametrize("egg, wheel", sorted(EXPECTED_WHEELS.items()))
def test_fixture_converts_to_expected_wheel(fixture_wheels, egg, wheel):
    result = fixture_wheels[egg]
    assert result.ok, result.problems
    assert Path(result.wheel).name == wheel
    parse_wheel_filename(wheel)  # valid per packaging


def test_every_fixture_wheel_is_valid(fixture_wheels):
    for egg, result in fixture_wheels.items():
        assert result.ok, (egg, result.problems)
        members = names(result.wheel)
        assert members[-1].endswith(".dist-info/RECORD")
        assert not any("__pycache__" in m or m.startswith("EGG-INFO") for m in members)
        with WheelFile.open(result.wheel) as source:
            source.validate_record()  # every file hashed, sized, listed once
        dist_info = [m for m in members if m.endswith(".dist-info/METADATA")][0]
        meta = Metadata.from_email(read_member(result.wheel, dist_info), validate=True)
        assert str(meta.version) in Path(result.wheel).name
        wheel_file = read_member(result.wheel, dist_info.replace("METADATA", "WHEEL")).decode()
        tags = {l.split(": ")[1] for l in wheel_file.splitlines() if l.startswith("Tag: ")}
        _, _, _, file_tags = parse_wheel_filename(Path(result.wheel).name)
        assert tags == {str(t) for t in file_tags}
        assert ("Root-Is-Purelib: true" in wheel_file) == Path(result.wheel).name.endswith("none-any.whl")


def test_stub_loaders_and_stale_bytecode_are_dropped(fixture_wheels):
    cext27 = names(fixture_wheels["cext-1.0-py2.7-linux-x86_64.egg"].wheel)
    assert "cext.so" in cext27 and "cext.py" not in cext27 and "cext.pyc" not in cext27
    cext310 = names(fixture_wheels["cext-1.0-py3.10-linux-x86_64.egg"].wheel)
    assert "cext.cpython-310-x86_64-linux-gnu.so" in cext310 and "cext.py" not in cext310
    toolbox = names(fixture_wheels["toolbox-0.5-py2.7.egg"].wheel)
    assert "toolbox/cli.py" in toolbox and not any(n.endswith(".pyc") for n in toolbox)
    dropped = dict(fixture_wheels["cext-1.0-py2.7-linux-x86_64.egg"].facts.plan.dropped)
    assert dropped["cext.py"].startswith("setuptools __bootstrap__ loader")


def test_sourceless_egg_keeps_its_bytecode(fixture_wheels):
    assert "nosrc/__init__.pyc" in names(fixture_wheels["nosrc-1.0-py2.7.egg"].wheel)


def test_scripts_go_to_data_scripts_with_python_shebang(fixture_wheels):
    """wheel convert drops zipped eggs' scripts and leaks folder eggs' scripts to the root."""
    wheel = fixture_wheels["toolbox-0.5-py2.7.egg"].wheel
    script = read_member(wheel, "toolbox-0.5.data/scripts/toolbox-legacy")
    assert script.startswith(b"#!python\n")
    with zipfile.ZipFile(wheel) as zf:
        assert (zf.getinfo("toolbox-0.5.data/scripts/toolbox-legacy").external_attr >> 16) & 0o111
    folder = fixture_wheels["dirpkg-0.3-py3.10.egg"].wheel
    assert "dirpkg-0.3.data/scripts/dirpkg-tool" in names(folder)
    assert not any(n.startswith(("scripts/", "EGG-INFO")) for n in names(folder))


def test_metadata_keeps_extras_once_with_2_1(fixture_wheels):
    meta = read_member(fixture_wheels["toolbox-0.5-py2.7.egg"].wheel, "toolbox-0.5.dist-info/METADATA").decode()
    assert meta.startswith("Metadata-Version: 2.1\n")
    assert meta.count("Requires-Dist: purepkg>=1.0") == 1
    assert 'Requires-Dist: six; python_version < "3"' in meta
    assert 'Requires-Dist: cext>=1.0; extra == "fast"' in meta
    assert "Provides-Extra: fast" in meta and "Provides-Extra: docs" in meta
    ep = read_member(fixture_wheels["toolbox-0.5-py2.7.egg"].wheel, "toolbox-0.5.dist-info/entry_points.txt")
    assert b"toolbox = toolbox.cli:main" in ep


def test_lowest_metadata_version(fixture_wheels):
    meta = read_member(fixture_wheels["purepkg-1.0-py2.7.egg"].wheel, "purepkg-1.0.dist-info/METADATA").decode()
    assert meta.startswith("Metadata-Version: 1.0\n")  # Summary, Home-page, Author, License: all 1.0 fields


@pytest.mark.parametrize("extra, version", [
    ("", "1.0"),
    ("Platform: Linux\n", "1.0"),
    ("Classifier: Programming Language :: Python :: 2\n", "1.1"),
    ("Download-URL: http://example.org/demo\n", "1.1"),
    ("Requires-Python: >=2.7\n", "1.2"),
    ("Maintainer: someone\n", "1.2"),
])
def test_metadata_version_is_the_first_that_has_every_field(tmp_path, extra, version):
    egg = simple_egg(tmp_path / "demo-1.0-py2.7.egg", extra_files={"EGG-INFO/PKG-INFO": pkg_info(extra=extra, mv="2.1")})
    meta = read_member(convert_egg(egg, tmp_path).wheel, "demo-1.0.dist-info/METADATA").decode()
    assert meta.startswith(f"Metadata-Version: {version}\nName: demo\nVersion: 1.0\n"), meta
    Metadata.from_email(meta, validate=True)


def test_namespace_packages_get_nspkg_pth(fixture_wheels):
    wheel = fixture_wheels["nsdemo.alpha-1.0-py2.7.egg"].wheel
    members = names(wheel)
    assert "nsdemo/__init__.py" not in members and "nsdemo/alpha/__init__.py" in members
    pth = read_member(wheel, "nsdemo_alpha-1.0-nspkg.pth").decode()
    assert pth.count("\n") == 1 and "'nsdemo'" in pth


def test_galaxy_tag_becomes_local_version(fixture_wheels):
    result = fixture_wheels["cext-1.0_7b95ff194725-py2.7-linux-x86_64-ucs4.egg"]
    assert result.facts.version == "1.0+7b95ff194725"
    assert "ucs4" not in Path(result.wheel).name
    assert [p.code for p in result.problems] == ["V001"]


def test_conversion_is_deterministic(tmp_path):
    for egg in ("cext-1.0-py2.7-linux-x86_64.egg", "toolbox-0.5-py3.10.egg", "nsdemo.beta-1.0-py2.7.egg"):
        a = convert_egg(fixture_egg(egg), tmp_path / "a")
        os.utime(fixture_egg(egg))  # a new mtime must not change anything
        b = convert_egg(fixture_egg(egg), tmp_path / "b")
        assert Path(a.wheel).read_bytes() == Path(b.wheel).read_bytes()


def test_unchanged_members_are_copied_without_recompression(tmp_path):
    egg = fixture_egg("purepkg-1.0-py3.10.egg")
    wheel = convert_egg(egg, tmp_path).wheel
    with zipfile.ZipFile(egg) as src, zipfile.ZipFile(wheel) as dst:
        for name in ("purepkg/__init__.py", "purepkg/util.py"):
            a, b = src.getinfo(name), dst.getinfo(name)
            assert (a.compress_type, a.compress_size, a.CRC) == (b.compress_type, b.compress_size, b.CRC)


# --- broken and hostile eggs: one line naming the egg and the reason, no .whl left ---


def hostile_cases(tmp_path):
    base = {"EGG-INFO/PKG-INFO": pkg_info(), "demo/__init__.py": ""}
    bomb = dict(base)
    bomb["demo/bomb.bin"] = b"\0" * (20 * 1024 * 1024)
    truncated = simple_egg(tmp_path / "trunc" / "demo-1.0-py2.7.egg")
    truncated.write_bytes(truncated.read_bytes()[:-60])
    return {
        "dotdot": (make_egg(tmp_path / "a" / "demo-1.0-py2.7.egg", {**base, "../evil.py": "x"}), "escapes the archive"),
        "absolute": (make_egg(tmp_path / "b" / "demo-1.0-py2.7.egg", {**base, "/etc/evil.py": "x"}), "absolute path"),
        "symlink": (make_egg(tmp_path / "c" / "demo-1.0-py2.7.egg", base, symlinks={"demo/link": "/etc/passwd"}), "symlink"),
        "duplicate": (make_egg(tmp_path / "d" / "demo-1.0-py2.7.egg", base, duplicate="demo/__init__.py"), "appears twice"),
        "bomb": (make_egg(tmp_path / "e" / "demo-1.0-py2.7.egg", bomb), "zip bomb"),
        "truncated": (truncated, "not a readable zip"),
        "not a zip": (_write(tmp_path / "f" / "demo-1.0-py2.7.egg", b"<html>404</html>"), "not a readable zip"),
        "no EGG-INFO": (make_egg(tmp_path / "g" / "demo-1.0-py2.7.egg", {"demo/__init__.py": ""}), "no EGG-INFO"),
        "bad name": (simple_egg(tmp_path / "h" / "demo-_x-py2.7.egg"), "cannot be made PEP 440"),
        "bad entry points": (make_egg(tmp_path / "i" / "demo-1.0-py2.7.egg",
                                      {**base, "EGG-INFO/entry_points.txt": "no section header\n"}), "entry_points.txt"),
    }


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", ["dotdot", "absolute", "symlink", "duplicate", "bomb", "truncated",
                                  "not a zip", "no EGG-INFO", "bad name", "bad entry points"])
def test_hostile_or_broken_egg_fails_cleanly(tmp_path, case):
    egg, why = hostile_cases(tmp_path)[case]
    out = tmp_path / "wheels"
    options = ConvertOptions(limits=Limits(ratio_floor=1024 * 1024, max_ratio=200))
    result = convert_egg(egg, out, options)
    assert not result.ok
    assert why in result.reason and "\n" not in result.reason
    assert egg.name in result.reason
    assert not out.exists() or list(out.iterdir()) == []


def test_corrupt_member_data_leaves_nothing(tmp_path):
    egg = simple_egg(tmp_path / "demo-1.0-py2.7.egg", extra_files={"demo/data.txt": "x" * 5000})
    raw = bytearray(egg.read_bytes())
    with zipfile.ZipFile(egg) as zf:
        info = zf.getinfo("demo/data.txt")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 2
    raw[start:start + 4] = b"\xff\xff\xff\xff"
    egg.write_bytes(bytes(raw))
    out = tmp_path / "wheels"
    result = convert_egg(egg, out)
    assert not result.ok and "demo-1.0-py2.7.egg" in result.reason
    assert list(out.iterdir()) == []


def test_egg_without_pkg_info_uses_file_name(tmp_path):
    egg = make_egg(tmp_path / "bare-2.0-py2.7.egg", {"EGG-INFO/top_level.txt": "bare\n", "bare.py": "X = 1\n"})
    result = convert_egg(egg, tmp_path / "w")
    assert result.ok
    meta = read_member(result.wheel, "bare-2.0.dist-info/METADATA").decode()
    assert "Name: bare\nVersion: 2.0\n" in meta
    assert "M001" in [p.code for p in result.problems]


def test_pkg_info_name_or_version_mismatch_is_reported(tmp_path):
    egg = make_egg(tmp_path / "demo-1.0-py2.7.egg", {"EGG-INFO/PKG-INFO": pkg_info("other", "2.0"), "demo.py": ""})
    result = convert_egg(egg, tmp_path / "w")
    assert result.ok
    assert {"M008", "M009"} <= {p.code for p in result.problems}


def test_invalid_requirement_is_skipped_not_a_crash(tmp_path):
    egg = simple_egg(tmp_path / "demo-1.0-py2.7.egg", extra_files={"EGG-INFO/requires.txt": "good>=1\nbad req ==\n"})
    result = convert_egg(egg, tmp_path / "w")
    assert result.ok
    meta = read_member(result.wheel, "demo-1.0.dist-info/METADATA").decode()
    assert "Requires-Dist: good>=1" in meta and "bad" not in meta
    assert "M002" in [p.code for p in result.problems]


def test_so_in_egg_without_platform_still_gets_binary_tag(tmp_path):
    """wheel convert tags such eggs py27-none-any purelib."""
    with zipfile.ZipFile(fixture_egg("cext-1.0-py3.10-linux-x86_64.egg")) as zf:
        so = zf.read("cext.cpython-310-x86_64-linux-gnu.so")
    egg = make_egg(tmp_path / "cext-1.0-py3.10.egg", {
        "EGG-INFO/PKG-INFO": pkg_info("cext"), "cext.cpython-310-x86_64-linux-gnu.so": so})
    result = convert_egg(egg, tmp_path / "w")
    assert result.ok
    assert Path(result.wheel).name.startswith("cext-1.0-cp310-cp310-manylinux")


def test_cli_batch_goes_on_after_a_failure(tmp_path):
    eggs = tmp_path / "eggs"
    eggs.mkdir()
    good = fixture_egg("purepkg-1.0-py3.10.egg")
    (eggs / good.name).write_bytes(good.read_bytes())
    (eggs / "broken-1.0-py2.7.egg").write_bytes(b"not a zip")
    out = tmp_path / "wheels"
    proc = in_process(["convert", eggs, "-d", out, "-j", "2"])
    assert proc.returncode == 1
    assert "FAILED  broken-1.0-py2.7.egg: not a readable zip file" in proc.stderr
    assert "converted 1 of 2 eggs" in proc.stderr
    assert [p.name for p in out.iterdir()] == ["purepkg-1.0-py3-none-any.whl"]


def test_cli_usage_error_exit_2(tmp_path):
    """The console process itself (most CLI tests call the entry point in process)."""
    proc = subprocess.run([sys.executable, "-m", "migrate", "convert", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 2 and "-d" in proc.stderr


def test_cli_inspect_json(tmp_path):
    import json

    proc = in_process(["inspect", "--json", fixture_egg("cext-1.0-py2.7-linux-x86_64.egg")])
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)[0]
    assert record["tags"]["abi"] == "cp27mu"
    assert "PyUnicodeUCS4" in record["tags"]["reasons"]["abi"]
    assert record["wheel"] == "cext-1.0-cp27-cp27mu-linux_x86_64.whl"


def test_develop_egg_info_converts(tmp_path):
    root = tmp_path / "checkout"
    (root / "devpkg").mkdir(parents=True)
    (root / "devpkg" / "__init__.py").write_text("X = 1\n")
    (root / "setup.py").write_text("# not part of the wheel\n")
    info = root / "devpkg.egg-info"
    info.mkdir()
    (info / "PKG-INFO").write_text(pkg_info("devpkg", "0.1"))
    (info / "top_level.txt").write_text("devpkg\n")
    (info / "requires.txt").write_text("six\n")
    result = convert_egg(info, tmp_path / "w")
    assert result.ok, result.problems
    assert Path(result.wheel).name == "devpkg-0.1-py2.py3-none-any.whl"
    members = names(result.wheel)
    assert "devpkg/__init__.py" in members and "setup.py" not in members
    assert not any(m.startswith("devpkg.egg-info") for m in members)
    assert "Requires-Dist: six" in read_member(result.wheel, "devpkg-0.1.dist-info/METADATA").decode()


def test_folder_egg_with_symlink_is_refused(tmp_path):
    egg = tmp_path / "demo-1.0-py2.7.egg"
    (egg / "EGG-INFO").mkdir(parents=True)
    (egg / "EGG-INFO" / "PKG-INFO").write_text(pkg_info())
    (egg / "demo").mkdir()
    (egg / "demo" / "secret.py").symlink_to("/etc/passwd")
    result = convert_egg(egg, tmp_path / "w")
    assert not result.ok and "symlink" in result.reason and result.reason.startswith("demo-1.0-py2.7.egg")


def test_latin1_pkg_info_becomes_utf8_metadata(tmp_path):
    meta = pkg_info(extra="Author: Jos\xe9 Mart\xednez\n").encode("latin-1")
    egg = make_egg(tmp_path / "demo-1.0-py2.7.egg", {"EGG-INFO/PKG-INFO": meta, "demo.py": ""})
    result = convert_egg(egg, tmp_path / "w")
    assert result.ok
    metadata = read_member(result.wheel, "demo-1.0.dist-info/METADATA").decode("utf-8")
    assert "Author: Jos\xe9 Mart\xednez" in metadata
    Metadata.from_email(metadata, validate=True)


SYSTEM_PROGRAM = Path("/bin/true")
SYSTEM_LIBRARY = Path("/usr/lib/x86_64-linux-gnu/libbz2.so.1.0")


@pytest.mark.skipif(not SYSTEM_PROGRAM.is_file() or not SYSTEM_LIBRARY.is_file(), reason="no system ELF files to borrow")
def test_programs_and_ctypes_libraries_make_a_platform_wheel_without_abi(tmp_path):
    """ELF files that call no Python C API: pyX-none-<platform>, as auditwheel would see them."""
    egg = make_egg(tmp_path / "tools-1.0-py2.7.egg", {
        "EGG-INFO/PKG-INFO": pkg_info("tools"),
        "EGG-INFO/scripts/helper": SYSTEM_PROGRAM.read_bytes(),  # an ELF program named like a script
        "tools/__init__.py": "",
        "tools/libbz2.so.1.0": SYSTEM_LIBRARY.read_bytes(),  # loaded with ctypes
    })
    result = convert_egg(egg, tmp_path / "w")
    assert result.ok, result.problems
    python, abi, platform = result.tags.python, result.tags.abi, result.tags.platform
    assert (python, abi) == ("py2", "none") and platform != "any"
    assert platform.startswith(("manylinux_", "linux_x86_64"))
    assert {b.path for b in result.facts.binaries} == {"EGG-INFO/scripts/helper", "tools/libbz2.so.1.0"}
    wheel_file = read_member(result.wheel, "tools-1.0.dist-info/WHEEL").decode()
    assert "Root-Is-Purelib: false" in wheel_file
