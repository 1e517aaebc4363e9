"""publish: the static PEP 503/658/691 mirror, read by real pip, swapped atomically, incremental.

Helpers here (``make_wheel``, ``Served``, ``published``) are shared with test_pins.py.
"""
from __future__ import annotations

import base64
import csv
import functools
import hashlib
import html
import io
import json
import os
import subprocess
import sys
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from migrate import interpreters, mirror
from migrate.cli import main as cli
from migrate.convert import ConvertOptions, convert_egg
from migrate.tags import TagOptions
from tests.conftest import fixture_egg, run


# ---------------------------------------------------------------- shared helpers

def make_wheel(dest: Path, name: str, version: str, files: dict, requires=(), tag="py2.py3-none-any",
               requires_python=None, metadata_name=None) -> Path:
    """A small, valid wheel written with zipfile (METADATA, WHEEL, RECORD)."""
    dist = f"{name.replace('-', '_')}-{version}.dist-info"
    meta = [f"Metadata-Version: 2.1", f"Name: {metadata_name or name}", f"Version: {version}"]
    if requires_python:
        meta.append(f"Requires-Python: {requires_python}")
    meta += [f"Requires-Dist: {r}" for r in requires]
    members = dict(files)
    members[f"{dist}/METADATA"] = "\n".join(meta) + "\n\n"
    members[f"{dist}/WHEEL"] = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n" + "".join(
        f"Tag: {py}-{abi}-{plat}\n" for py in tag.split("-")[0].split(".") for abi in tag.split("-")[1].split(".")
        for plat in tag.split("-")[2].split(".")) + "\n"
    rows = []
    for arc, text in members.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        rows.append(f"{arc},sha256={digest},{len(data)}")
    rows.append(f"{dist}/RECORD,,")
    members[f"{dist}/RECORD"] = "\n".join(rows) + "\n"
    path = Path(dest) / f"{name.replace('-', '_')}-{version}-{tag}.whl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for arc, text in members.items():
            zf.writestr(zipfile.ZipInfo(arc, (2020, 1, 1, 0, 0, 0)), text)
    return path


SIX = {"six.py": "PY2 = True\nPY3 = False\n__version__ = '1.16.0'\n"}


class Served:
    """A loopback static HTTP server over a folder that records every request path."""

    def __init__(self, root: Path):
        self.requests = []
        log = self.requests

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, fmt, *args):  # quiet, but remembered
                log.append(self.path)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def good_wheels(fixture_wheels) -> list:
    return sorted(Path(r.wheel) for r in fixture_wheels.values() if r.ok)


@pytest.fixture(scope="session")
def published(fixture_wheels, tmp_path_factory):
    """Every converted fixture wheel plus a tiny py2-only ``six``, published once: (mirror, report, wheels)."""
    extra = tmp_path_factory.mktemp("extra-wheels")
    six = make_wheel(extra, "six", "1.16.0", SIX, requires_python=">=2.7, !=3.0.*")
    wheels = good_wheels(fixture_wheels) + [six]
    root = tmp_path_factory.mktemp("mirror") / "mirror"
    report = mirror.publish(wheels, root)
    assert report.ok, report.problems
    return root, report, wheels


def links(page: Path) -> list:
    """(href, attributes) of every <a> on a page."""
    from html.parser import HTMLParser

    found = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "a":
                found.append(dict(attrs))

    P().feed(page.read_text("utf-8"))
    return found


# ---------------------------------------------------------------- the files

