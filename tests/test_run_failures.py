"""``egg-migrate run``: failures never stop a run, errors are one line, and what a person sees.

Runs are in process (``migrate.cli.main``, ``migrate.run.pipeline``) unless the process is
what is under test: a lock another process holds, a terminal (``python -m migrate run``).
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

from migrate import fsutil, interpreters
from migrate.run import pipeline, runstate, wheelstore
from migrate.run.pipeline import KILL_ENV, RunOptions
from tests.runner import ROOT, SAMPLE, TIMEOUT, migrate_main, migrate_run, snapshot

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
    result = migrate_main(out, "--platform-tag", "manylinux", source=source)
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
    assert migrate_main(out).returncode == 1
    before = snapshot(out)
    result = migrate_main(out, source=tmp_path / "no-such-repo")
    assert result.returncode == 1
    assert "no-such-repo" in result.stderr
    assert result.stdout == ""  # no report: the last one is not this run's
    assert "nothing in" in result.stderr.splitlines()[-1]
    assert snapshot(out) == before


def test_source_without_eggs_keeps_the_last_outputs(tmp_path):
    """A source that lists nothing (moved, emptied, wrong URL) must not empty the mirror."""
    out = tmp_path / "out"
    assert migrate_main(out).returncode == 1
    before = snapshot(out)
    (tmp_path / "empty").mkdir()
    result = migrate_main(out, source=tmp_path / "empty")
    assert result.returncode == 1
    assert "no eggs found" in result.stderr and "outputs of the last run are untouched" in result.stderr
    assert snapshot(out) == before


def test_a_last_manifest_cut_short_is_no_last_run_and_is_written_again(tmp_path):
    """The last manifest.json is read a record at a time; one cut short (a full disk, a hand edit) is
    read as no last run, as a file json.loads refused always was: no traceback, the run goes on and
    writes it whole again."""
    out = tmp_path / "out"
    assert migrate_main(out).returncode == 1
    whole = (out / "manifest.json").read_bytes()
    (out / "manifest.json").write_bytes(whole[: len(whole) // 2])
    result = migrate_main(out)
    assert result.returncode == 1  # the sample's broken egg, as on the first run
    assert "Traceback" not in result.stderr and "broken" in result.stdout
    assert (out / "manifest.json").read_bytes() == whole


def test_one_run_per_out_folder(tmp_path):
    out = tmp_path / "out"
    (out / ".state").mkdir(parents=True)
    with open(out / ".state" / "lock", "w") as lock:
        fcntl.lockf(lock, fcntl.LOCK_EX)  # the run takes a POSIX record lock (see runstate.RunLock)
        result = migrate_run(out)  # another process: POSIX locks never conflict within one
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


def test_the_sweep_removes_every_writers_temp_names_that_carry_a_recorded_token_and_nothing_else(tmp_path):
    out, t, other = tmp_path / "out", "0a1b2c3d4e5f", "999999999999"
    temp = [f".manifest.json.{t}.k2j4_x9a.tmp", f".state/convert/.0123abcd-ffff.{t}.tmp-4242",
            f"wheels/.a-1.0-py2-none-any.whl.{t}.tmp-7", f"eggs/.a-1.0-py2.7.egg.{t}.tmp-12-140211",
            f"eggs/.egg-migrate-fetch.jsonl.{t}.k2j4_x9a.tmp", f"eggs/.a-1.0-py2.7.egg.{t}.old-12-1401"]
    kept = ["manifest.json", "eggs/a-1.0-py2.7.egg.part", "wheels/a-1.0-py2-none-any.whl", ".state/convert/x.json",
            f"mirror/.egg-migrate/.gen-3.{t}.tmp-12", f"mirror/.egg-migrate/pages/.x.{t}.abcdefgh.tmp",
            # the same shapes without a recorded token: a user's, or made outside a run
            ".manifest.json.k2j4_x9a.tmp", f".manifest.json.{other}.k2j4_x9a.tmp", "eggs/.a-1.0-py2.7.egg.tmp-12-140211",
            f"wheels/.a.{other}.tmp-7", "eggs/.a.old-12-1401", f"eggs/{t}.tmp-3"]
    for rel in temp + kept:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text("x")
    swept = runstate.sweep_temp_files(out, pipeline.TEMP_NAMES, [t], leave=[out / "mirror" / ".egg-migrate"])
    assert swept == len(temp)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == sorted(kept)


def test_a_run_records_its_token_before_its_temp_names_carry_it_and_forgets_swept_ones(tmp_path):
    """The order that makes the sweep safe: the token is in the state file (appended and fsynced)
    when the first temp name carries it; the tokens swept before are forgotten."""
    state = tmp_path / ".state"
    state.mkdir()
    (state / runstate.TOKENS).write_text("aaaaaaaaaaaa\n")
    before = fsutil.temp_tag()
    with runstate.run_token(state) as token:
        assert fsutil.temp_tag() == token != before
        assert runstate.recorded_tokens(state) == [token]
        with fsutil.atomic_writer(tmp_path / "f") as fp:
            [temp] = [p.name for p in tmp_path.iterdir() if p.name.startswith(".f.")]
            fp.write(b"x")
        assert fsutil.is_tagged(temp, [token]) and fsutil.TEMP_NAME.search(temp)
    assert fsutil.temp_tag() == before


@pytest.mark.parametrize("args, message", [
    (("-j", "0"), "argument -j/--jobs: 0 is not at least 1"),
    (("--eggs-ini", "/nonexistent/eggs.ini"), "no such file"),
    (("--platform", "nonsense"), "nonsense"),
    (("--python", "abc"), "--python 'abc': expected X.Y"),
    (("--target-python", "three"), "--target-python 'three': expected X.Y"),
])
def test_usage_errors_exit_2(tmp_path, args, message):
    result = migrate_main(tmp_path / "out", *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr


# ---------------------------------------------------------------- what a person sees

def test_summary_says_what_to_do(tmp_path):
    out = tmp_path / "out"
    result = migrate_main(out)
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
