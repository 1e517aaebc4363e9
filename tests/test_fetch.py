"""fetch: Galaxy trees, simple indexes, find-links pages and local folders, over loopback only."""
from __future__ import annotations

import json
import os
import socket
import zipfile

import pytest
import requests

from migrate.cli import main
from migrate.fetch import net, sources
from migrate.fetch.fetching import LOCK_FILE, MANIFEST, FetchOptions, SourceError, fetch
from migrate.fetch.listing import Link, Listing, Skip, join_listings
from migrate.fetch.net import NetOptions
from migrate.fetch.selection import Selection
from migrate.fetch.state import STATE_FILE, State

try:
    from tests.servers import TreeServer, egg_bytes, galaxy_tree, make_egg, sha256_file, simple_index
except ImportError:  # tests/ run as a plain folder
    from servers import TreeServer, egg_bytes, galaxy_tree, make_egg, sha256_file, simple_index

FAST = FetchOptions(net=NetOptions(backoff=0.01, retries=3, connect_timeout=5, read_timeout=10))

GALAXY_EGGS = [
    "psycopg2-2.5.1_9.2.4_static-py2.7-linux-x86_64-ucs4.egg",
    "psycopg2-2.5.1_9.2.4_static-py2.7-linux-x86_64-ucs2.egg",
    "psycopg2-2.5.1_9.2.4_static-py2.7-macosx-10.6-intel-ucs2.egg",
    "Mako-0.4.1-py2.7.egg",
    "Mako-0.4.1-py2.6.egg",
    "bx_python-0.7.2-py2.7-linux-x86_64-ucs4.egg",
]


@pytest.fixture
def galaxy(tmp_path):
    root = tmp_path / "repo"
    sums = galaxy_tree(root, GALAXY_EGGS, payload=3000)
    (root / "psycopg2" / "postgresql-9.2.4.tar.gz").write_bytes(b"source tarball")  # Galaxy kept these too
    with TreeServer(root) as server:
        yield server, sums


def egg_gets(log):
    return [r for r in log if r.method == "GET" and r.path.endswith(".egg")]


def test_galaxy_tree_fetched_verified_and_second_run_downloads_nothing(galaxy, tmp_path):
    server, sums = galaxy
    dest = tmp_path / "eggs"
    report = fetch(server.url, dest, Selection(), jobs=4, options=FAST)
    assert report.ok, report.as_dict()
    assert sorted(r.filename for r in report.results) == sorted(GALAXY_EGGS)
    assert {r.status for r in report.results} == {"downloaded"}
    for r in report.results:
        assert r.sha256 == sums[r.filename] == sha256_file(dest / r.filename)
        assert r.size == (dest / r.filename).stat().st_size
        assert r.url == server.url + r.filename.split("-")[0] + "/" + r.filename
    assert [s.reason for s in report.skipped_links] == ["not an egg"]  # the tarball
    assert not list(dest.glob("*.part")) and not list(dest.glob(".*tmp*"))
    manifest = json.loads((dest / MANIFEST).read_text())
    assert manifest["counts"]["downloaded"] == len(GALAXY_EGGS)
    assert {e["sha256"] for e in manifest["eggs"]} == set(sums.values())
    state = State(dest)
    assert set(state.eggs) == set(GALAXY_EGGS) and state.partial == {}
    assert {e["sha256"] for e in state.eggs.values()} == set(sums.values())
    assert len((dest / STATE_FILE).read_text().splitlines()) == len(GALAXY_EGGS)  # compacted

    before = len(server.log)
    again = fetch(server.url, dest, Selection(), jobs=4, options=FAST)
    assert again.ok and {r.status for r in again.results} == {"already-verified"}
    assert egg_gets(server.log[before:]) == []  # listings only, no egg downloaded

    # A file touched on disk is re-hashed, not trusted; a changed one is fetched again.
    victim = dest / GALAXY_EGGS[0]
    os.utime(victim, ns=(1, 1))
    victim2 = dest / GALAXY_EGGS[1]
    victim2.write_bytes(b"garbage")
    third = fetch(server.url, dest, Selection(), jobs=4, options=FAST)
    status = {r.filename: r.status for r in third.results}
    assert status[GALAXY_EGGS[0]] == "already-verified"
    assert status[GALAXY_EGGS[1]] == "downloaded"
    assert sha256_file(victim2) == sums[GALAXY_EGGS[1]]


