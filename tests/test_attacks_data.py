"""Data safety (issue 15): never lose or shrink what was published, never delete or overwrite
what the tool did not create. Each test reproduces an attack that worked before its fix.

Loopback servers only (tests/servers.py); runs are in process with fast retries.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from migrate import mirror
from migrate.cli import main as cli
from migrate.fetch.fetching import FetchOptions
from migrate.fetch.net import NetOptions
from migrate.mirror import publishing
from migrate.run import pipeline, runstate
from migrate.run.pipeline import RunOptions
from tests import read_only
from tests.servers import Faults, TreeServer, egg_bytes, simple_index
from tests.test_mirror import mirror_files
from tests.wheelmaker import links, make_wheel

FAST = FetchOptions(net=NetOptions(backoff=0.001, retries=1, connect_timeout=5, read_timeout=10))
EGGS = {"alpha-1.0-py2.7.egg": egg_bytes("alpha", "1.0"), "beta-2.0-py2.7.egg": egg_bytes("beta", "2.0")}


def _run(out: Path, source: str, lines: list = None):
    say = lines.append if lines is not None else (lambda line: None)
    return pipeline.run(RunOptions(out=out, source=source, jobs=1, fetch_options=FAST), say=say, bars=False)


def _served(out: Path) -> set:
    """Wheel file names the mirror's project pages link to."""
    found = set()
    for page in (out / "mirror" / "simple").glob("*/index.html"):
        text = page.read_text()
        found.update(part.split('"')[0].split("#")[0].rsplit("/", 1)[-1]
                     for part in text.split('href="')[1:] if ".whl" in part.split('"')[0])
    return found


def _pins(out: Path) -> set:
    return {line.split("==")[0] for line in (out / "requirements.txt").read_text().splitlines()
            if "==" in line and not line.startswith("#")}


def _records(report) -> dict:
    return {Path(r.egg).name: r for r in report.records}


# ---------------------------------------------------------------- a failed fetch never unpublishes

def test_a_listing_that_fails_keeps_its_project_published_and_pinned(tmp_path):
    """Attack: one project's listing answers 503. Before: "1 converted, 0 failed", the mirror dropped
    the project and requirements.txt lost its pin. Now it stays, the egg is failed with the reason."""
    repo, out = tmp_path / "repo", tmp_path / "out"
    simple_index(repo, EGGS)
    with TreeServer(repo) as server:
        first = _run(out, server.url + "simple/")
    assert first.ok, first.errors
    assert _served(out) == {"alpha-1.0-py2-none-any.whl", "beta-2.0-py2-none-any.whl"}
    assert _pins(out) == {"alpha", "beta"}
    lines: list = []
    with TreeServer(repo, Faults(fail_503={"/simple/beta/": -1})) as server:
        second = _run(out, server.url + "simple/", lines)
    assert not second.ok
    beta = _records(second)["beta-2.0-py2.7.egg"]
    assert beta.status == "failed" and "503" in beta.reason and "stays published" in beta.reason, beta.reason
    assert _served(out) == {"alpha-1.0-py2-none-any.whl", "beta-2.0-py2-none-any.whl"}
    assert _pins(out) == {"alpha", "beta"}
    assert "beta-2.0-py2.7.egg" in (out / "report.txt").read_text()
    # really gone: the listing answers 200 without beta -> it leaves the mirror, and the run says so
    shutil.rmtree(repo)
    simple_index(repo, {"alpha-1.0-py2.7.egg": EGGS["alpha-1.0-py2.7.egg"]})
    lines.clear()
    with TreeServer(repo) as server:
        third = _run(out, server.url + "simple/", lines)
    assert third.ok, third.errors
    assert _served(out) == {"alpha-1.0-py2-none-any.whl"}
    assert _pins(out) == {"alpha"}
    assert any("beta-2.0-py2.7.egg" in line and "no longer in the source" in line for line in lines), lines
    assert "Gone from the source (their wheels left the mirror)\n  beta-2.0-py2.7.egg\n" in (out / "report.txt").read_text()


