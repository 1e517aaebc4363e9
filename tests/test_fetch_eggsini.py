"""eggs.ini selection against a served Galaxy-layout repository with many platforms and versions."""
from __future__ import annotations

import json
import shutil

import pytest

from migrate.cli import main
from migrate.fetch.fetching import FetchOptions, fetch
from migrate.fetch.net import NetOptions
from migrate.fetch.selection import Selection
from migrate.galaxy import eggsini

try:
    from tests.servers import TreeServer, galaxy_tree, sha256_file
except ImportError:  # tests/ run as a plain folder
    from servers import TreeServer, galaxy_tree, sha256_file

FAST = FetchOptions(net=NetOptions(backoff=0.005, retries=2, connect_timeout=5, read_timeout=10))

REPOSITORY = [
    # psycopg2: the pinned version for three platforms, and an older one
    "psycopg2-2.5.1_9.2.4_static-py2.7-linux-x86_64-ucs4.egg",
    "psycopg2-2.5.1_9.2.4_static-py2.7-linux-x86_64-ucs2.egg",
    "psycopg2-2.5.1_9.2.4_static-py2.7-macosx-10.6-intel-ucs2.egg",
    "psycopg2-2.0.13_8.4.2_static-py2.7-linux-x86_64-ucs4.egg",
    # bx_python: no ucs2 build, a 32-bit one, and a macOS one
    "bx_python-0.7.2-py2.7-linux-x86_64-ucs4.egg",
    "bx_python-0.7.2-py2.7-linux-i686-ucs2.egg",
    "bx_python-0.7.2-py2.7-macosx-10.6-intel-ucs2.egg",
    # pysam with its Galaxy tag
    "pysam-0.4.2_kanwei_b10f6e722e9a-py2.7-linux-x86_64-ucs4.egg",
    "pysam-0.4.2_kanwei_b10f6e722e9a-py2.7-linux-x86_64-ucs2.egg",
    # pure eggs: the pinned one, a newer one, the same for py2.6
    "Mako-0.4.1-py2.7.egg",
    "Mako-0.4.2-py2.7.egg",
    "Mako-0.4.1-py2.6.egg",
    # the repository spells 0.8a as 0.8a0 (setuptools >= 8 did)
    "WebError-0.8a0-py2.7.egg",
    "repoze.lru-0.6-py2.7.egg",
    "pbs_python-4.4.0-py2.7-linux-x86_64-ucs4.egg",
]

EGGS_INI = """\
; Galaxy egg version configuration
[general]
repository = {repo}
; these eggs must be scrambled for your local environment
no_auto = pbs_python

[eggs:platform]
bx_python = 0.7.2
numpy = 1.6.0
pbs_python = 4.4.0
psycopg2 = 2.5.1
pysam = 0.4.2

[eggs:noplatform]
Mako = 0.4.1
repoze.lru = 0.6
WebError = 0.8a

[tags]
psycopg2 = _9.2.4_static
pysam = _kanwei_b10f6e722e9a

[dependencies]
bx_python = numpy
"""


@pytest.fixture
def galaxy(tmp_path):
    root = tmp_path / "repo"
    sums = {}
    for name in REPOSITORY:  # Galaxy folders are named by the eggs.ini key
        key = "repoze.lru" if name.startswith("repoze") else name.split("-")[0]
        sums.update(galaxy_tree(root / "_tmp", [name]))
        (root / key).mkdir(parents=True, exist_ok=True)
        shutil.move(str(root / "_tmp" / name.split("-")[0] / name), str(root / key / name))
    shutil.rmtree(root / "_tmp")
    with TreeServer(root) as server:
        ini_path = tmp_path / "eggs.ini"
        ini_path.write_text(EGGS_INI.format(repo=server.url.rstrip("/")))
        yield server, eggsini.parse(ini_path), ini_path, sums


def by_target(report):
    return {(r.project, r.target): r for r in report.results}


def test_ucs4_and_ucs2_side_by_side(galaxy, tmp_path):
    server, ini, _, sums = galaxy
    selection = Selection.make(ini, "2.7", ["linux-x86_64-ucs4", "linux-x86_64-ucs2"])
    dest = tmp_path / "eggs"
    report = fetch("", dest, selection, jobs=4, options=FAST)  # SOURCE from [general] repository
    got = by_target(report)
    ucs4, ucs2, pure = "py2.7-linux-x86_64-ucs4", "py2.7-linux-x86_64-ucs2", "py2.7"
    assert got[("psycopg2", ucs4)].filename == "psycopg2-2.5.1_9.2.4_static-py2.7-linux-x86_64-ucs4.egg"
    assert got[("psycopg2", ucs2)].filename == "psycopg2-2.5.1_9.2.4_static-py2.7-linux-x86_64-ucs2.egg"
    assert got[("pysam", ucs2)].status == "downloaded"
    assert got[("Mako", pure)].filename == "Mako-0.4.1-py2.7.egg"
    assert got[("repoze.lru", pure)].status == "downloaded"
    # exact names were fetched directly, as Galaxy's client did: no listing read for them
    assert "/psycopg2/" not in [q.path for q in server.log]
    # missing: no ucs2 bx_python (the i686 one is not a stand-in), no numpy at all
    bx = got[("bx_python", ucs2)]
    assert bx.status == "missing" and "bx_python-0.7.2-py2.7-linux-i686-ucs2.egg" in bx.reason
    assert got[("numpy", ucs4)].status == "missing" and "no listing of numpy" in got[("numpy", ucs4)].reason
    # no_auto is reported, never fetched
    assert [r.status for r in report.results if r.project == "pbs_python"] == ["skipped"]
    assert not any(q.path.startswith("/pbs_python/") for q in server.log)
    # a spelling variant of the pinned version is taken, and said so
    web = got[("WebError", pure)]
    assert web.status == "downloaded" and web.filename == "WebError-0.8a0-py2.7.egg"
    assert "eggs.ini wants WebError-0.8a-py2.7.egg" in web.note
    # nothing but the pinned versions arrived, each verified
    on_disk = sorted(p.name for p in dest.glob("*.egg"))
    assert on_disk == sorted(r.filename for r in report.results if r.status == "downloaded")
    assert "Mako-0.4.2-py2.7.egg" not in on_disk and not any("2.0.13" in n for n in on_disk)
    for name in on_disk:
        assert sha256_file(dest / name) == sums[name]
    assert not report.ok  # two eggs are missing
    manifest = json.loads((dest / "fetch-manifest.json").read_text())
    assert {(e["project"], e["target"], e["status"]) for e in manifest["eggs"]} >= {
        ("bx_python", ucs2, "missing"), ("psycopg2", ucs4, "downloaded")}


