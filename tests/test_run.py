"""``egg-migrate run``: resumable after kill -9 anywhere, idempotent, redoes changed eggs only.

Every kill test compares its outputs byte for byte with an uninterrupted run's,
the session's one run of the sample (the manifest and the requirements name OUT
by its absolute path: runner.Reference.at puts the test's in its place). A killed run is a process of its
own in its own session (forked with egg-migrate imported, tests/forker.py; the
uninterrupted references are ``python -m migrate run``); the kill point is chosen
deterministically, either with the pipeline's documented hook
(``EGG_MIGRATE_TEST_KILL_AFTER``) or, for points inside other modules, by a
wrapper that SIGKILLs the process (tests/runner.py). Leftover pool workers are
killed by process group after each run. The resume after it reads only what
the killed process left on disk, so it runs in the test's process
(runner.migrate_main): half a second of CPU less per run. Failures and what a person sees:
tests/test_run_failures.py.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from migrate import interpreters
from migrate.run import pipeline
from migrate.run.pipeline import KILL_ENV, RunOptions
from tests.conftest import build_once
from tests.runner import (
    ROOT,
    SAMPLE,
    TIMEOUT,
    assert_same_as,
    assert_whole,
    leftovers,
    migrate_main,
    migrate_run,
    reference,
    served,
)

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


@pytest.fixture(scope="session")
def uninterrupted(tmp_path_factory, sample_run):
    """The uninterrupted run to compare with (runner.Reference): the session's ``python -m migrate run``
    of the sample (conftest.sample_run), read once. ``-j`` changes no byte of the outputs: the runs with
    ``-j 1`` and ``-j 2`` are compared with it as they are."""
    return build_once(tmp_path_factory, "run-reference", lambda folder: reference(sample_run))


@pytest.mark.parametrize("point", sorted(KILLS))
def test_killed_run_resumes_to_the_same_bytes(tmp_path, point, uninterrupted):
    how = KILLS[point]
    args = how.get("args", ())
    out = tmp_path / "out"
    ref = uninterrupted.at(out)
    killed = migrate_run(out, *args, kill=how.get("kill"), patch=how.get("patch"))
    assert killed.returncode == -signal.SIGKILL, (point, killed.returncode, killed.stderr)
    assert_whole(out)
    resumed = migrate_main(out, *args)
    assert resumed.returncode == 1, resumed.stderr
    assert "brokenegg-1.0-py2.7.egg" in resumed.stderr
    assert_same_as(ref, out)
    again = migrate_main(out, *args)
    assert "redone: nothing (all unchanged)" in again.stderr, again.stderr


def test_killed_again_and_again(tmp_path, uninterrupted):
    """Killed at one point after another on the same OUT, then finished: still the same bytes."""
    out = tmp_path / "out"
    ref = uninterrupted.at(out)
    for how in (dict(patch="fetch-copy"), dict(kill="wheel:2"), dict(patch="wheel-temp"), dict(kill="convert:3"),
                dict(patch="mirror-package"), dict(patch="mirror-generation"), dict(kill="pin")):
        killed = migrate_run(out, "-j", "1", **how)
        assert killed.returncode == -signal.SIGKILL, (how, killed.stderr)
        assert_whole(out)
    assert migrate_main(out, "-j", "1").returncode == 1
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
    resumed = migrate_main(out, "-j", "1")
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
    assert migrate_main(out, "-j", "2").returncode == 1  # not "another run is using this folder"


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
    """py2.6 and py2.7 builds of a pure egg with other files both make ``*-py2-none-any.whl``: the
    first in input order wins every time (whichever worker finishes first), the other fails with a
    line naming both, and re-runs do nothing."""
    source = tmp_path / "repo"
    shutil.copytree(SAMPLE, source)
    older = source / "sampledep" / "sampledep-1.0-py2.6.egg"
    shutil.copyfile(source / "sampledep" / "sampledep-1.0-py2.7.egg", older)
    _rezip_with_change(older)  # other bytes than the 2.7 build
    kept = zipfile.ZipFile(older).read("sampledep/__init__.py")
    out = tmp_path / "out"
    reports = [pipeline.run(RunOptions(out=out, source=str(source), jobs=2), bars=False) for _ in range(3)]
    wheel = out / "wheels" / "sampledep-1.0-py2-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        assert zf.read("sampledep/__init__.py") == kept
    reason = ("would make sampledep-1.0-py2-none-any.whl as sampledep-1.0-py2.6.egg does, with other files; "
              "refused (sampledep-1.0-py2.6.egg is kept)")
    for report in reports:
        loser = next(r for r in report.records if Path(r.egg).name == "sampledep-1.0-py2.7.egg")
        assert loser.status == "failed" and loser.wheel is None and loser.reason == reason
        assert loser.has_problem("C010")
    assert [r.work for r in reports[1:]] == [{"fetch": 0, "convert": 0, "publish": 0, "pin": 0}] * 2
    assert f"  sampledep-1.0-py2.7.egg: {reason}" in (out / "report.txt").read_text()


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