def test_downloads_that_all_fail_keep_every_wheel(tmp_path):
    """Attack: every download of a flat listing fails. Before: the mirror lost every wheel."""
    repo, out = tmp_path / "repo", tmp_path / "out"
    (repo / "flat").mkdir(parents=True)
    for name, data in EGGS.items():
        (repo / "flat" / name).write_bytes(data)
    with TreeServer(repo) as server:
        assert _run(out, server.url + "flat/").ok
    shutil.rmtree(out / "eggs")  # nothing to reuse: each egg must be downloaded again
    broken = Faults(fail_503={f"/flat/{name}": -1 for name in EGGS})
    with TreeServer(repo, broken) as server:
        second = _run(out, server.url + "flat/")
    assert not second.ok
    assert {name: r.status for name, r in _records(second).items()} == {name: "failed" for name in EGGS}
    assert _served(out) == {"alpha-1.0-py2-none-any.whl", "beta-2.0-py2-none-any.whl"}
    assert _pins(out) == {"alpha", "beta"}


# ---------------------------------------------------------------- publish: a sync that cannot shrink by accident

def _wheels(folder: Path, n: int, version: str = "1.0") -> list:
    return [make_wheel(folder, f"proj{i}", version, {f"proj{i}.py": f"V = {version!r}\n"}) for i in range(n)]


def test_a_publish_that_would_shrink_the_mirror_below_half_is_refused(tmp_path, capsys):
    """Attack: a second publish given one wheel of four (or none) emptied the mirror. Now it refuses,
    says what would go, and changes nothing; --allow-shrink publishes it."""
    wheels, root = _wheels(tmp_path / "w", 4), tmp_path / "m"
    assert cli(["publish", *map(str, wheels), "-o", str(root)]) == 0
    before = mirror_files(root)
    capsys.readouterr()
    assert cli(["publish", str(wheels[0]), "-o", str(root)]) == 1
    err = capsys.readouterr().err
    assert "--allow-shrink" in err and "3 of 4" in err and wheels[3].name in err, err
    assert mirror_files(root) == before
    with pytest.raises(mirror.MirrorError, match="remove 4 of 4"):
        mirror.publish([], root)
    assert mirror_files(root) == before
    assert cli(["publish", str(wheels[0]), str(wheels[1]), "-o", str(root)]) == 0  # half is not under half
    assert mirror.publish([wheels[0]], root, mode=mirror.PublishMode(allow_shrink=True)).removed == (wheels[1].name,)


def test_publish_add_merges_and_refuses_a_same_name_different_file(tmp_path, capsys):
    """issue 14: a second publish with a new batch removed the first. ``--add`` never removes, and
    refuses a wheel whose name is served with other bytes (one line)."""
    first, root = _wheels(tmp_path / "a", 2), tmp_path / "m"
    assert cli(["publish", *map(str, first), "-o", str(root)]) == 0
    second = make_wheel(tmp_path / "b", "other", "1.0", {"other.py": ""})
    changed = make_wheel(tmp_path / "c", "proj0", "1.0", {"proj0.py": "V = 'changed'\n"})
    capsys.readouterr()
    assert cli(["publish", "--add", str(second), str(changed), "-o", str(root)]) == 1
    err = capsys.readouterr().err
    assert f"{changed.name}: the mirror serves another file of this name" in err, err
    served = {a["href"].split("#")[0].rsplit("/", 1)[-1] for page in (root / "simple").glob("*/index.html")
              for a in links(page)}
    assert served == {first[0].name, first[1].name, second.name}
    proj0 = next((root / "simple" / "proj0").glob("index.html"))
    (a,) = links(proj0)
    assert a["href"].endswith("sha256=" + hashlib.sha256(first[0].read_bytes()).hexdigest())


