"""publish: the static PEP 503/658/691 mirror, read by real pip, swapped atomically, incremental.

Shared helpers (``make_wheel``, ``Served``, ``links``) live in tests/wheelmaker.py, the ``published`` fixture
in conftest.py. Distro builds: tests/test_mirror_distro.py.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from migrate import mirror
from migrate.cli import main as cli
from migrate.mirror import pool, publishing
from tests.conftest import run
from tests.runner import in_process
from tests.wheelmaker import Served, good_wheels, links, make_wheel

# ---------------------------------------------------------------- the files

def test_pages_links_hashes_and_metadata_files(published):
    root, report, wheels = published
    assert report.files == len(wheels) and report.pages_written == report.projects
    projects = [a["href"] for a in links(root / "simple" / "index.html")]
    assert "nsdemo-alpha/" in projects and "six/" in projects  # normalized names (Galaxy issue 5546)
    for wheel in wheels:
        from packaging.utils import parse_wheel_filename

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

def served_tree(root: Path) -> dict:
    """{path under simple/: bytes} of every page a reader can reach, through every symlink."""
    found = {}
    for dirpath, _dirs, files in os.walk(root / "simple", followlinks=True):
        for f in files:
            path = Path(dirpath, f)
            found[path.relative_to(root)] = path.read_bytes()
    return found


def test_incremental_republish_rewrites_only_the_changed_project(fixture_wheels, tmp_path):
    wheels = good_wheels(fixture_wheels)
    (tmp_path / "own").mkdir()
    wheels[0] = Path(shutil.copy2(wheels[0], tmp_path / "own"))  # this test touches it
    root = tmp_path / "m"
    first = mirror.publish(wheels, root)
    page = root / "simple" / "purepkg" / "index.html"
    before = {p.name: os.stat(p / "index.html").st_ino for p in (root / "simple").iterdir() if p.is_dir()}
    same = mirror.publish(wheels, root)  # nothing changed: no new generation at all
    assert same.added == () and same.pages_written == 0 and same.pages_reused == first.projects
    new = make_wheel(tmp_path / "w", "newproj", "2.0", {"newproj.py": "X = 1\n"})
    grown = mirror.publish(wheels + [new], root)
    assert grown.added == (new.name,) and grown.pages_written == 1 and grown.pages_reused == first.projects
    after = {p.name: os.stat(p / "index.html").st_ino for p in (root / "simple").iterdir() if p.is_dir()}
    assert {k: v for k, v in after.items() if k != "newproj"} == before  # the same files: not rewritten
    gens = root / ".egg-migrate"  # ... and the new generation links to them through the same symlink inodes
    assert os.lstat(gens / "gen-000002" / "simple" / "purepkg").st_ino == \
        os.lstat(gens / "gen-000001" / "simple" / "purepkg").st_ino
    assert "newproj/" in [a["href"] for a in links(root / "simple" / "index.html")]
    shrunk = mirror.publish(wheels, root)
    assert shrunk.removed == (new.name,) and not (root / "simple" / "newproj").exists()
    assert page.read_text() == (root / "simple" / "purepkg" / "index.html").read_text()
    # newproj's wheel stays one more publish (a reader of the previous generation may still want it) ...
    assert (root / "packages" / new.name).exists()
    touched = wheels[0]
    os.utime(touched, ns=(1, 1))  # a new stat key with the same bytes: read again, same page
    again = mirror.publish(wheels, root)
    assert again.added == (touched.name,) and again.pages_written == 0 and again.removed == ()
    # ... and is gone after that, with its page and everything only older generations used.
    assert not (root / "packages" / new.name).exists()
    assert not (root / "packages" / (new.name + ".metadata")).exists()
    state = root / ".egg-migrate"
    assert sorted(p.name for p in state.iterdir() if p.name.startswith("gen-")) == ["gen-000003", "gen-000004"]
    assert len(list((state / "pages").iterdir())) == first.projects
    fresh = tmp_path / "fresh"  # four publishes later, readers see what one publish of these wheels shows
    mirror.publish(wheels, fresh)
    assert served_tree(root) == served_tree(fresh)
    assert Path("simple/purepkg/index.html") in served_tree(root)  # the project pages, read through the links


def test_a_crash_before_the_swap_leaves_the_old_mirror_serving(fixture_wheels, tmp_path, monkeypatch):
    wheels = good_wheels(fixture_wheels)
    root = tmp_path / "m"
    mirror.publish(wheels[:3], root)
    snapshot = served_tree(root)
    assert len(snapshot) >= 4  # the root pages and the project pages, read through the symlinks

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    stray = make_wheel(tmp_path / "w", "stray", "1.0", {"stray.py": ""})
    monkeypatch.setattr(publishing, "sync", crash)
    with pytest.raises(RuntimeError):
        mirror.publish(wheels + [stray], root)
    monkeypatch.undo()
    assert (root / "packages" / stray.name).exists()  # written before the crash ...
    assert served_tree(root) == snapshot  # ... yet readers still see exactly the old mirror
    for rel in snapshot:  # ... and every file it links to
        for a in links(root / rel) if rel.name == "index.html" and rel.parent.name != "simple" else []:
            assert ((root / rel).parent / a["href"].split("#")[0].replace("%2B", "+")).exists()
    report = mirror.publish(wheels, root)  # the next run finishes the job and clears the debris
    assert report.ok and report.files == len(wheels)
    assert not [p for p in (root / ".egg-migrate").iterdir() if ".tmp" in p.name]
    assert not (root / "packages" / stray.name).exists() and not list((root / "packages").glob("stray*"))
    assert served_tree(root) != snapshot and "stray" not in str(sorted(served_tree(root)))


def test_a_mirror_from_the_older_layout_is_taken_over(fixture_wheels, tmp_path):
    """A mirror published by the first layout (gen-N/state.json schema 1, real page folders) keeps serving
    while the new layout replaces it, and its files are collected once nothing refers to them."""
    wheels = good_wheels(fixture_wheels)
    root = tmp_path / "m"
    old_gen = root / ".egg-migrate" / "gen-000001"
    (old_gen / "simple" / "gone").mkdir(parents=True)
    (old_gen / "simple" / "index.html").write_text('<a href="gone/">gone</a>')
    (old_gen / "simple" / "gone" / "index.html").write_text('<a href="../../packages/gone-1.0-py3-none-any.whl">x</a>')
    (old_gen / "state.json").write_text(json.dumps({"schema": 1, "files": []}))
    (root / "packages").mkdir()
    (root / "packages" / "gone-1.0-py3-none-any.whl").write_bytes(b"old")
    os.symlink("gen-000001", root / ".egg-migrate" / "current")
    os.symlink(".egg-migrate/current/simple", root / "simple")
    first = mirror.publish(wheels, root)
    assert first.ok and first.pages_written == first.projects
    assert "gone/" not in [a["href"] for a in links(root / "simple" / "index.html")]
    assert old_gen.is_dir() and (root / "packages" / "gone-1.0-py3-none-any.whl").exists()  # still the previous
    mirror.publish(wheels, root)
    assert not old_gen.exists() and not (root / "packages" / "gone-1.0-py3-none-any.whl").exists()
    assert all((root / "packages" / w.name).exists() for w in wheels)


def test_link_mode_hard_links_and_equal_metadata_files_share_one_file(tmp_path):
    a = make_wheel(tmp_path / "w", "twin", "1.0", {"twin.py": ""}, tag="py2-none-any")
    b = make_wheel(tmp_path / "w", "twin", "1.0", {"twin.py": ""}, tag="py3-none-any")
    report = mirror.publish([a, b], tmp_path / "m", link=True)
    assert report.ok and report.files == 2
    packages = tmp_path / "m" / "packages"
    assert os.stat(packages / a.name).st_ino == os.stat(a).st_ino  # --link: no copy
    ma, mb = packages / (a.name + ".metadata"), packages / (b.name + ".metadata")
    assert ma.read_bytes() == mb.read_bytes() and os.stat(ma).st_ino == os.stat(mb).st_ino
    copied = mirror.publish([a, b], tmp_path / "c")
    assert copied.ok and os.stat(tmp_path / "c" / "packages" / a.name).st_ino != os.stat(a).st_ino


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


def test_a_torn_leftover_no_index_uses_is_replaced_in_place(tmp_path):
    wheel = make_wheel(tmp_path / "w", "torn", "1.0", {"torn.py": ""})
    (tmp_path / "m" / "packages").mkdir(parents=True)
    (tmp_path / "m" / "packages" / wheel.name).write_bytes(b"PK\x03\x04 torn")  # a killed copy
    (tmp_path / "m" / "packages" / (wheel.name + ".metadata")).write_bytes(b"Name: torn\n")
    (tmp_path / "m" / ".egg-migrate").mkdir()  # the killed publish recorded them before it made them
    (tmp_path / "m" / ".egg-migrate" / "placed").write_text(f"packages/{wheel.name}\npackages/{wheel.name}.metadata\n")
    report = mirror.publish([wheel], tmp_path / "m")
    assert report.ok
    (a,) = links(tmp_path / "m" / "simple" / "torn" / "index.html")
    assert a["href"].startswith(f"../../packages/{wheel.name}#")  # its own name, not a side folder
    assert (tmp_path / "m" / "packages" / wheel.name).read_bytes() == wheel.read_bytes()
    with zipfile.ZipFile(wheel) as zf:
        assert (tmp_path / "m" / "packages" / (wheel.name + ".metadata")).read_bytes() == \
            zf.read("torn-1.0.dist-info/METADATA")


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


def test_two_wheels_with_one_name_keep_the_first(tmp_path):
    one = make_wheel(tmp_path / "a", "dup", "1.0", {"dup.py": "V = 1\n"})
    two = make_wheel(tmp_path / "b", "dup", "1.0", {"dup.py": "V = 2\n"})
    same = shutil.copy2(one, tmp_path / "c.whl.d")
    report = mirror.publish([one, two], tmp_path / "m")
    assert [p.code for p in report.problems] == ["R003"] and report.files == 1
    assert (tmp_path / "m" / "packages" / one.name).read_bytes() == one.read_bytes()
    assert not list((tmp_path / "m" / "packages").glob("*/*.whl"))  # the loser was never stored
    (tmp_path / "c").mkdir()
    same = Path(shutil.move(same, tmp_path / "c" / one.name))
    again = mirror.publish([one, same], tmp_path / "m")  # equal bytes: no complaint
    assert again.ok and again.files == 1


# ---------------------------------------------------------------- the process pool

def mirror_files(root: Path) -> dict:
    """{path: bytes, or the target of a symlink} of everything in a mirror but its lock."""
    found = {}
    for dirpath, dirs, files in os.walk(root):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(dirpath, d))]:
            path = Path(dirpath, name)
            rel = str(path.relative_to(root))
            if name != "lock":
                found[rel] = ("->", os.readlink(path)) if path.is_symlink() else path.read_bytes()
    return found


@pytest.mark.parametrize("ship_bytes", [1 << 20, 0], ids=["bytes-from-the-pool", "copied-from-the-file"])
def test_the_pool_publishes_the_same_mirror_as_one_process(tmp_path, monkeypatch, ship_bytes):
    w = tmp_path / "w"
    wheels = []
    for i in range(6):  # releases of several wheels: their .metadata files are shared
        for tag in ("py2-none-any", "py3-none-any", "cp27-cp27mu-linux_x86_64_ubuntu_14_04"):
            wheels.append(make_wheel(w, f"proj{i}", f"1.{i}", {f"proj{i}.py": f"V = {i}\n"}, tag=tag,
                                     requires_python=">=2.7" if i % 2 else None))
    expected_added = tuple(sorted(p.name for p in wheels))  # the 18 good ones, before the bad and the clash join
    bad = w / "broken-1.0-py3-none-any.whl"
    bad.write_bytes(b"not a zip")
    other = make_wheel(tmp_path / "x", "proj1", "1.1", {"proj1.py": "V = 'else'\n"}, tag="py2-none-any")
    wheels[1:1] = [bad, other]  # a bad wheel, and a second wheel with a name already given
    monkeypatch.setattr(pool, "SHIP_BYTES", ship_bytes)  # 0: every wheel as if too big to send back
    mirrors, pooled_calls = {}, []
    real_map = pool.bounded_map
    monkeypatch.setattr(pool, "bounded_map", lambda func, *a: pooled_calls.append(func.__name__) or real_map(func, *a))
    for jobs, pool_min in ((1, 10**9), (2, 1)):
        root = tmp_path / f"m{jobs}"
        clash = make_wheel(tmp_path / "clash", "proj0", "1.0", {"proj0.py": "torn"}, tag="py3-none-any")
        (root / "packages").mkdir(parents=True)
        shutil.copy(clash, root / "packages" / clash.name)  # a leftover holding a wheel's name
        (root / ".egg-migrate").mkdir()  # left by a killed publish, which recorded it first
        (root / ".egg-migrate" / "placed").write_text(f"packages/{clash.name}\n")
        monkeypatch.setattr(pool, "_POOL_MIN", pool_min)
        monkeypatch.setattr(pool, "_PER_TASK", 2)  # many more tasks than the pool takes at once
        report = mirror.publish(wheels, root, jobs=jobs)
        mirrors[jobs] = report, mirror_files(root)
    (one, one_files), (pooled, pooled_files) = mirrors[1], mirrors[2]
    assert pooled_calls == ["read_wheels", "render_pages"]  # only the second publish used the pool
    assert [(p.code, p.message) for p in one.problems] == [(p.code, p.message) for p in pooled.problems]
    assert [p.code for p in one.problems] == ["R002", "R003"]
    assert (one.files, one.added, one.distros, one.pages_written) == \
        (pooled.files, pooled.added, pooled.distros, pooled.pages_written) == (18, expected_added, ("ubuntu_14_04",), 12)
    assert one_files == pooled_files  # pages, wheels, .metadata files, state, generation: byte for byte
    assert served_tree(tmp_path / "m1") == served_tree(tmp_path / "m2")
    assert (tmp_path / "m2" / "packages" / "proj0-1.0-py3-none-any.whl").read_bytes() == wheels[3].read_bytes()


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


def test_a_second_publish_into_the_same_mirror_is_refused(tmp_path):
    """One publish at a time: another process holding the mirror's lock gets one clear line, exit 1."""
    import sys

    mirror_dir = tmp_path / "mirror"
    (mirror_dir / ".egg-migrate").mkdir(parents=True)
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    make_wheel(wheels, "demo", "1.0", {"demo.py": ""})
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys\n"
        f"fd = os.open({str(mirror_dir / '.egg-migrate' / 'lock')!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.lockf(fd, fcntl.LOCK_EX)\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        proc = in_process(["publish", wheels, "-o", mirror_dir])  # the lock is another process's
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert proc.returncode == 1
    assert "another publish is running" in proc.stderr
    assert not (mirror_dir / "simple").exists()