def test_python_platform_and_project_filters(galaxy, tmp_path):
    server, _ = galaxy
    report = fetch(server.url, tmp_path / "a", Selection.make(python="2.7", platforms=["linux-x86_64-ucs4"]),
                   options=FAST)
    assert sorted(r.filename for r in report.results) == sorted([
        "psycopg2-2.5.1_9.2.4_static-py2.7-linux-x86_64-ucs4.egg", "Mako-0.4.1-py2.7.egg",
        "bx_python-0.7.2-py2.7-linux-x86_64-ucs4.egg"])
    both = fetch(server.url, tmp_path / "b", Selection.make(
        python="2.7", platforms=["linux-x86_64-ucs4", "linux-x86_64-ucs2"], projects=["PSYCOPG2", "nothere"]),
        options=FAST)
    assert sorted((r.filename, r.status) for r in both.results) == [
        ("nothere", "missing"),
        ("psycopg2-2.5.1_9.2.4_static-py2.7-linux-x86_64-ucs2.egg", "downloaded"),
        ("psycopg2-2.5.1_9.2.4_static-py2.7-linux-x86_64-ucs4.egg", "downloaded")]
    assert not both.ok
    # --project reads that project's folder, not the whole repository
    assert not any(r.path in ("/Mako/", "/bx_python/") for r in server.log[-6:])