def test_publish_dry_run_says_what_would_change_and_writes_nothing(tmp_path, capsys):
    wheels, root = _wheels(tmp_path / "w", 3), tmp_path / "m"
    assert cli(["publish", *map(str, wheels[:2]), "-o", str(root)]) == 0
    before = mirror_files(root)
    capsys.readouterr()
    assert cli(["publish", "--dry-run", str(wheels[1]), str(wheels[2]), "-o", str(root), "--allow-shrink"]) == 0
    out = capsys.readouterr()
    assert f"add     {wheels[2].name}" in out.out and f"remove  {wheels[0].name}" in out.out, out
    assert f"{wheels[1].name}" not in out.out
    assert mirror_files(root) == before
    fresh = tmp_path / "fresh"
    assert cli(["publish", "--dry-run", str(wheels[0]), "-o", str(fresh)]) == 0
    assert not fresh.exists()


# ---------------------------------------------------------------- publish: never delete what it did not create

def test_publish_and_its_recovery_leave_files_it_did_not_make(tmp_path, monkeypatch):
    """Attack: publish deleted m/site/simple; its recovery sweep deleted m/packages/README.txt and
    m/docs/packages/manual.txt. A publish may remove only what it recorded as its own (even a
    wheel-named file of the user's in packages/ stays)."""
    wheels, root = _wheels(tmp_path / "w", 3), tmp_path / "m"
    mine = {"site/simple": b"user file\n", "packages/README.txt": b"read me\n",
            "docs/packages/manual.txt": b"manual\n", "packages/notes/todo.txt": b"todo\n",
            "packages/mine-1.0-py3-none-any.whl": b"a wheel of mine, never published\n"}
    for rel, data in mine.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    mirror.publish(wheels[:2], root)

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(publishing, "sync", crash)
    with pytest.raises(RuntimeError):
        mirror.publish(wheels, root)
    monkeypatch.undo()
    report = mirror.publish(wheels[1:], root, mode=mirror.PublishMode(allow_shrink=True))  # the recovery sweep runs here
    assert report.ok and report.removed == (wheels[0].name,)
    mirror.publish(wheels[2:], root, mode=mirror.PublishMode(allow_shrink=True))  # and the usual collection here
    for rel, data in mine.items():
        assert (root / rel).read_bytes() == data, rel
    assert not list((root / "packages").glob("proj0*"))  # what publish made still goes (one publish later)


def test_a_user_folder_where_an_index_goes_is_refused_before_any_write(tmp_path, capsys):
    """Attack: a folder m/web/simple/ made every publish of a ``linux_x86_64_web`` build exit 1 after
    the swap, leaving a new generation behind. Now it is refused up front, nothing written."""
    root = tmp_path / "m"
    (root / "web" / "simple").mkdir(parents=True)
    (root / "web" / "simple" / "page.html").write_text("mine\n")
    wheel = make_wheel(tmp_path / "w", "webby", "1.0", {"webby.py": ""}, tag="cp27-cp27mu-linux_x86_64_web")
    assert cli(["publish", str(wheel), "-o", str(root)]) == 1
    err = capsys.readouterr().err
    assert f"{root / 'web' / 'simple'}: a folder not made by egg-migrate publish" in err, err
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*")) == ["web", "web/simple",
                                                                          "web/simple/page.html"]


def test_a_wheel_whose_metadata_inflates_to_gigabytes_is_refused_cheaply(tmp_path):
    """Attack: a 1 MB wheel whose METADATA inflates to 1 GiB cost 2.1 GB of memory and wrote a 1 GiB
    .metadata file. The METADATA read is capped: the wheel is refused with a line, the rest published."""
    good = make_wheel(tmp_path / "w", "good", "1.0", {"good.py": ""})
    bomb = tmp_path / "w" / "bomb-1.0-py2.py3-none-any.whl"
    head = b"Metadata-Version: 2.1\nName: bomb\nVersion: 1.0\n\n"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("bomb-1.0.dist-info/METADATA", "w", force_zip64=True) as fp:
            fp.write(head)
            block = b"\0" * (1 << 20)
            for _ in range(64):  # 64 MiB inflated, about 64 KB in the archive
                fp.write(block)
        zf.writestr("bomb-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nTag: py2-none-any\n")
    assert bomb.stat().st_size < 1 << 20
    report = mirror.publish([good, bomb], tmp_path / "m")
    assert [p.code for p in report.problems] == ["R002"]
    assert "METADATA" in report.problems[0].message and "limit" in report.problems[0].message
    assert report.files == 1 and not list((tmp_path / "m" / "packages").glob("bomb*"))


