"""``egg-migrate run``: resumable after kill -9 anywhere, idempotent, redoes changed eggs only.

Every kill test first makes an uninterrupted run in the same folder (then moved
aside), so the outputs can be compared byte for byte (the manifest and the
requirements name OUT by its absolute path). Runs are subprocesses
(``python -m migrate run``) in their own session; the kill point is chosen
deterministically, either with the pipeline's documented hook
(``EGG_MIGRATE_TEST_KILL_AFTER``) or, for points inside other modules, by a
wrapper that SIGKILLs the process from inside the function named below.
Leftover pool workers are killed by process group after each run.
"""
from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
import zipfile
from pathlib import Path

import pytest

from migrate import interpreters
from migrate.run import pipeline, runstate, wheelstore
from migrate.run.pipeline import KILL_ENV, RunOptions

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample-repo"
TIMEOUT = 300

# Code run before ``migrate.cli.main`` in the child: SIGKILL at a point inside another module.
_PRELUDE = """\
import os, signal, sys
def _die():
    os.kill(os.getpid(), signal.SIGKILL)
_n = [0]
"""
PATCHES = {
    # fetch: the 5th egg copied to its temp name and verified, not yet renamed into eggs/
    "fetch-copy": """
_replace = os.replace
def replace(src, dst, *a, **k):
    if "/eggs/" in str(dst) and str(dst).endswith(".egg"):
        _n[0] += 1
        if _n[0] == 5:
            _die()
    return _replace(src, dst, *a, **k)
os.replace = replace
""",
    # convert: the 3rd wheel complete under its temp name, not yet renamed
    "wheel-temp": """
_orig = os.replace
def replace(src, dst, *a, **k):
    if str(dst).endswith(".whl"):
        _n[0] += 1
        if _n[0] == 3:
            _die()
    return _orig(src, dst, *a, **k)
os.replace = replace
""",
    # publish: the 3rd wheel torn while being placed into mirror/packages/ (whatever way the
    # mirror places it: os.open, open(), shutil.copyfile, or os.link, where the run links
    # wheels: a link cannot be torn, so the worst case of a copy is left there instead)
    "mirror-package": """
import builtins, shutil
def _torn(path):
    path = str(path)
    if "/mirror/" in path and "/packages/" in path and path.endswith(".whl"):
        _n[0] += 1
        if _n[0] == 3:
            fd = _os_open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(fd, b"PK\\x03\\x04 torn")
            os.close(fd)
            _die()
_os_open, _open, _copyfile = os.open, builtins.open, shutil.copyfile
def os_open(path, flags, *a, **k):
    if flags & (os.O_WRONLY | os.O_RDWR):
        _torn(path)
    return _os_open(path, flags, *a, **k)
def open_(file, mode="r", *a, **k):
    if isinstance(file, (str, bytes, os.PathLike)) and any(c in mode for c in "wxa"):
        _torn(os.fsdecode(file))
    return _open(file, mode, *a, **k)
def copyfile(src, dst, *a, **k):
    _torn(dst)
    return _copyfile(src, dst, *a, **k)
_os_link = os.link
def link(src, dst, *a, **k):
    _torn(os.fsdecode(dst))
    return _os_link(src, dst, *a, **k)
os.open, builtins.open, shutil.copyfile, os.link = os_open, open_, copyfile, link
""",
    # publish: every page of the new index written, the switch of mirror/.egg-migrate/current
    # (one rename, docs/mirror.rst) not yet made
    "mirror-generation": """
_replace, _rename = os.replace, os.rename
def _switch(dst):
    if str(dst).endswith("/.egg-migrate/current"):
        _die()
def replace(src, dst, *a, **k):
    _switch(dst)
    return _replace(src, dst, *a, **k)
def rename(src, dst, *a, **k):
    _switch(dst)
    return _rename(src, dst, *a, **k)
os.replace, os.rename = replace, rename
""",
}