def test_macos_target_takes_the_10_6_intel_egg_and_says_so(galaxy, tmp_path):
    server, ini, _, _ = galaxy
    selection = Selection.make(ini, "2.7", ["macosx-10.9-x86_64"], projects=["psycopg2", "bx_python", "mako"])
    report = fetch(server.url, tmp_path / "eggs", selection, options=FAST)
    got = {r.project: r for r in report.results}
    assert report.ok, report.as_dict()
    for key in ("psycopg2", "bx_python"):
        r = got[key]
        assert r.filename.endswith("-py2.7-macosx-10.6-intel-ucs2.egg") and r.target == "py2.7-macosx-10.9-intel-ucs2"
        assert "took" in r.note and "macOS is backward compatible" in r.note
    assert got["Mako"].filename == "Mako-0.4.1-py2.7.egg" and got["Mako"].note == ""


def test_i686_target_and_python_2_6(galaxy, tmp_path):
    server, ini, _, _ = galaxy
    report = fetch(server.url, tmp_path / "a", Selection.make(ini, "2.7", ["linux-i686-ucs2"], ["bx_python"]),
                   options=FAST)
    assert [r.filename for r in report.results] == ["bx_python-0.7.2-py2.7-linux-i686-ucs2.egg"]
    report = fetch(server.url, tmp_path / "b", Selection.make(ini, "2.6", [], ["Mako", "psycopg2"]), options=FAST)
    got = {r.project: r for r in report.results}
    assert got["Mako"].filename == "Mako-0.4.1-py2.6.egg" and got["Mako"].status == "downloaded"
    assert got["psycopg2"].status == "missing"  # no py2.6 build; a py2.7 one is no stand-in


def test_eggs_ini_against_a_local_copy_of_the_repository(galaxy, tmp_path):
    server, ini, _, sums = galaxy
    local = tmp_path / "copy"
    shutil.copytree(server.root, local)
    report = fetch(str(local), tmp_path / "eggs", Selection.make(ini, platforms=["linux-x86_64-ucs4"]), options=FAST)
    got = {r.project: r for r in report.results}
    assert got["psycopg2"].status == "downloaded" and got["psycopg2"].sha256 == sums[got["psycopg2"].filename]
    assert got["WebError"].filename == "WebError-0.8a0-py2.7.egg"
    assert got["numpy"].status == "missing"


def test_cli_with_eggs_ini(galaxy, tmp_path, capsys):
    server, _, ini_path, _ = galaxy
    dest = tmp_path / "eggs"
    code = main(["fetch", "-d", str(dest), "--eggs-ini", str(ini_path), "--platform", "linux-x86_64-ucs4",
                 "--platform", "linux-x86_64-ucs2", "--json"])
    captured = capsys.readouterr()
    assert code == 1
    out = json.loads(captured.out)
    assert out["counts"]["missing"] == 3  # numpy x2, bx_python ucs2
    assert "numpy-1.6.0-py2.7-linux-x86_64-ucs4.egg: missing:" in captured.err
    assert "WebError: eggs.ini wants WebError-0.8a-py2.7.egg" in captured.err
    code = main(["fetch", server.url, "-d", str(dest), "--eggs-ini", str(ini_path), "--project", "psycopg2",
                 "--project", "pbs_python", "--include-no-auto"])
    assert code == 0
    # default platform linux-x86_64-ucs4: psycopg2 is already here, pbs_python (no_auto) comes when asked
    out = capsys.readouterr().out
    assert "2 eggs in" in out and "(1 downloaded, 1 already verified)" in out
    assert (dest / "pbs_python-4.4.0-py2.7-linux-x86_64-ucs4.egg").exists()


def test_cli_bad_eggs_ini_is_one_line(tmp_path, capsys):
    bad = tmp_path / "eggs.ini"
    bad.write_text("[general]\nrepository = http://127.0.0.1:9/\n[eggs:platform]\npsycopg2 = 2.5.1 beta\n")
    assert main(["fetch", "-d", str(tmp_path / "eggs"), "--eggs-ini", str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"egg-migrate fetch: {bad}:4: [eggs:platform] psycopg2: version '2.5.1 beta' has a space, "
                   "'-' or '/'"]
    assert not (tmp_path / "eggs").exists()