def test_a_run_whose_source_shrinks_below_half_does_not_shrink_the_mirror(tmp_path):
    """The run's publish is the same sync: a source that answers with one egg of three leaves the
    mirror as it was (exit 1, the reason said) unless --allow-shrink."""
    repo, out = tmp_path / "repo", tmp_path / "out"
    eggs = dict(EGGS, **{"gamma-3.0-py2.7.egg": egg_bytes("gamma", "3.0")})
    simple_index(repo, eggs)
    with TreeServer(repo) as server:
        assert _run(out, server.url + "simple/").ok
    shutil.rmtree(repo)
    simple_index(repo, {"alpha-1.0-py2.7.egg": EGGS["alpha-1.0-py2.7.egg"]})
    with TreeServer(repo) as server:
        second = _run(out, server.url + "simple/")
        assert not second.ok
        assert any("--allow-shrink" in e and "remove 2 of 3" in e for e in second.errors), second.errors
        assert len(_served(out)) == 3
        options = RunOptions(out=out, source=server.url + "simple/", jobs=1, fetch_options=FAST, allow_shrink=True)
        assert pipeline.run(options, bars=False).ok
    assert _served(out) == {"alpha-1.0-py2-none-any.whl"}


# ---------------------------------------------------------------- run: never delete what it did not create