def test_pages_links_hashes_and_metadata_files(published):
    root, report, wheels = published
    assert report.files == len(wheels) and report.pages_written == report.projects
    projects = [a["href"] for a in links(root / "simple" / "index.html")]
    assert "nsdemo-alpha/" in projects and "six/" in projects  # normalized names (Galaxy issue 5546)
    for wheel in wheels:
        from packaging.utils import canonicalize_name, parse_wheel_filename

        page = root / "simple" / parse_wheel_filename(wheel.name)[0] / "index.html"
        (a,) = [a for a in links(page) if a["href"].split("#")[0].endswith(wheel.name.replace("+", "%2B"))]
        href, fragment = a["href"].split("#")
        assert href.startswith("../../packages/"), href  # relative: works from file:// and any host
        served = (page.parent / href.replace("%2B", "+")).resolve()
        assert served.read_bytes() == wheel.read_bytes()
        assert fragment == "sha256=" + hashlib.sha256(wheel.read_bytes()).hexdigest()
        with zipfile.ZipFile(wheel) as zf:
            metadata = zf.read(next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA")))
        sidecar = Path(str(served) + ".metadata").read_bytes()
        assert sidecar == metadata  # byte-identical (pip 26 rejects anything else)
        expected = "sha256=" + hashlib.sha256(metadata).hexdigest()
        assert a["data-core-metadata"] == expected and a["data-dist-info-metadata"] == expected


def test_requires_python_is_escaped_in_html_and_plain_in_json(published):
    root, _, _ = published
    raw = (root / "simple" / "six" / "index.html").read_text()
    assert 'data-requires-python="&gt;=2.7, !=3.0.*"' in raw
    (a,) = links(root / "simple" / "six" / "index.html")
    assert a["data-requires-python"] == ">=2.7, !=3.0.*"
    data = json.loads((root / "simple" / "six" / "index.json").read_text())
    assert data["files"][0]["requires-python"] == ">=2.7, !=3.0.*"


def test_pep691_json_matches_the_html(published):
    root, _, _ = published
    top = json.loads((root / "simple" / "index.json").read_text())
    assert top["meta"]["api-version"] == "1.1"
    names = [p["name"] for p in top["projects"]]
    assert names == sorted(names) and "cext" in names
    page = json.loads((root / "simple" / "cext" / "index.json").read_text())
    assert page["name"] == "cext" and page["versions"] == ["1.0", "1.0+7b95ff194725"]
    by_html = {a["href"].split("#")[0]: a["href"].split("#")[1][7:] for a in links(root / "simple" / "cext" / "index.html")}
    assert {f["url"]: f["hashes"]["sha256"] for f in page["files"]} == by_html
    for f in page["files"]:
        assert f["core-metadata"] == f["dist-info-metadata"] and f["size"] > 0 and f["yanked"] is False


# ---------------------------------------------------------------- incremental, atomic

def test_incremental_republish_rewrites_only_the_changed_project(fixture_wheels, tmp_path):
    wheels = good_wheels(fixture_wheels)
    root = tmp_path / "m"
    first = mirror.publish(wheels, root)
    page = root / "simple" / "purepkg" / "index.html"
    before = {p.name: os.stat(p / "index.html").st_ino for p in (root / "simple").iterdir() if p.is_dir()}
    same = mirror.publish(wheels, root)
    assert same.added == () and same.pages_written == 0 and same.pages_reused == first.projects
    new = make_wheel(tmp_path / "w", "newproj", "2.0", {"newproj.py": "X = 1\n"})
    grown = mirror.publish(wheels + [new], root)
    assert grown.added == (new.name,) and grown.pages_written == 1 and grown.pages_reused == first.projects
    after = {p.name: os.stat(p / "index.html").st_ino for p in (root / "simple").iterdir() if p.is_dir()}
    assert {k: v for k, v in after.items() if k != "newproj"} == before  # hard links: not rewritten
    assert "newproj/" in [a["href"] for a in links(root / "simple" / "index.html")]
    shrunk = mirror.publish(wheels, root)
    assert shrunk.removed == (new.name,) and not (root / "simple" / "newproj").exists()
    assert page.read_text() == (root / "simple" / "purepkg" / "index.html").read_text()


def test_a_crash_before_the_swap_leaves_the_old_mirror_serving(fixture_wheels, tmp_path, monkeypatch):
    wheels = good_wheels(fixture_wheels)
    root = tmp_path / "m"
    mirror.publish(wheels[:3], root)
    snapshot = {p.relative_to(root): p.read_bytes() for p in (root / "simple").rglob("*") if p.is_file()}

    def crash(path):
        raise RuntimeError("power cut")

    monkeypatch.setattr(mirror, "_sync", crash)
    with pytest.raises(RuntimeError):
        mirror.publish(wheels, root)
    monkeypatch.undo()
    now = {p.relative_to(root): p.read_bytes() for p in (root / "simple").rglob("*") if p.is_file()}
    assert now == snapshot  # readers still see exactly the old mirror
    for rel in snapshot:  # ... and every file it links to
        for a in links(root / rel) if rel.name == "index.html" and rel.parent.name != "simple" else []:
            assert ((root / rel).parent / a["href"].split("#")[0].replace("%2B", "+")).exists()
    report = mirror.publish(wheels, root)  # the next run finishes the job and clears the debris
    assert report.ok and report.files == len(wheels)
    assert not [p for p in (root / ".egg-migrate").iterdir() if ".tmp" in p.name]


def test_a_changed_wheel_never_overwrites_a_served_file(tmp_path):
    root = tmp_path / "m"
    one = make_wheel(tmp_path / "a", "chg", "1.0", {"chg.py": "V = 1\n"})
    mirror.publish([one], root)
    served = root / "packages" / one.name
    old = served.read_bytes()
    two = make_wheel(tmp_path / "b", "chg", "1.0", {"chg.py": "V = 2\n"})  # same name, new bytes
    mirror.publish([two], root)
    (a,) = links(root / "simple" / "chg" / "index.html")
    new_path = (root / "simple" / "chg" / a["href"].split("#")[0]).resolve()
    assert new_path.read_bytes() == two.read_bytes() and new_path != served.resolve()
    assert served.read_bytes() == old  # a reader holding the old page still gets what it names


def test_bad_wheels_are_named_and_the_rest_is_published(tmp_path, capsys):
    good = make_wheel(tmp_path / "w", "fine", "1.0", {"fine.py": ""})
    (tmp_path / "w" / "broken-1.0-py3-none-any.whl").write_bytes(b"not a zip")
    make_wheel(tmp_path / "w", "liar", "1.0", {"liar.py": ""}, metadata_name="somebody-else")
    code = cli(["publish", str(tmp_path / "w"), "-o", str(tmp_path / "m")])
    err = capsys.readouterr().err
    assert code == 1
    assert "broken-1.0-py3-none-any.whl: not a valid zip archive" in err
    assert "liar-1.0-py2.py3-none-any.whl: METADATA Name 'somebody-else' does not match the file name" in err
    assert [a["href"] for a in links(tmp_path / "m" / "simple" / "index.html")] == ["fine/"]
    assert (tmp_path / "m" / "packages" / good.name).exists()
    assert not (tmp_path / "m" / "packages" / "broken-1.0-py3-none-any.whl").exists()


def test_usage_errors_exit_2(tmp_path, capsys):
    assert cli(["publish", str(tmp_path)]) == 2
    (tmp_path / "simple").mkdir()
    make_wheel(tmp_path / "w", "fine", "1.0", {"fine.py": ""})
    assert cli(["publish", str(tmp_path / "w"), "-o", str(tmp_path)]) == 1
    assert "not made by egg-migrate publish" in capsys.readouterr().err


def test_base_url_makes_absolute_links(tmp_path):
    wheel = make_wheel(tmp_path / "w", "abs", "1.0", {"abs.py": ""})
    mirror.publish([wheel], tmp_path / "m", base_url="https://wheels.example.org/")
    (a,) = links(tmp_path / "m" / "simple" / "abs" / "index.html")
    assert a["href"].startswith(f"https://wheels.example.org/packages/{wheel.name}#sha256=")


# ---------------------------------------------------------------- distro builds

@pytest.fixture(scope="module")
def distro_mirror(tmp_path_factory, fixture_wheels):
    out = tmp_path_factory.mktemp("distro")
    options = ConvertOptions(tags=TagOptions(platform_tag="distro", distro="ubuntu:14.04"))
    result = convert_egg(fixture_egg("cext-1.0-py2.7-linux-x86_64.egg"), out / "wheels", options)
    assert result.ok and result.wheel.endswith("cp27mu-linux_x86_64_ubuntu_14_04.whl"), result.reason
    portable = [fixture_wheels["purepkg-1.0-py2.7.egg"].wheel, fixture_wheels["cpkg-2.0-py2.7-linux-x86_64.egg"].wheel]
    root = out / "mirror"
    report = mirror.publish([Path(result.wheel)] + [Path(p) for p in portable], root)
    assert report.ok and report.distros == ("ubuntu_14_04",)
    return root, Path(result.wheel)


def test_distro_builds_get_their_own_index_tagged_linux(distro_mirror):
    root, original = distro_mirror
    # simple/ lists the distro-tagged original (for pip download --platform ...)
    assert [a["href"].split("#")[0] for a in links(root / "simple" / "cext" / "index.html")] == [f"../../packages/{original.name}"]
    # <distro>/simple/ serves the same build tagged linux_x86_64, plus every portable wheel
    (a,) = links(root / "ubuntu_14_04" / "simple" / "cext" / "index.html")
    assert a["href"].startswith("../../packages/cext-1.0-cp27-cp27mu-linux_x86_64.whl#")
    retagged = root / "ubuntu_14_04" / "packages" / "cext-1.0-cp27-cp27mu-linux_x86_64.whl"
    (b,) = links(root / "ubuntu_14_04" / "simple" / "purepkg" / "index.html")
    assert b["href"].startswith("../../../packages/purepkg-1.0-py2-none-any.whl#")
    projects = [a["href"] for a in links(root / "ubuntu_14_04" / "simple" / "index.html")]
    assert projects == ["cext/", "cpkg/", "purepkg/"]
    from installer.sources import WheelFile

    with WheelFile.open(retagged) as wf:
        wf.validate_record()  # RECORD matches the rewritten WHEEL
    with zipfile.ZipFile(retagged) as zf, zipfile.ZipFile(original) as zo:
        wheel_file = zf.read("cext-1.0.dist-info/WHEEL").decode()
        assert "Tag: cp27-cp27mu-linux_x86_64\n" in wheel_file and "ubuntu" not in wheel_file
        same = [n for n in zo.namelist() if not n.endswith(("/WHEEL", "/RECORD"))]
        assert all(zf.read(n) == zo.read(n) for n in same)


def test_stock_pip_on_27_installs_the_distro_build_from_the_distro_index(distro_mirror, make_venv):
    root, original = distro_mirror
    python = make_venv("2.7")
    env = interpreters.pip_env()
    # The plain index offers only the distro tag: stock pip (FACTS.md) must refuse it ...
    refused = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--index-url", mirror.index_url(root), "cext"],
        capture_output=True, text=True, env=env, timeout=300)
    assert refused.returncode != 0
    # ... and take the same build from <mirror>/ubuntu_14_04/simple/.
    run([python, "-m", "pip", "install", "--no-deps", "--index-url", mirror.index_url(root, "ubuntu_14_04"), "cext", "purepkg"])
    assert run([python, "-c", "import cext, purepkg; print(cext.add(2, 3)); print(purepkg.hello())"]).stdout.split() == ["5", "hello"]


# ---------------------------------------------------------------- PEP 658 with a modern pip

def test_modern_pip_resolves_from_metadata_files_not_wheels(published):
    root, _, _ = published
    with Served(root) as server:
        run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--no-cache-dir", "--index-url",
             f"{server.url}/simple/", "toolbox"])
    got = server.requests
    assert any(p.endswith("/packages/toolbox-0.5-py3-none-any.whl.metadata") for p in got), got
    assert any(p.endswith("/packages/purepkg-1.0-py3-none-any.whl.metadata") for p in got), got
    assert not [p for p in got if p.endswith(".whl")], got  # no wheel downloaded to resolve
