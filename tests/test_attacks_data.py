"""Data safety (issue 15): never lose or shrink what was published, never delete or overwrite
what the tool did not create. Each test reproduces an attack that worked before its fix.

Loopback servers only (tests/servers.py); runs are in process with fast retries.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from migrate.fetch.fetching import FetchOptions
from migrate.fetch.net import NetOptions
from migrate.run import pipeline
from migrate.run.pipeline import RunOptions

try:
    from tests.servers import Faults, TreeServer, egg_bytes, simple_index
except ImportError:  # tests/ run as a plain folder
    from servers import Faults, TreeServer, egg_bytes, simple_index

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