def test_the_run_sweep_leaves_a_users_temp_looking_files(tmp_path):
    """Attack: ``run -o OUT`` swept every ``*.tmp-*`` / ``.tmp`` anywhere under OUT: a user's
    ``OUT/notes/draft.tmp-1`` was deleted. Then it swept every name of a temp name's shape in the
    folders the run owns: a user's ``OUT/eggs/.notes.abc123.tmp`` was deleted. Now only the temp
    names that carry a token a run recorded in its state go."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "alpha-1.0-py2.7.egg").write_bytes(EGGS["alpha-1.0-py2.7.egg"])
    out = tmp_path / "out"
    users = ["notes/draft.tmp-1", "notes/.draft.abcdefgh.tmp", "notes/deep/.x.tmp-3", "draft.tmp-2",
             "eggs/draft.tmp-4", "mirror/notes/.y.tmp-5",
             # the shapes of the run's own temp names, in each folder the run owns
             ".notes.abc123.tmp", ".manifest.json.k2j4_x9a.tmp", "eggs/.notes.abc123.tmp",
             "eggs/.alpha-1.0-py2.7.egg.tmp-12-140211", "eggs/.a.old-1-2", "wheels/.x.tmp-12",
             "wheels/.a.b.abcdefgh.tmp", ".state/.y.tmp-3", ".state/convert/.k.tmp-42"]
    _write(out, users)
    lines: list = []
    assert _run(out, str(tmp_path / "src"), lines).ok
    assert [rel for rel in users if not (out / rel).is_file()] == []
    assert "resume" not in "\n".join(lines)
    # What a run killed after that one left: temp names carrying the token it recorded.
    [token] = runstate.recorded_tokens(out / ".state")
    ours = [f".manifest.json.{token}.k2j4_x9a.tmp", f"eggs/.alpha-1.0-py2.7.egg.{token}.tmp-12-140211",
            f".state/convert/.k.{token}.tmp-42", f"wheels/.alpha-1.0-py2-none-any.whl.{token}.tmp-7"]
    _write(out, ours)
    assert _run(out, str(tmp_path / "src"), lines).ok
    assert [rel for rel in users if not (out / rel).is_file()] == []
    assert [rel for rel in ours if (out / rel).exists()] == []
    assert "resume: removed 4 temp files" in "\n".join(lines)
    assert runstate.recorded_tokens(out / ".state") not in ([], [token])  # swept tokens are forgotten


def _write(out: Path, rels: list) -> None:
    for rel in rels:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text("mine\n")


# ---------------------------------------------------------------- output paths the file system refuses

SAMPLE_EGG = next((Path(__file__).resolve().parents[1] / "data" / "sample-repo").glob("*/*-py2.7.egg"))


def _one_line(capsys, path) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert str(path) in err, err
    return err


@pytest.mark.parametrize("command", ["convert", "fetch", "run", "publish", "pin"])
def test_an_output_path_that_is_a_file_is_one_line_and_exit_1(tmp_path, capsys, command):
    """Attack: ``-d``/``-o`` naming a file printed a traceback in convert, run, fetch and pin."""
    afile = tmp_path / "afile"
    afile.write_text("mine\n")
    wheel = make_wheel(tmp_path / "w", "proj", "1.0", {"proj.py": ""})
    argv = {"convert": ["convert", str(SAMPLE_EGG), "-d", str(afile / "sub")],
            "fetch": ["fetch", str(SAMPLE_EGG.parent), "-d", str(afile)],
            "run": ["run", str(SAMPLE_EGG.parent), "-o", str(afile)],
            "publish": ["publish", str(wheel), "-o", str(afile)],
            "pin": ["pin", "proj", "--target-python", "2.7", "--mirror", str(tmp_path / "m"), "-o", str(tmp_path)]}[command]
    if command == "pin":
        assert cli(["publish", str(wheel), "-o", str(tmp_path / "m")]) == 0
        capsys.readouterr()
    assert cli(argv) == 1
    err = _one_line(capsys, afile if command != "pin" else tmp_path)
    assert "cannot write" in err or "a folder not made" in err or "not a folder" in err, err
    assert afile.read_text() == "mine\n"


def test_a_name_too_long_is_one_line(tmp_path, capsys):
    long = tmp_path / ("a" * 300)
    assert cli(["convert", str(SAMPLE_EGG), "-d", str(long)]) == 1
    assert "file name too long" in _one_line(capsys, long)


def test_a_full_disk_is_one_line_and_leaves_nothing_half_written(tmp_path, capsys, monkeypatch):
    """ENOSPC while the pins are written: one line naming the file, exit 1, no file, no temp file."""
    import errno

    wheel = make_wheel(tmp_path / "w", "proj", "1.0", {"proj.py": ""})
    assert cli(["publish", str(wheel), "-o", str(tmp_path / "m")]) == 0
    capsys.readouterr()

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    target = tmp_path / "pins" / "requirements.txt"
    assert cli(["pin", "proj", "--target-python", "2.7", "--mirror", str(tmp_path / "m"), "-o", str(target)]) == 1
    assert "no space left" in _one_line(capsys, target)
    assert list((tmp_path / "pins").iterdir()) == []


@pytest.mark.parametrize("way", sorted(read_only.WAYS))
def test_a_read_only_folder_is_one_line(tmp_path, way):
    """A folder the kernel refuses to write into, made read-only three ways: mode bits (not for
    root, who writes through them), the immutable attribute, a read-only bind mount (each in the
    way the system allows; skipped with the reason only where it has none)."""
    ro = tmp_path / "ro"
    ro.mkdir()
    with read_only.folder(ro, way) as refusal:
        done = read_only.cli_in(ro, way, ["convert", str(SAMPLE_EGG), "-d", str(ro / "wheels")])
    assert done.returncode == 1, done
    err = done.stderr
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert f"{ro / 'wheels'}: cannot write ({refusal})" in err, err
    assert not (ro / "wheels").exists()


# ---------------------------------------------------------------- eggs: a develop .egg-info cannot reach out of its tree

def test_a_develop_egg_info_whose_package_folder_links_out_of_the_tree_is_refused(tmp_path, capsys):
    """Attack: ``demo/`` beside ``demo.egg-info`` a symlink to a folder elsewhere: its files went into
    the wheel. A folder egg's symlink is refused; so is this one."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "__init__.py").write_text("SECRET = 'from outside the tree'\n")
    project = tmp_path / "project"
    info = project / "demo.egg-info"
    info.mkdir(parents=True)
    (info / "PKG-INFO").write_text("Metadata-Version: 1.0\nName: demo\nVersion: 1.0\n")
    (info / "top_level.txt").write_text("demo\n")
    (project / "demo").symlink_to(outside, target_is_directory=True)
    assert cli(["convert", str(info), "-d", str(tmp_path / "wheels")]) == 1
    err = capsys.readouterr().err
    assert "demo is a symlink" in err, err
    assert not list((tmp_path / "wheels").glob("*.whl"))