def test_cli_json_exit_codes_and_one_line_errors(galaxy, tmp_path, capsys):
    server, sums = galaxy
    dest = tmp_path / "eggs"
    assert main(["fetch", server.url, "-d", str(dest), "--json", "-j", "3", "--retries", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and {e["sha256"] for e in out["eggs"]} == set(sums.values())
    assert main(["fetch", server.url, "-d", str(dest), "--project", "nothere"]) == 1
    err = capsys.readouterr().err
    assert "nothere: missing:" in err
    assert main(["fetch", server.url, "-d", str(dest), "--platform", "linux"]) == 2
    assert main(["fetch", "-d", str(dest)]) == 2
    capsys.readouterr()
    assert main(["fetch", server.url + "nowhere/", "-d", str(dest)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "404" in err and "repository root" in err


def test_hostile_listing_is_skipped_with_reasons_and_never_left(tmp_path):
    root = tmp_path / "site"
    repo = root / "repo"
    make_egg(repo / "good-1.0-py2.7.egg")
    make_egg(root / "outside" / "secret-1.0-py2.7.egg")
    make_egg(repo / "deep" / "nested-1.0-py2.7.egg")
    (repo / "index.html").write_text(
        '<a href="good-1.0-py2.7.egg">ok</a>\n'
        '<a href="http://elsewhere.invalid/evil-1.0-py2.7.egg">off host</a>\n'
        '<a href="%2E%2E%2Fevil-1.0-py2.7.egg">dots</a>\n'
        '<a href="..%2Fevil-1.0-py2.7.egg">dots again</a>\n'
        '<a href="../outside/">a listing outside the root</a>\n'
        '<a href="../outside/secret-1.0-py2.7.egg">same host file</a>\n'
        '<a href="notes.txt">not an egg</a>\n'
        '<a href="not_an_egg_name.egg">no version</a>\n'
        '<a href="folder-1.0-py2.7.egg/">a folder egg</a>\n'
        '<a href="deep/">a subfolder</a>\n'
        '<a href="?C=N;O=D">sort</a> <a href="/">parent</a>\n')
    with TreeServer(root) as server:
        report = fetch(server.url + "repo/", tmp_path / "eggs", Selection(), options=FAST)
        paths = [r.path for r in server.log]
    reasons = {s.url.rsplit("/", 1)[-1] or s.url: s.reason for s in report.skipped_links}
    assert "leaves the source host" in reasons["evil-1.0-py2.7.egg"]
    assert any("'..'" in r or "unsafe" in r for u, r in reasons.items() if "2F" in u)
    assert reasons["notes.txt"] == "not an egg"
    assert reasons["not_an_egg_name.egg"] == "no version in the egg name"
    assert "folder egg" in [r for u, r in reasons.items() if "folder-1.0" in u][0]
    assert any(r == "listing outside the repository root" for r in reasons.values())
    assert "/outside/" not in paths  # the outside listing was never read
    fetched = sorted(r.filename for r in report.results)
    # files may live elsewhere on the same host (PEP 503 keeps them under /packages/); subfolders are walked
    assert fetched == ["good-1.0-py2.7.egg", "nested-1.0-py2.7.egg", "secret-1.0-py2.7.egg"]
    assert sorted(os.listdir(tmp_path / "eggs")) == sorted(fetched + [MANIFEST, STATE_FILE, LOCK_FILE])


def test_absurd_size_and_broken_zip_leave_nothing(tmp_path):
    root = tmp_path / "repo"
    make_egg(root / "big" / "big-1.0-py2.7.egg", payload=50_000)
    (root / "junk").mkdir()
    (root / "junk" / "junk-1.0-py2.7.egg").write_bytes(b"<html>not found, but 200</html>")
    cut = egg_bytes("cut", "1.0", payload=2000)
    (root / "cut").mkdir()
    (root / "cut" / "cut-1.0-py2.7.egg").write_bytes(cut[: len(cut) - 30])  # central directory gone
    with TreeServer(root) as server:
        report = fetch(server.url, tmp_path / "eggs", Selection(),
                       options=FetchOptions(net=FAST.net, max_bytes=20_000))
    by = {r.filename: r for r in report.results}
    assert by["big-1.0-py2.7.egg"].status == "skipped" and "absurd size" in by["big-1.0-py2.7.egg"].reason
    assert by["junk-1.0-py2.7.egg"].status == "failed" and "zip" in by["junk-1.0-py2.7.egg"].reason
    assert by["cut-1.0-py2.7.egg"].status == "failed" and "zip" in by["cut-1.0-py2.7.egg"].reason
    assert sorted(os.listdir(tmp_path / "eggs")) == sorted([MANIFEST, STATE_FILE, LOCK_FILE])
    assert not report.ok


@pytest.mark.parametrize("json_too", [True, False])
def test_simple_index_hashes_verified(tmp_path, json_too):
    eggs = {"Foo-1.0-py2.7.egg": egg_bytes("Foo", "1.0"), "bar_baz-2.0-py2.7-linux-x86_64.egg": egg_bytes("bar_baz", "2.0")}
    simple_index(tmp_path / "www", eggs, json_too=json_too)
    with TreeServer(tmp_path / "www") as server:
        with requests.Session() as session:
            assert sources.open_source(server.url + "simple/", session, FAST.net).kind == ("json" if json_too else "tree")
        report = fetch(server.url + "simple/", tmp_path / "eggs", Selection(), options=FAST)
        assert report.ok and sorted(r.filename for r in report.results) == sorted(eggs)
        assert all(r.url.startswith(server.url + "packages/") for r in report.results)
        # a listing whose hash disagrees with the file: failed, nothing under the final name
        (tmp_path / "www" / "packages" / "Foo-1.0-py2.7.egg").write_bytes(egg_bytes("Foo", "1.0", payload=10))
        bad = fetch(server.url + "simple/", tmp_path / "eggs2", Selection.make(projects=["foo"]), options=FAST)
    (r,) = bad.results
    assert r.status == "failed" and "does not match the listing" in r.reason
    assert not (tmp_path / "eggs2" / "Foo-1.0-py2.7.egg").exists()
    assert not list((tmp_path / "eggs2").glob("*.part"))


def test_find_links_page(tmp_path):
    make_egg(tmp_path / "www" / "dist" / "Foo-1.0-py2.7.egg")
    make_egg(tmp_path / "www" / "dist" / "Foo-1.1-py3.6.egg")
    (tmp_path / "www" / "links.html").write_text(
        '<html><body><a href="dist/Foo-1.0-py2.7.egg">Foo</a> <a href="dist/Foo-1.1-py3.6.egg">Foo</a></body></html>')
    with TreeServer(tmp_path / "www") as server:
        report = fetch(server.url + "links.html", tmp_path / "eggs", Selection.make(python="2.7"), options=FAST)
    assert [(r.filename, r.status) for r in report.results] == [("Foo-1.0-py2.7.egg", "downloaded")]


def test_local_folders_copied_or_hard_linked_never_moved(tmp_path):
    project = tmp_path / "project"
    egg = make_egg(project / ".eggs" / "Foo-1.0-py2.7.egg")
    site = project / "venv" / "lib" / "python2.7" / "site-packages"
    folder_egg = site / "Bar-2.0-py2.7.egg"
    with zipfile.ZipFile(make_egg(tmp_path / "zipped" / "Bar-2.0-py2.7.egg")) as zf:
        zf.extractall(folder_egg)
    (site / "Baz-1.0-py2.7.egg-info").mkdir()  # distutils metadata, not an egg
    (site / "easy-install.pth").write_text("./Bar-2.0-py2.7.egg\n")
    dest = tmp_path / "eggs"
    report = fetch(str(project), dest, Selection(), options=FAST)
    by = {r.filename: r for r in report.results}
    assert sorted(by) == ["Bar-2.0-py2.7.egg", "Foo-1.0-py2.7.egg"]
    assert egg.exists() and folder_egg.is_dir()  # never moved
    assert os.path.samefile(egg, dest / "Foo-1.0-py2.7.egg") and "hard-linked" in by["Foo-1.0-py2.7.egg"].note
    assert (dest / "Bar-2.0-py2.7.egg" / "EGG-INFO" / "PKG-INFO").is_file()
    again = fetch("file://" + str(project), dest, Selection(), options=FAST)
    assert {r.status for r in again.results} == {"already-verified"}
    copied = fetch(str(project / ".eggs"), tmp_path / "copies", Selection(),
                   options=FetchOptions(net=FAST.net, hardlink=False))
    (r,) = copied.results
    assert r.note.startswith("copied") and not os.path.samefile(egg, r.path) and r.sha256 == sha256_file(egg)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_root_errors_are_one_clear_line(galaxy, tmp_path):
    server, _ = galaxy
    opts = FetchOptions(net=NetOptions(retries=0, connect_timeout=5, read_timeout=5))
    with pytest.raises(SourceError, match=r"cannot connect to 127\.0\.0\.1:\d+: connection refused"):
        fetch(f"http://127.0.0.1:{_free_port()}/", tmp_path / "e", Selection(), options=opts)
    with pytest.raises(SourceError, match=r"HTTP 404 .*repository root"):
        fetch(server.url + "missing/", tmp_path / "e", Selection(), options=opts)
    https = server.url.replace("http://", "https://")
    with pytest.raises(SourceError, match=r"^https://127\.0\.0\.1:\d+/: TLS error talking to 127\.0\.0\.1:\d+: .*--cert"):
        fetch(https, tmp_path / "e", Selection(), options=opts)
    with pytest.raises(SourceError, match="no such folder"):
        fetch(str(tmp_path / "nowhere"), tmp_path / "e", Selection(), options=opts)
    dns = requests.exceptions.ConnectionError(socket.gaierror(-2, "Name or service not known"))
    assert net.describe(dns, "http://eggs.invalid/") == (
        "cannot resolve host 'eggs.invalid' (DNS lookup failed): check the URL and your network")
    assert not (tmp_path / "e").exists()  # nothing created for a source that cannot be read


def test_state_journal_survives_a_torn_last_line(galaxy, tmp_path):
    server, sums = galaxy
    dest = tmp_path / "eggs"
    assert fetch(server.url, dest, Selection(), options=FAST).ok
    with open(dest / STATE_FILE, "a") as f:
        f.write('{"kind": "egg", "name": "psycopg2-2.5.1')  # what a kill -9 mid-write could leave
    state = State(dest)
    assert set(state.eggs) == set(GALAXY_EGGS) and state.warning is None
    before = len(server.log)
    again = fetch(server.url, dest, Selection(), options=FAST)
    assert {r.status for r in again.results} == {"already-verified"} and egg_gets(server.log[before:]) == []
    # new records after a torn line start on a line of their own
    (dest / GALAXY_EGGS[0]).unlink()
    with open(dest / STATE_FILE, "a") as f:
        f.write('{"kind": "egg", "name": "torn')
    state = State(dest)
    state.record("x.egg", {"size": 1})
    assert "x.egg" in State(dest).eggs
    (dest / STATE_FILE).write_text("not json\nat all\n")
    assert "unreadable lines" in State(dest).warning


def test_egg_changed_on_the_server_is_fetched_again(galaxy, tmp_path):
    """No sha256 in a Galaxy listing: a HEAD (size, ETag, Last-Modified) tells a changed egg."""
    server, sums = galaxy
    dest = tmp_path / "eggs"
    assert fetch(server.url, dest, Selection(), jobs=2, options=FAST).ok
    changed = "Mako-0.4.1-py2.7.egg"
    served = server.root / "Mako" / changed
    served.write_bytes(egg_bytes("Mako", "0.4.1", payload=5000, seed=7))
    os.utime(served, (2_000_000_000, 2_000_000_000))
    before = len(server.log)
    again = fetch(server.url, dest, Selection(), jobs=2, options=FAST)
    status = {r.filename: r.status for r in again.results}
    assert status.pop(changed) == "downloaded"
    assert set(status.values()) == {"already-verified"}
    assert [r.path for r in egg_gets(server.log[before:])] == [f"/Mako/{changed}"]
    assert sha256_file(dest / changed) == sha256_file(served)


def test_egg_changed_on_disk_with_its_size_is_re_hashed_and_fetched_again(galaxy, tmp_path):
    """docs/fetch.rst: size and mtime matching is trusted; a moved mtime means re-hashing. An egg
    rewritten in place with the same size (bit rot, an editor, a bad copy) fails that re-hash."""
    server, sums = galaxy
    dest = tmp_path / "eggs"
    assert fetch(server.url, dest, Selection(), jobs=2, options=FAST).ok
    victim = dest / "Mako-0.4.1-py2.7.egg"
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte flipped inside the payload: same size, other sha256
    victim.write_bytes(bytes(data))
    os.utime(victim, ns=(2_000_000_000 * 10**9, 2_000_000_000 * 10**9))  # the mtime moved, for sure
    before = len(server.log)
    again = fetch(server.url, dest, Selection(), jobs=2, options=FAST)
    status = {r.filename: r.status for r in again.results}
    assert status.pop(victim.name) == "downloaded"
    assert set(status.values()) == {"already-verified"}
    assert [r.path for r in egg_gets(server.log[before:])] == [f"/Mako/{victim.name}"]
    assert sha256_file(victim) == sums[victim.name]


def test_listings_join_in_one_pass_and_the_first_link_of_a_name_wins():
    """A source of thousands of project pages is joined once (adding each page to the links so far
    copied them all each time); the result is what adding them one by one gave."""
    a = Listing((Link("u1", "A-1.0.egg"), Link("u2", "B-1.0.egg")), (Skip("s1", "why"),), ("e1",))
    b = Listing((Link("u3", "B-1.0.egg"), Link("u4", "C-1.0.egg")), (Skip("s2", "why"),), ("e2",))
    joined = join_listings([a, Listing(), b])
    assert [link.url for link in joined.links] == ["u1", "u2", "u4"] and joined == a + Listing() + b
    assert [s.url for s in joined.skipped] == ["s1", "s2"] and joined.errors == ("e1", "e2")