def test_a_missing_wheel_folder_publishes_nothing(tmp_path, published):
    """publish makes the mirror serve exactly what it is given: a typo must not empty it."""
    import shutil

    mirror_dir = tmp_path / "mirror"
    shutil.copytree(published[0], mirror_dir, symlinks=True)
    before = sorted(p.name for p in (mirror_dir / "packages").iterdir())
    proc = in_process(["publish", tmp_path / "wheelz", "-o", mirror_dir])
    assert proc.returncode == 1
    assert "wheelz: no such file or folder" in proc.stderr and "nothing published" in proc.stderr
    assert sorted(p.name for p in (mirror_dir / "packages").iterdir()) == before


def test_a_publish_leaves_no_parsed_names_behind(tmp_path):
    """The name caches serve one publish; a run's pin stage must not inherit 16,000 parsed names."""
    from migrate.mirror import wheels

    made = [make_wheel(tmp_path / "w", f"cached{n}", "1.0", {f"cached{n}.py": ""}) for n in range(3)]
    assert mirror.publish(made, tmp_path / "m").ok
    cached = (wheels._name_version, wheels._key_prefix, wheels._canonical)
    assert [f.cache_info().currsize for f in cached] == [0, 0, 0]
    assert wheels.one_file_key(made[0].name) == made[0].name[:-len(".whl")]  # the names still parse