def test_fetch_into_a_folder_another_process_is_fetching_into_is_refused(tmp_path, capsys):
    """``fetch -d`` takes the lock a run's fetch takes: two writers never share an egg folder."""
    import subprocess
    import sys

    eggs = tmp_path / "eggs"
    eggs.mkdir()
    code = ("import sys; from pathlib import Path; from migrate.fetch.fetching import dest_lock\n"
            "with dest_lock(Path(sys.argv[1])):\n    print('locked', flush=True); sys.stdin.read()\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(eggs)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, cwd=Path(__file__).resolve().parents[1])
    try:
        assert holder.stdout.readline() == "locked\n"
        assert cli(["fetch", str(SAMPLE_EGG.parent), "-d", str(eggs)]) == 1
        err = capsys.readouterr().err
        assert "another egg-migrate fetch or run is writing eggs here" in err and "Traceback" not in err, err
        assert sorted(p.name for p in eggs.iterdir()) == [".egg-migrate-fetch.lock"]
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert cli(["fetch", str(SAMPLE_EGG.parent), "-d", str(eggs)]) == 0


def test_docs_security_lists_every_test_here_and_only_those():
    """docs/security.rst's table names the test of each promise: none missing, none made up."""
    import re

    text = (Path(__file__).resolve().parents[1] / "docs" / "security.rst").read_text("utf-8")
    section = text.split("Data safety\n-----------", 1)[1].split("\nNetwork\n-------\n", 1)[0]
    named = set(re.findall(r"``(test_\w+)``", section))
    here = {name for name in globals() if name.startswith("test_")} - {"test_docs_security_lists_every_test_here_and_only_those"}
    assert named == here


def test_publish_draws_a_bar_that_steps_per_wheel(tmp_path, monkeypatch):
    """issue 14: the publish bar sat at 0 and jumped to 100%. It now steps once per wheel sorted,
    while wheels are read and placed, with the total known up front."""
    from migrate.commands import progress

    seen: list = []

    class Recorder:
        def __init__(self, desc, total, unit, **options):
            seen.append(("start", total))

        def update(self, n=1):
            seen.append(("step", len(list((tmp_path / "m" / "packages").glob("*.whl")))))

        def close(self):
            seen.append(("close",))

    monkeypatch.setattr(progress, "on_terminal", lambda: True)
    monkeypatch.setattr(progress, "bar", Recorder)
    wheels = _wheels(tmp_path / "w", 3)
    assert cli(["publish", *map(str, wheels), "-o", str(tmp_path / "m")]) == 0
    assert seen == [("start", 3), ("step", 1), ("step", 2), ("step", 3), ("close",)]


def test_an_egg_left_out_by_project_is_not_called_gone(tmp_path):
    """``--project alpha`` leaves beta out on purpose: the run must not claim beta left the source."""
    repo, out = tmp_path / "repo", tmp_path / "out"
    simple_index(repo, EGGS)
    with TreeServer(repo) as server:
        assert _run(out, server.url + "simple/").ok
        lines: list = []
        options = RunOptions(out=out, source=server.url + "simple/", jobs=1, fetch_options=FAST, projects=("alpha",))
        report = pipeline.run(options, say=lines.append, bars=False)
    assert report.ok and report.gone == ()
    assert not [line for line in lines if "GONE" in line], lines
