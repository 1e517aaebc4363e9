"""fetch against a misbehaving server: 503s, dropped connections, short bodies, latency, kill -9."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from migrate.cli import main
from migrate.fetch.fetching import FetchOptions, fetch
from migrate.fetch.net import NetOptions
from migrate.fetch.selection import Selection
from migrate.fetch.state import STATE_FILE

try:
    from tests.servers import Faults, TreeServer, galaxy_tree, make_egg, sha256_file
except ImportError:  # tests/ run as a plain folder
    from servers import Faults, TreeServer, galaxy_tree, make_egg, sha256_file

REPO = Path(__file__).resolve().parents[1]
FAST = FetchOptions(net=NetOptions(backoff=0.005, retries=4, connect_timeout=5, read_timeout=10))
PAYLOAD = 200_000  # > 3 read chunks, so a dropped transfer leaves a resumable .part


def names(n):
    return [f"proj{i}-1.{i}-py2.7-linux-x86_64-ucs4.egg" for i in range(n)]


def path_of(name):
    return f"/{name.split('-')[0]}/{name}"


def test_faulty_server_still_yields_every_egg_correct(tmp_path):
    eggs = names(10)
    sums = galaxy_tree(tmp_path / "repo", eggs, payload=PAYLOAD)
    faults = Faults(
        latency=0.002,
        fail_503={path_of(eggs[0]): 2, path_of(eggs[1]): 1, "/proj2/": 1},  # a listing page too
        drop_after={path_of(eggs[3]): (150_000, 1), path_of(eggs[4]): (140_000, 2)},
        truncate={path_of(eggs[5]): 1, path_of(eggs[6]): 1},
        random_503=0.1,
    )
    with TreeServer(tmp_path / "repo", faults) as server:
        report = fetch(server.url, tmp_path / "eggs", Selection(), jobs=4, options=FAST)
        log = list(server.log)
    assert report.ok, [(r.filename, r.status, r.reason) for r in report.results]
    for r in report.results:
        assert r.status == "downloaded"
        assert sha256_file(tmp_path / "eggs" / r.filename) == sums[r.filename] == r.sha256
    # the dropped transfers resumed where their .part ended instead of starting over
    for name in (eggs[3], eggs[4]):
        ranged = [q for q in log if q.path == path_of(name) and q.range and q.status != 503]  # random 503s
        assert ranged and all(q.status == 206 for q in ranged), ranged
        assert int(ranged[0].range.split("=")[1].rstrip("-")) > 0
        assert "resumed at byte" in {r.filename: r for r in report.results}[name].note
    assert not list((tmp_path / "eggs").glob("*.part"))


def test_always_broken_eggs_are_named_and_nothing_partial_is_final(tmp_path, capsys, monkeypatch):
    """Through the command line, whose backoff is a real server's (0.5 s, then 1 s): the pauses are
    shortened as FAST's, the attempts are the same."""
    real_pause = NetOptions.pause
    monkeypatch.setattr(NetOptions, "pause", lambda net, attempt: real_pause(replace(net, backoff=0.005), attempt))
    eggs = names(4)
    galaxy_tree(tmp_path / "repo", eggs, payload=PAYLOAD)
    faults = Faults(truncate={path_of(eggs[1]): -1}, fail_503={path_of(eggs[2]): -1})
    dest = tmp_path / "eggs"
    with TreeServer(tmp_path / "repo", faults) as server:
        code = main(["fetch", server.url, "-d", str(dest), "--retries", "2", "-j", "2"])
    assert code == 1
    err = capsys.readouterr().err
    assert f"{eggs[1]}: failed: truncated body" in err or f"{eggs[1]}: failed: connection broken" in err
    assert f"{eggs[2]}: failed: HTTP 503" in err and "gave up after 3 attempts" in err
    assert sorted(p.name for p in dest.glob("*.egg")) == sorted([eggs[0], eggs[3]])
    assert not (dest / eggs[1]).exists() and not (dest / eggs[2]).exists()


def test_server_without_range_support_restarts_cleanly(tmp_path):
    eggs = names(2)
    sums = galaxy_tree(tmp_path / "repo", eggs, payload=PAYLOAD)
    faults = Faults(ranges=False, drop_after={path_of(eggs[0]): (150_000, 1)})
    with TreeServer(tmp_path / "repo", faults) as server:
        report = fetch(server.url, tmp_path / "eggs", Selection(), options=FAST)
    assert report.ok
    assert sha256_file(tmp_path / "eggs" / eggs[0]) == sums[eggs[0]]


def test_file_changed_on_server_is_not_spliced_onto_an_old_part(tmp_path):
    (name,) = names(1)
    galaxy_tree(tmp_path / "repo", [name], payload=PAYLOAD)
    dest = tmp_path / "eggs"
    with TreeServer(tmp_path / "repo", Faults(drop_after={path_of(name): (150_000, -1)})) as server:
        first = fetch(server.url, dest, Selection(),
                      options=FetchOptions(net=NetOptions(retries=0, read_timeout=10)))
        assert first.results[0].status == "failed" and (dest / (name + ".part")).stat().st_size > 0
        newer = make_egg(tmp_path / "repo" / "proj0" / name, payload=PAYLOAD, seed=2)  # same name, new bytes
        os.utime(newer, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
        server.faults = Faults()
        before = len(server.log)
        second = fetch(server.url, dest, Selection(), options=FAST)
        ranged = [q for q in server.log[before:] if q.range]
    assert second.ok and sha256_file(dest / name) == sha256_file(newer)
    assert ranged and ranged[0].status == 200  # If-Range saw the new ETag: whole file, not a splice


def test_kill_9_mid_download_then_rerun_resumes(tmp_path):
    name = "slow-1.0-py2.7-linux-x86_64-ucs4.egg"
    sums = galaxy_tree(tmp_path / "repo", [name], payload=1_000_000)
    total = (tmp_path / "repo" / "slow" / name).stat().st_size
    dest = tmp_path / "eggs"
    part = dest / (name + ".part")
    faults = Faults(trickle=(16 * 1024, 0.02))
    with TreeServer(tmp_path / "repo", faults) as server:
        proc = subprocess.Popen([sys.executable, "-m", "migrate", "fetch", server.url, "-d", str(dest), "-j", "1"],
                                cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while not (part.exists() and part.stat().st_size >= 128 * 1024):
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline, "the .part file never grew"
                time.sleep(0.01)
            os.kill(proc.pid, signal.SIGKILL)
            assert proc.wait(timeout=30) == -signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stderr.close()
        kept = part.stat().st_size
        assert 0 < kept < total and not (dest / name).exists()
        faults.trickle = None
        before = len(server.log)
        report = fetch(server.url, dest, Selection(), options=FAST)
        resumed = [q for q in server.log[before:] if q.path == path_of(name) and q.range]
    (r,) = report.results
    assert r.status == "downloaded" and r.sha256 == sums[name] == sha256_file(dest / name)
    assert resumed[0].status == 206 and int(resumed[0].range.split("=")[1].rstrip("-")) >= 128 * 1024
    assert resumed[0].sent == total - int(resumed[0].range.split("=")[1].rstrip("-"))
    assert not part.exists() and (dest / STATE_FILE).exists()