def migrate_run(out: Path, *args, kill: str = None, patch: str = None, source=None) -> subprocess.CompletedProcess:
    """``python -m migrate run [SOURCE] -o OUT ARGS``; stdout/stderr via files (orphans cannot block us)."""
    env = interpreters.pip_env()
    env.pop(KILL_ENV, None)
    if kill:
        env[KILL_ENV] = kill
    argv = ["run"] + ([str(source)] if source else []) + ["-o", str(out), *args]
    if patch:
        code = _PRELUDE + PATCHES[patch] + "from migrate.cli import main\nsys.exit(main(sys.argv[1:]))\n"
        cmd = [sys.executable, "-c", code, *argv]
    else:
        cmd = [sys.executable, "-m", "migrate", *argv]
    logs = out.parent / f".logs-{out.name}"
    logs.mkdir(exist_ok=True)
    with open(logs / "stdout", "w+") as so, open(logs / "stderr", "w+") as se:
        proc = subprocess.Popen(cmd, stdout=so, stderr=se, env=env, cwd=ROOT, start_new_session=True)
        try:
            rc = proc.wait(timeout=TIMEOUT)
        finally:
            try:  # pool workers a SIGKILLed run leaves behind, in the session it started
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        so.seek(0)
        se.seek(0)
        return subprocess.CompletedProcess(cmd, rc, so.read(), se.read())


def served(out: Path) -> list:
    """Every file under OUT/mirror/simple/ as pip reads it: through the symlinked project folders
    (a ``**`` glob does not descend into those, and would see only the root pages)."""
    found = []
    for dirpath, _dirnames, filenames in os.walk(out / "mirror" / "simple", followlinks=True):
        found += [Path(dirpath, f) for f in filenames]
    return sorted(found)


def snapshot(out: Path) -> dict:
    """{relative path: bytes} of every output a person uses (mirror pages read through simple/)."""
    files = {}
    for rel in ("manifest.json", "requirements.txt", "report.txt"):
        if (out / rel).exists():
            files[rel] = (out / rel).read_bytes()
    for pattern in ("eggs/*.egg", "wheels/*", "mirror/packages/**/*"):
        for path in sorted(out.glob(pattern)):
            if path.is_file():
                files[str(path.relative_to(out))] = path.read_bytes()
    for path in served(out):
        files[str(path.relative_to(out))] = path.read_bytes()
    return files


def listing(out: Path) -> set:
    """Every file name under OUT outside the state folders (where generations are numbered);
    mirror/simple/ is read through its symlinks, as pip reads it."""
    found = set()
    for dirpath, dirnames, filenames in os.walk(out, followlinks=True):
        rel = os.path.relpath(dirpath, out)
        dirnames[:] = [d for d in dirnames if not (rel == "." and d == ".state")
                       and not (rel == "mirror" and d == ".egg-migrate")]
        found.update(os.path.normpath(os.path.join(rel, f)) for f in filenames)
    return found


TEMP = re.compile(r"\.tmp|tmp-|\.part$|\.old-")


def leftovers(out: Path) -> list:
    """Temp and partial files anywhere under OUT, state folders included."""
    bad = []
    for dirpath, dirnames, filenames in os.walk(out):
        bad += [os.path.join(dirpath, n) for n in dirnames + filenames if TEMP.search(n)]
    return bad


def reference(tmp_path: Path, *args) -> tuple:
    """An uninterrupted run made at tmp_path/out, moved to tmp_path/ref: (snapshot, listing)."""
    out = tmp_path / "out"
    result = migrate_run(out, *args)
    assert result.returncode == 1, result.stderr  # the sample's broken egg
    ref = tmp_path / "ref"
    out.rename(ref)
    files, names = snapshot(ref), listing(ref)
    page = "mirror/simple/sampledep/index.html"  # project pages are compared, not only the root's
    assert page in files and page in names, sorted(files)
    return files, names


def assert_same_as(ref: tuple, out: Path) -> None:
    files, names = ref
    now = snapshot(out)
    assert sorted(now) == sorted(files)
    changed = [name for name in files if now[name] != files[name]]
    assert not changed, f"differ from the uninterrupted run: {changed}"
    assert listing(out) == names
    assert not leftovers(out), leftovers(out)


def assert_whole(out: Path) -> None:
    """What a killed run left: every output that exists is complete (or a temp name)."""
    for wheel in out.glob("wheels/*.whl"):
        with zipfile.ZipFile(wheel) as zf:
            assert zf.testzip() is None, wheel
    for egg in out.glob("eggs/*.egg"):
        with zipfile.ZipFile(egg) as zf:
            assert zf.testzip() is None, egg
    for name in ("manifest.json",):
        if (out / name).exists():
            json.loads((out / name).read_text())
    for record in out.glob(".state/convert/*.json"):
        json.loads(record.read_text())


