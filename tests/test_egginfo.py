"""EGG-INFO reading: PKG-INFO quirks, requires.txt sections, develop .egg-info folders."""
from packaging.requirements import Requirement

from migrate.eggs.egginfo import open_egg, parse_requires_txt, read_egg_info
from tests.conftest import fixture_egg
from tests.eggmaker import make_egg, pkg_info


def read(path):
    archive, meta = open_egg(path)
    with archive:
        return read_egg_info(archive, meta)


def test_requires_txt_sections_become_markers_and_extras():
    text = """
foo>=1.0
bar

[:python_version < "3"]
six

[fast]
cext>=1.0

[docs:python_version>="3" or sys_platform == "win32"]
sphinx
"""
    reqs, extras, found = parse_requires_txt(text)
    assert found == []
    assert extras == ("fast", "docs")
    assert reqs == [
        "foo>=1.0",
        "bar",
        'six; python_version < "3"',
        'cext>=1.0; extra == "fast"',
        'sphinx; (python_version >= "3" or sys_platform == "win32") and extra == "docs"',
    ]
    for r in reqs:
        Requirement(r)  # every line is valid PEP 508


def test_bad_requirement_lines_are_reported_and_skipped():
    reqs, _, found = parse_requires_txt("good\nnot a requirement!!\n[:bad marker here]\nsix\n")
    assert reqs == ["good"]
    codes = [p.code for p in found]
    assert codes == ["M002", "M002"]
    assert "line 2" in found[0].message and "line 3" in found[1].message


def test_requires_dist_in_pkg_info_is_not_duplicated(tmp_path):
    """Modern setuptools writes both PKG-INFO Requires-Dist and requires.txt: keep one copy."""
    meta = pkg_info(mv="2.1", extra="Requires-Dist: six>=1.0\nRequires-Dist: cext; extra == \"fast\"\nProvides-Extra: fast\n")
    egg = make_egg(tmp_path / "demo-1.0-py3.10.egg", {
        "EGG-INFO/PKG-INFO": meta,
        "EGG-INFO/requires.txt": "six>=1.0\n\n[fast]\ncext\n",
        "demo/__init__.py": "",
    })
    info = read(egg)
    assert info.requires_dist == ("six>=1.0", 'cext; extra == "fast"')
    assert info.provides_extra == ("fast",)


def test_latin1_pkg_info_and_unknown_fields(tmp_path):
    meta = "Metadata-Version: 1.0\nName: demo\nVersion: 1.0\nSummary: caf\xe9 au lait\nHome-page: UNKNOWN\nLicense: UNKNOWN\nDescription: UNKNOWN\nPlatform: UNKNOWN\n"
    egg = make_egg(tmp_path / "demo-1.0-py2.7.egg", {"EGG-INFO/PKG-INFO": meta.encode("latin-1"), "demo.py": ""})
    info = read(egg)
    assert dict(info.metadata.single)["summary"] == "caf\xe9 au lait"
    assert "home_page" not in dict(info.metadata.single) and "license" not in dict(info.metadata.single)
    assert info.metadata.description is None and info.metadata.multi == ()
    assert [p.code for p in info.problems] == ["M010"]


def test_fixture_egg_metadata():
    info = read(fixture_egg("toolbox-0.5-py2.7.egg"))
    assert info.scripts == ("EGG-INFO/scripts/toolbox-legacy",)
    assert "console_scripts" in info.entry_points
    assert info.provides_extra == ("docs", "fast")
    assert info.top_level == ("toolbox",)
    ns = read(fixture_egg("nsdemo.alpha-1.0-py2.7.egg"))
    assert ns.namespace_packages == ("nsdemo",)


def test_develop_egg_info_folder(tmp_path):
    root = tmp_path / "src"
    (root / "devpkg").mkdir(parents=True)
    (root / "devpkg" / "__init__.py").write_text("X = 1\n")
    (root / "devpkg" / "__pycache__").mkdir()
    (root / "devpkg" / "__pycache__" / "__init__.cpython-311.pyc").write_bytes(b"junk")
    (root / "unrelated.py").write_text("")
    info_dir = root / "devpkg.egg-info"
    info_dir.mkdir()
    (info_dir / "PKG-INFO").write_text(pkg_info("devpkg", "0.1"))
    (info_dir / "top_level.txt").write_text("devpkg\n")
    archive, meta = open_egg(info_dir)
    with archive:
        paths = [m.path for m in archive.members]
        info = read_egg_info(archive, meta)
    assert meta == "devpkg.egg-info"
    assert "devpkg/__init__.py" in paths and "unrelated.py" not in paths
    assert not any("__pycache__" in p for p in paths)
    assert info.metadata.version == "0.1"
