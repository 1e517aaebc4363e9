"""What a converted wheel holds, read back the way its consumers read it.

A binary keeps an executable mode, a namespace declared only as ``a.b`` still makes
``a`` importable once ``site`` runs the ``-nspkg.pth``, and a multi-line description
under an old Metadata-Version survives the round trip through an email-header parser.
"""
from __future__ import annotations

import stat
import subprocess
import sys
import zipfile
from email.parser import HeaderParser
from pathlib import Path

from migrate.wheels.convert import convert_egg
from tests.eggmaker import make_egg, pkg_info

BINARIES = Path(__file__).parent / "fixtures" / "binaries"


def _convert(egg):
    result = convert_egg(egg, egg.parent / "wheels")
    assert result.ok, result.problems
    return result.wheel


def test_a_binary_member_is_executable_in_the_wheel(tmp_path):
    egg = make_egg(tmp_path / "rhel6-1.0-py3.10-linux-x86_64.egg", {
        "EGG-INFO/PKG-INFO": pkg_info("rhel6"), "EGG-INFO/top_level.txt": "rhel6\n",
        "rhel6/__init__.py": "", "rhel6/rhel6.so": (BINARIES / "rhel6.so").read_bytes()})
    with zipfile.ZipFile(egg) as zf:
        assert not (zf.getinfo("rhel6/rhel6.so").external_attr >> 16) & 0o111  # not executable in the egg
    with zipfile.ZipFile(_convert(egg)) as zf:
        mode = zf.getinfo("rhel6/rhel6.so").external_attr >> 16
        assert stat.S_IMODE(mode) == 0o755, oct(mode)
        assert stat.S_IMODE(zf.getinfo("rhel6/__init__.py").external_attr >> 16) == 0o644


def test_a_child_only_namespace_declaration_makes_its_parents_importable(tmp_path):
    """namespace_packages.txt names only ``nsa.nsb``; setuptools' .pth declared ``nsa`` too, and so do we."""
    declare = "__import__('pkg_resources').declare_namespace(__name__)\n"
    egg = make_egg(tmp_path / "nsa.nsb.leaf-1.0-py3.10.egg", {
        "EGG-INFO/PKG-INFO": pkg_info("nsa.nsb.leaf"), "EGG-INFO/top_level.txt": "nsa\n",
        "EGG-INFO/namespace_packages.txt": "nsa.nsb\n",
        "nsa/__init__.py": declare, "nsa/nsb/__init__.py": declare,
        "nsa/nsb/leaf/__init__.py": "VALUE = 42\n"})
    site_dir = tmp_path / "site"
    with zipfile.ZipFile(_convert(egg)) as zf:
        zf.extractall(site_dir)
    code = f"import site; site.addsitedir({str(site_dir)!r}); import nsa.nsb.leaf; print(nsa.nsb.leaf.VALUE)"
    done = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "42", done.stderr


def test_a_multi_line_description_survives_an_old_metadata_version(tmp_path):
    body = "First line.\n\nSecond paragraph:\n  indented code\nlast line"
    folded = "".join("        " + line + "\n" for line in body.split("\n")[1:])
    info = pkg_info("descr", extra=f"Description: {body.splitlines()[0]}\n{folded}")
    egg = make_egg(tmp_path / "descr-1.0-py3.10.egg", {"EGG-INFO/PKG-INFO": info, "descr.py": ""})
    with zipfile.ZipFile(_convert(egg)) as zf:
        metadata = zf.read("descr-1.0.dist-info/METADATA").decode("utf-8")
    headers = HeaderParser().parsestr(metadata)
    assert headers["Metadata-Version"].startswith("1.")
    assert headers["Name"] == "descr" and headers["Version"] == "1.0"
    unfolded = [line[8:] if line.startswith("        ") else line for line in headers["Description"].split("\n")]
    assert "\n".join(unfolded).strip() == body
    assert len(headers.keys()) == len(set(headers.keys())), headers.keys()  # no body line taken for a header


def test_members_have_the_fixed_timestamp_and_utf8_names(tmp_path):
    """Reproducible bytes need a fixed time; a non-ASCII name needs the UTF-8 flag to read back as written."""
    egg = make_egg(tmp_path / "unimod-1.0-py3.10.egg", {
        "EGG-INFO/PKG-INFO": pkg_info("unimod"), "unimod/__init__.py": "", "unimod/données.py": "X = 1\n"})
    with zipfile.ZipFile(_convert(egg)) as zf:
        infos = zf.infolist()
        assert "unimod/données.py" in zf.namelist()
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert [i.filename for i in infos if i.flag_bits & 0x800] == ["unimod/données.py"]


def test_a_stored_member_with_a_bad_crc_is_refused_not_copied(tmp_path):
    """Same size, one byte changed: only the CRC can tell, and the egg must fail with C001, leaving no wheel."""
    egg = tmp_path / "crcmod-1.0-py3.10.egg"
    data = b"VALUE = 'the right bytes'\n"
    with zipfile.ZipFile(egg, "w") as zf:
        zf.writestr("EGG-INFO/PKG-INFO", pkg_info("crcmod"))
        zf.writestr(zipfile.ZipInfo("crcmod.py"), data, compress_type=zipfile.ZIP_STORED)
    raw = egg.read_bytes()
    assert raw.count(data) == 1
    egg.write_bytes(raw.replace(data, data.replace(b"right", b"wrong")))
    result = convert_egg(egg, tmp_path / "wheels")
    assert not result.ok
    assert [p.code for p in result.problems if p.severity == "error"] == ["C001"], result.problems
    assert not list((tmp_path / "wheels").iterdir())


def _requires_dist(wheel) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        return HeaderParser().parsestr(zf.read(name).decode("utf-8")).get_all("Requires-Dist") or []


def test_a_requirement_is_written_once_and_markers_keep_requirements_apart(tmp_path):
    """requires.txt names ``six`` twice (one spelled ``Six``): one line. Two markers: two lines."""
    egg = make_egg(tmp_path / "reqs-1.0-py2.7.egg", {
        "EGG-INFO/PKG-INFO": pkg_info("reqs"), "reqs.py": "",
        "EGG-INFO/requires.txt": ("six>=1.0\nSix>=1.0\nfoo\n\n[:python_version < \"3\"]\nfoo\nenum34\n\n"
                                  "[:python_version >= \"3\"]\nenum34\n")})
    lines = _requires_dist(_convert(egg))
    assert sum(line.lower().startswith("six") for line in lines) == 1, lines
    assert sum(line.startswith("foo") for line in lines) == 2, lines  # bare, and under python_version < "3"
    assert sorted(line for line in lines if line.startswith("enum34")) == [
        'enum34; python_version < "3"', 'enum34; python_version >= "3"'], lines