KILLS = {
    "inside fetch (an egg at its temp name)": dict(patch="fetch-copy"),
    "after fetch": dict(kill="fetch"),
    "inside convert (a wheel at its temp name)": dict(patch="wheel-temp", args=("-j", "1")),
    "after the 3rd wheel, before its record": dict(kill="wheel:3", args=("-j", "1")),
    "after the 5th convert record (-j 2)": dict(kill="convert:5", args=("-j", "2")),
    "inside publish (a wheel half-copied to the mirror)": dict(patch="mirror-package"),
    "inside publish (new index generation not swapped in)": dict(patch="mirror-generation"),
    "after publish, before its stamp": dict(kill="publish"),
    "after manifest.json": dict(kill="manifest"),
    "after requirements.txt, before its stamp": dict(kill="pin"),
    "after report.txt": dict(kill="report"),
}


@pytest.mark.parametrize("point", sorted(KILLS))
def test_killed_run_resumes_to_the_same_bytes(tmp_path, point):
    how = KILLS[point]
    args = how.get("args", ())
    ref = reference(tmp_path, *args)
    out = tmp_path / "out"
    killed = migrate_run(out, *args, kill=how.get("kill"), patch=how.get("patch"))
    assert killed.returncode == -signal.SIGKILL, (point, killed.returncode, killed.stderr)
    assert_whole(out)
    resumed = migrate_run(out, *args)
    assert resumed.returncode == 1, resumed.stderr
    assert "brokenegg-1.0-py2.7.egg" in resumed.stderr
    assert_same_as(ref, out)
    again = migrate_run(out, *args)
    assert "redone: nothing (all unchanged)" in again.stderr, again.stderr


def test_killed_again_and_again(tmp_path):
    """Killed at one point after another on the same OUT, then finished: still the same bytes."""
    ref = reference(tmp_path, "-j", "1")
    out = tmp_path / "out"
    for how in (dict(patch="fetch-copy"), dict(kill="wheel:2"), dict(patch="wheel-temp"), dict(kill="convert:3"),
                dict(patch="mirror-package"), dict(patch="mirror-generation"), dict(kill="pin")):
        killed = migrate_run(out, "-j", "1", **how)
        assert killed.returncode == -signal.SIGKILL, (how, killed.stderr)
        assert_whole(out)
    assert migrate_run(out, "-j", "1").returncode == 1
    assert_same_as(ref, out)


def test_resume_removes_what_the_killed_run_left(tmp_path):
    out = tmp_path / "out"
    assert migrate_run(out, "-j", "1", patch="wheel-temp").returncode == -signal.SIGKILL
    left = leftovers(out)  # the egg's staging folder, with the wheel at its temp name in it
    assert len(left) == 2 and all("/.state/convert/." in p for p in left), left
    assert any(p.endswith(".tmp") and ".whl." in p for p in left), left
    killed = migrate_run(out, "-j", "1", patch="mirror-generation")
    assert killed.returncode == -signal.SIGKILL
    assert "resume: removed 1 temp file a killed run left" in killed.stderr  # the staging folder
    assert leftovers(out) and all("/mirror/.egg-migrate/" in p for p in leftovers(out))
    resumed = migrate_run(out, "-j", "1")
    assert resumed.returncode == 1
    assert not leftovers(out)  # the mirror's own (a publish clears them), and none of the run's


def _group(pgid: int) -> list:
    """Pids of the live processes in a process group (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append(int(entry))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG and /proc are Linux's")
def test_kill_9_leaves_no_pool_workers_and_no_lock(tmp_path):
    """Workers die with the run (else they would linger forever, blocked on the task queue)."""
    out = tmp_path / "out"
    env = interpreters.pip_env()
    env[KILL_ENV] = "convert:3"
    proc = subprocess.Popen([sys.executable, "-m", "migrate", "run", "-o", str(out), "-j", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT,
                            start_new_session=True)
    try:
        assert proc.wait(timeout=TIMEOUT) == -signal.SIGKILL
        deadline = time.monotonic() + 20
        while _group(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)  # polling the kernel's process table, bounded by the deadline
        assert _group(proc.pid) == []
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert migrate_run(out, "-j", "2").returncode == 1  # not "another run is using this folder"


# ---------------------------------------------------------------- idempotent, in process

def _outputs(out: Path) -> list:
    found = [out / "manifest.json", out / "requirements.txt", out / "report.txt"]
    found += sorted(out.glob("wheels/*")) + sorted(out.glob("mirror/packages/*"))
    return found + served(out)


def test_second_run_does_no_work(tmp_path):
    out = tmp_path / "out"
    lines = []
    first = pipeline.run(RunOptions(out=out, jobs=2), say=lines.append, bars=False)
    assert first.work["convert"] == 14 and first.work["publish"] == 14 and first.work["pin"] > 0
    before = {p: p.stat().st_mtime_ns for p in _outputs(out)}
    generation = os.readlink(out / "mirror" / ".egg-migrate" / "current")
    lines.clear()
    second = pipeline.run(RunOptions(out=out, jobs=2), say=lines.append, bars=False)
    assert second.work == {"fetch": 0, "convert": 0, "publish": 0, "pin": 0}
    assert "14 unchanged since the last run" in "\n".join(lines)
    assert any(line.startswith("publish: mirror") and "unchanged" in line for line in lines), lines
    assert any(line.startswith("pin: ") and "unchanged" in line for line in lines), lines
    assert {p: p.stat().st_mtime_ns for p in _outputs(out)} == before
    assert os.readlink(out / "mirror" / ".egg-migrate" / "current") == generation
    assert second.records == first.records
    assert not second.ok and second.counts == {"eggs": 15, "converted": 14, "skipped": 0, "failed": 1}


def test_moved_out_folder_is_reused_and_points_at_itself(tmp_path):
    """Cached records are stored OUT-relative: a moved OUT reconverts nothing and names only itself."""
    first = tmp_path / "first"
    pipeline.run(RunOptions(out=first, jobs=1), bars=False)
    moved = tmp_path / "moved"
    first.rename(moved)
    report = pipeline.run(RunOptions(out=moved, jobs=1), bars=False)
    assert report.work["convert"] == 0
    text = (moved / "manifest.json").read_text()
    assert str(first) + "/" not in text
    for record in json.loads(text)["eggs"]:
        if record["wheel"]:
            assert Path(record["wheel_path"]).parent == moved / "wheels"
            assert Path(record["wheel_path"]).is_file()


def _rezip_with_change(egg: Path) -> None:
    """The same egg with one more line in a module: a new sha256, the same file name."""
    with zipfile.ZipFile(egg) as zf:
        members = [(info, zf.read(info)) for info in zf.infolist()]
    tmp = egg.with_suffix(".new")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in members:
            if info.filename == "sampledep/__init__.py":
                data += b"CHANGED = True\n"
            zf.writestr(info, data)
    os.replace(tmp, egg)  # a new inode, as a rebuilt egg would be


def test_changed_egg_is_redone_and_nothing_else(tmp_path):
    source = tmp_path / "repo"
    shutil.copytree(SAMPLE, source)
    out = tmp_path / "out"
    pipeline.run(RunOptions(out=out, source=str(source), jobs=1), bars=False)
    wheel = out / "wheels" / "sampledep-1.0-py2-none-any.whl"
    old_hash = json.loads((out / "manifest.json").read_text())
    others = {p: p.stat().st_mtime_ns for p in out.glob("wheels/*.whl") if p != wheel}
    old_wheel = wheel.read_bytes()

    _rezip_with_change(source / "sampledep" / "sampledep-1.0-py2.7.egg")
    report = pipeline.run(RunOptions(out=out, source=str(source), jobs=1), bars=False)

    assert report.work["convert"] == 1
    assert wheel.read_bytes() != old_wheel
    with zipfile.ZipFile(wheel) as zf:
        assert b"CHANGED = True" in zf.read("sampledep/__init__.py")
    assert {p: p.stat().st_mtime_ns for p in others} == others
    new = {r["egg"]: r for r in json.loads((out / "manifest.json").read_text())["eggs"]}
    old = {r["egg"]: r for r in old_hash["eggs"]}
    egg = str(out / "eggs" / "sampledep-1.0-py2.7.egg")
    assert new[egg]["source"]["sha256"] != old[egg]["source"]["sha256"]
    assert new[egg]["wheel"]["sha256"] != old[egg]["wheel"]["sha256"]
    assert {k for k in new if new[k] != old[k]} == {egg}
    sha = new[egg]["wheel"]["sha256"]
    assert f"--hash=sha256:{sha}" in (out / "requirements.txt").read_text()
    page = (out / "mirror" / "simple" / "sampledep" / "index.html").read_text()
    assert f"#sha256={sha}" in page
    # and it settles: the next run does nothing
    assert pipeline.run(RunOptions(out=out, source=str(source), jobs=1), bars=False).work == \
        {"fetch": 0, "convert": 0, "publish": 0, "pin": 0}


def test_two_eggs_making_one_wheel_name_settle_on_one(tmp_path):
    """py2.6 and py2.7 builds of a pure egg both make ``*-py2-none-any.whl``: the same egg wins
    every time (the newer Python), the other is skipped with the reason, and re-runs do nothing."""
    source = tmp_path / "repo"
    shutil.copytree(SAMPLE, source)
    older = source / "sampledep" / "sampledep-1.0-py2.6.egg"
    shutil.copyfile(source / "sampledep" / "sampledep-1.0-py2.7.egg", older)
    _rezip_with_change(older)  # other bytes than the 2.7 build
    kept = zipfile.ZipFile(SAMPLE / "sampledep" / "sampledep-1.0-py2.7.egg").read("sampledep/__init__.py")
    out = tmp_path / "out"
    reports = [pipeline.run(RunOptions(out=out, source=str(source), jobs=2), bars=False) for _ in range(3)]
    wheel = out / "wheels" / "sampledep-1.0-py2-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        assert zf.read("sampledep/__init__.py") == kept
    for report in reports:
        loser = next(r for r in report.records if Path(r.egg).name == older.name)
        assert loser.status == "skipped" and loser.wheel is None
        assert loser.reason == ("makes the same wheel (sampledep-1.0-py2-none-any.whl) as "
                                   "sampledep-1.0-py2.7.egg, which is kept")
    assert [r.work for r in reports[1:]] == [{"fetch": 0, "convert": 0, "publish": 0, "pin": 0}] * 2
    assert "  sampledep-1.0-py2.6.egg: makes the same wheel" in (out / "report.txt").read_text()


def test_egg_gone_from_the_source_leaves_the_outputs(tmp_path):
    source = tmp_path / "repo"
    shutil.copytree(SAMPLE, source)
    out = tmp_path / "out"
    pipeline.run(RunOptions(out=out, source=str(source), jobs=1), bars=False)
    shutil.rmtree(source / "lxmlshim")
    (out / "eggs" / "lxmlshim-2.3-py2.7-linux-x86_64-ucs4.egg").unlink()
    report = pipeline.run(RunOptions(out=out, source=str(source), jobs=1), bars=False)
    assert report.work["convert"] == 0
    assert not list(out.glob("wheels/lxmlshim-*"))
    assert not (out / "mirror" / "simple" / "lxmlshim").exists()
    assert "lxmlshim" not in (out / "requirements.txt").read_text()
    assert len(list((out / ".state" / "convert").glob("*.json"))) == 13
    assert len(list((out / ".state" / "convert").glob("*.whl"))) == 13


def test_eggs_ini_run_pins_around_the_broken_egg_and_settles(tmp_path):
    out = tmp_path / "out"
    lines = []
    options = RunOptions(out=out, eggs_ini=SAMPLE.parent / "eggs.ini", jobs=1)
    first = pipeline.run(options, say=lines.append, bars=False)
    assert first.pins_error is None, first.pins_error
    assert "pin: brokenegg: not pinned, its egg has no good wheel (see the report)" in lines
    pinned = (out / "requirements.txt").read_text()
    assert "bx-python==0.7.2+7b95ff194725 \\" in pinned and "brokenegg" not in pinned
    outputs = _outputs(out) + [out / "pinned-requirements.txt"]
    before = {p: p.stat().st_mtime_ns for p in outputs}
    second = pipeline.run(options, bars=False)
    assert second.work == {"fetch": 0, "convert": 0, "publish": 0, "pin": 0}
    assert {p: p.stat().st_mtime_ns for p in outputs} == before


# ---------------------------------------------------------------- failures

def test_failures_never_stop_the_run(tmp_path):
    """Failures at fetch (the sample's cut egg, a zip that is no egg) and at convert
    (--platform-tag manylinux refuses lxmlshim, which links libxml2): each is named with
    its reason on stderr and in the report; everything else is converted; exit 1."""
    source = tmp_path / "repo"
    shutil.copytree(SAMPLE, source)
    (source / "noinfo").mkdir()
    with zipfile.ZipFile(source / "noinfo" / "noinfo-1.0-py2.7.egg", "w") as zf:
        zf.writestr("noinfo/__init__.py", "x = 1\n")
    out = tmp_path / "out"
    result = migrate_run(out, "--platform-tag", "manylinux", source=source)
    assert result.returncode == 1
    records = {Path(r["egg"]).name: r for r in json.loads((out / "manifest.json").read_text())["eggs"]}
    failed = {name: r["reason"] for name, r in records.items() if r["status"] == "failed"}
    assert sorted(failed) == ["brokenegg-1.0-py2.7.egg", "lxmlshim-2.3-py2.7-linux-x86_64-ucs4.egg",
                              "noinfo-1.0-py2.7.egg"]
    assert failed["brokenegg-1.0-py2.7.egg"].startswith("fetch failed: not a complete zip file")
    assert failed["noinfo-1.0-py2.7.egg"].startswith("fetch failed: a zip without EGG-INFO/")
    assert "not manylinux" in failed["lxmlshim-2.3-py2.7-linux-x86_64-ucs4.egg"]
    assert "libxml2.so.2" in failed["lxmlshim-2.3-py2.7-linux-x86_64-ucs4.egg"]
    assert sum(1 for r in records.values() if r["status"] == "converted") == 13
    report = (out / "report.txt").read_text()
    for name, reason in failed.items():
        assert f"  {name}: {reason}" in report
        assert name in result.stderr  # each failure is named on stderr too
    assert result.stdout == report
    assert len(list(out.glob("wheels/*.whl"))) == 13
    assert not list(out.glob("mirror/packages/lxmlshim-*"))
    assert "lxmlshim" not in (out / "requirements.txt").read_text()


def test_a_crash_on_one_egg_is_that_eggs_failure_and_retried_next_time(tmp_path, monkeypatch):
    real = wheelstore.convert_egg

    def crashing(egg, *args, **kw):
        if Path(egg).name == "sampledep-1.0-py2.7.egg":
            raise RuntimeError("simulated bug")
        return real(egg, *args, **kw)

    out = tmp_path / "out"
    monkeypatch.setattr(wheelstore, "convert_egg", crashing)
    first = pipeline.run(RunOptions(out=out, jobs=1), bars=False)
    record = next(r for r in first.records if Path(r.egg).name == "sampledep-1.0-py2.7.egg")
    assert record.status == "failed"
    assert record.reason == "internal error: RuntimeError: simulated bug"
    assert first.counts["converted"] == 13 and first.finished
    assert "sampledep-1.0-py2.7.egg: internal error: RuntimeError: simulated bug" in (out / "report.txt").read_text()
    monkeypatch.setattr(wheelstore, "convert_egg", real)
    second = pipeline.run(RunOptions(out=out, jobs=1), bars=False)
    assert second.work["convert"] == 1  # not cached: tried again
    assert second.counts["converted"] == 14


def test_unreadable_source_keeps_the_last_outputs(tmp_path):
    out = tmp_path / "out"
    assert migrate_run(out).returncode == 1
    before = snapshot(out)
    result = migrate_run(out, source=tmp_path / "no-such-repo")
    assert result.returncode == 1
    assert "no-such-repo" in result.stderr
    assert result.stdout == ""  # no report: the last one is not this run's
    assert "nothing in" in result.stderr.splitlines()[-1]
    assert snapshot(out) == before


def test_source_without_eggs_keeps_the_last_outputs(tmp_path):
    """A source that lists nothing (moved, emptied, wrong URL) must not empty the mirror."""
    out = tmp_path / "out"
    assert migrate_run(out).returncode == 1
    before = snapshot(out)
    (tmp_path / "empty").mkdir()
    result = migrate_run(out, source=tmp_path / "empty")
    assert result.returncode == 1
    assert "no eggs found" in result.stderr and "outputs of the last run are untouched" in result.stderr
    assert snapshot(out) == before


def test_one_run_per_out_folder(tmp_path):
    out = tmp_path / "out"
    (out / ".state").mkdir(parents=True)
    with open(out / ".state" / "lock", "w") as lock:
        fcntl.lockf(lock, fcntl.LOCK_EX)  # the run takes a POSIX record lock (see runstate.RunLock)
        result = migrate_run(out)
    assert result.returncode == 1
    assert "another egg-migrate run is using this folder" in result.stderr
    assert not (out / "wheels").exists()


def test_no_source_and_no_sample_is_one_line_exit_1(tmp_path, monkeypatch, capsys):
    from migrate.cli import main
    from migrate.run import fetching

    monkeypatch.setattr(fetching, "SAMPLE", tmp_path / "no-sample")
    assert main(["run", "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err == ("egg-migrate run: no SOURCE given and the bundled sample (data/sample-repo) is not here: "
                   "run from a checkout of egg-migrate or give SOURCE\n")


def test_a_bug_in_the_run_keeps_its_traceback(tmp_path, monkeypatch):
    """Only MigrateError becomes a one-line exit 1: anything else is a bug and must show where."""
    from migrate.cli import main

    def buggy(ctx):
        raise ValueError("a bug, not the user's doing")

    monkeypatch.setattr(pipeline, "fetch_eggs", buggy)
    with pytest.raises(ValueError, match="a bug"):
        main(["run", "-o", str(tmp_path / "out")])


def test_the_sweep_removes_every_writers_temp_names_and_nothing_else(tmp_path):
    out = tmp_path / "out"
    temp = [".manifest.json.k2j4_x9a.tmp", ".state/convert/.0123abcd-ffff.tmp-4242", "wheels/.a-1.0-py2-none-any.whl.tmp-7",
            "eggs/.a-1.0-py2.7.egg.tmp-12-140211", "eggs/.egg-migrate-fetch.jsonl.tmp-12", "eggs/.a-1.0-py2.7.egg.old-12-1401"]
    kept = ["manifest.json", "eggs/a-1.0-py2.7.egg.part", "wheels/a-1.0-py2-none-any.whl", ".state/convert/x.json",
            "mirror/.egg-migrate/.gen-3.tmp-12", "mirror/.egg-migrate/pages/.x.abcdefgh.tmp"]
    for rel in temp + kept:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text("x")
    swept = runstate.sweep_temp_files(out, pipeline.TEMP_NAMES, leave=[out / "mirror" / ".egg-migrate"])
    assert swept == len(temp)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == sorted(kept)


@pytest.mark.parametrize("args, message", [
    (("-j", "0"), "-j must be at least 1"),
    (("--eggs-ini", "/nonexistent/eggs.ini"), "no such file"),
    (("--platform", "nonsense"), "nonsense"),
    (("--python", "abc"), "--python 'abc': expected X.Y"),
    (("--target-python", "three"), "--target-python 'three': expected X.Y"),
])
def test_usage_errors_exit_2(tmp_path, args, message):
    result = migrate_run(tmp_path / "out", *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr


# ---------------------------------------------------------------- what a person sees

def test_summary_says_what_to_do(tmp_path):
    out = tmp_path / "out"
    result = migrate_run(out)
    index = (out / "mirror" / "simple").as_uri() + "/"
    report = result.stdout
    assert "eggs: 15   converted: 14   skipped: 0   failed: 1" in report
    assert "brokenegg-1.0-py2.7.egg: fetch failed: not a complete zip file" in report
    assert f"Serve {out / 'mirror'}" in report
    assert (f"pip install --require-hashes --no-deps -r {out / 'requirements.txt'} --index-url {index}") in report
    assert "projects hash-pinned for CPython 2.7 (cp27mu)" in report
    assert "binary wheels for Python 3.6, 3.10" in report
    stages = [line.split(":")[0] for line in result.stderr.splitlines() if not line.startswith(" ")]
    assert stages == ["fetch", "convert + check", "publish", "pin", "egg-migrate run"], result.stderr
    assert result.stderr.splitlines()[-1].startswith("egg-migrate run: done, with failures: 14 converted, 1 failed")


def test_one_bar_per_stage_on_a_terminal(tmp_path):
    """stderr on a pseudo-terminal: tqdm bars for fetch, convert, publish and pin."""
    out = tmp_path / "out"
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # tqdm draws nothing 0 wide
    env = interpreters.pip_env()
    env.pop(KILL_ENV, None)
    proc = subprocess.Popen([sys.executable, "-m", "migrate", "run", "-o", str(out), "-j", "2"],
                            stdout=subprocess.DEVNULL, stderr=slave, env=env, cwd=ROOT, start_new_session=True)
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], deadline - time.monotonic())
            if not ready:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
        rc = proc.wait(timeout=TIMEOUT)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    text = seen.decode("utf-8", "replace")
    assert rc == 1, text
    for bar in ("fetch: ", "convert: ", "publish: ", "pin: "):
        assert re.search(re.escape(bar) + r"\s*\d+%\|", text), (bar, text)
    assert "egg-migrate run: done, with failures" in text
