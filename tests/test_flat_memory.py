"""Memory flat in the number of eggs, proved by structure (never by timing or an RSS threshold):
fetch hands its results over one at a time and keeps none, the run's convert stage makes each
job as the pool takes it, and a publish of many files keeps a count of them, not their paths."""
from __future__ import annotations

import contextlib
import functools
import gc
import shutil
import threading
import tracemalloc
import weakref
from dataclasses import replace
from pathlib import Path

from benchmarks.run import make_repo
from migrate import parallel
from migrate.disklog import DiskLog
from migrate.fetch import fetching
from migrate.fetch.download import NameLocks
from migrate.fetch.results import Progress
from migrate.mirror import files
from migrate.parallel import thread_completed
from migrate.run import clashes, converting, pipeline, wheelstore
from migrate.run.pipeline import RunOptions
from tests import servers
from tests.runner import SAMPLE
from tests.servers import TreeServer, galaxy_tree
from tests.test_collisions_run import PY27


def test_thread_completed_starts_at_most_ahead_items_past_those_taken():
    made, most = [0], [0]

    def items():
        for n in range(100):
            made[0] += 1
            yield n

    seen = []
    for n, result in thread_completed(lambda n: -n, items(), jobs=3, ahead=8):
        assert result == -n  # each result with its item's index
        seen.append(n)
        most[0] = max(most[0], made[0] - len(seen))
    assert sorted(seen) == list(range(100)) and most[0] <= 8


def test_fetch_keeps_no_result_once_it_has_handed_it_to_the_log(tmp_path, monkeypatch):
    """Each result goes to a DiskLog as it comes: while fetching, only the few in flight are alive, and
    when fetch returns none is (a list of them would keep all 15 alive at the last one)."""
    alive: list[weakref.ref] = []
    most = [0]
    lock = threading.Lock()

    class Watched(Progress):
        def done(self, result):
            with lock:
                alive.append(weakref.ref(result))
                gc.collect()
                most[0] = max(most[0], sum(1 for r in alive if r() is not None))

    monkeypatch.setattr(fetching, "thread_completed", functools.partial(thread_completed, ahead=1))  # 2 per thread
    report = fetching.fetch(str(SAMPLE), tmp_path / "eggs", jobs=2, progress=Watched())
    gc.collect()
    assert len(alive) == len(report.results) == 15 and isinstance(report.results, DiskLog)
    assert most[0] <= 7 and [r for r in alive if r() is not None] == []
    assert sorted(r.filename for r in report.results) == sorted(p.name for p in SAMPLE.glob("*/*.egg"))


def test_the_convert_stage_makes_each_job_as_the_pool_takes_it(tmp_path, monkeypatch):
    """Jobs are made from the fetch log one at a time: never more than one ahead of the records taken
    (-j 1), where a list of jobs would make all 14 before the first record."""
    made, most, taken = [0], [0], [0]

    class Job(wheelstore.Job):
        def __init__(self, *args):
            super().__init__(*args)
            made[0] += 1

    real_keep = wheelstore.keep

    def keep(record, *args):
        taken[0] += 1
        most[0] = max(most[0], made[0] - taken[0])
        return real_keep(record, *args)

    monkeypatch.setattr(wheelstore, "Job", Job)
    monkeypatch.setattr(converting.wheelstore, "keep", keep)
    report = pipeline.run(RunOptions(out=tmp_path / "out", jobs=1), bars=None)
    assert report.work["convert"] == made[0] == taken[0] == 14 and most[0] <= 1


def test_many_created_files_are_counted_not_listed(tmp_path):
    created = files.Created()
    created += (f"{tmp_path}/f{n}" for n in range(3))
    assert len(created) == 3 and created.paths == [f"{tmp_path}/f{n}" for n in range(3)] and not created.many()
    assert created.many(files._FEW_FILES)
    for n in range(3, files._FEW_FILES + 5):
        created.append(f"{tmp_path}/f{n}")
    assert len(created) == files._FEW_FILES + 5 and created.many() and created.paths == []


def test_a_slow_egg_holds_back_none_of_the_others(tmp_path, monkeypatch):
    """The server holds the first egg until every other egg has been fetched: with at most 4 started
    and not taken, the fetch goes on past the held one (in input order it waited for it, so the
    others were never asked for and the server let go only at its time-out); the results keep the
    listing's order."""
    names = [f"slow{n:02d}-1.0-py2.7.egg" for n in range(12)]
    galaxy_tree(tmp_path / "www", names)
    others_done, released = threading.Event(), []
    real_file = servers._Handler._file

    def held_file(handler, target, path, head, rng):
        if path.endswith(names[0]):
            released.append(others_done.wait(timeout=30))  # not a sleep: the other eggs set it
        return real_file(handler, target, path, head, rng)

    class Counting(Progress):
        def __init__(self):
            self.done_count, self.lock = 0, threading.Lock()

        def done(self, result):
            with self.lock:
                self.done_count += 1
                if self.done_count == len(names) - 1:
                    others_done.set()

    monkeypatch.setattr(servers._Handler, "_file", held_file)
    monkeypatch.setattr(fetching, "thread_completed", functools.partial(thread_completed, ahead=4))
    with TreeServer(tmp_path / "www") as server:
        report = fetching.fetch(server.url, tmp_path / "eggs", jobs=2, progress=Counting())
    assert released == [True]
    assert [r.filename for r in report.results] == names and all(r.status == "downloaded" for r in report.results)


def test_no_two_egg_names_share_a_lock_and_none_is_kept(tmp_path):
    """One thread holds 2,000 names' locks at once (a fixed table of locks shared among the names would
    make it wait on itself: a slow egg would hold back the egg whose name shares its lock), and once
    all are let go the table is empty (a lock kept per name grew with the eggs)."""
    locks, held = NameLocks(), []

    def hold_all():
        with contextlib.ExitStack() as stack:
            for n in range(2000):
                stack.enter_context(locks.held(f"egg{n}-1.0-py2.7.egg"))
            held.append(len(locks._held))

    thread = threading.Thread(target=hold_all, daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive() and held == [2000] and locks._held == {}


def _held_at_stage_ends(tmp_path, monkeypatch, eggs: int) -> dict[str, int]:
    """What tracemalloc sees held (above what it saw before the run) at the last step of the fetch
    (writing its manifest) and of the convert stage (its summary line), while each stage's values
    are all still alive, in ``run -j 2`` of ``eggs`` eggs made as benchmarks/run.py makes them (the
    eggs are converted and checked in the workers: their caches are not the run's)."""
    repo = tmp_path / f"repo-{eggs}"
    make_repo(repo, eggs)
    held: dict[str, int] = {}

    def watched(stage, real):
        def last_step(*args):
            held[stage] = _traced() - before
            return real(*args)

        return last_step

    with monkeypatch.context() as patch:
        patch.setattr(fetching, "write_manifest", watched("fetch", fetching.write_manifest))
        patch.setattr(converting, "_tell", watched("convert", converting._tell))
        for later in ("publish_wheels", "write_run_manifest", "pin_requirements", "write_run_report"):
            patch.setattr(pipeline, later, lambda ctx: None)
        patch.setattr(parallel, "_start_worker", _untraced_worker)
        before = _traced()
        report = pipeline.run(RunOptions(out=tmp_path / f"out-{eggs}", source=str(repo), jobs=2), bars=None)
    assert report.work["convert"] == eggs - 1  # the sample's broken egg fails to fetch
    return held


_START_WORKER = parallel._start_worker


def _untraced_worker(*args) -> None:
    """A forked convert worker traces nothing: its memory is not the run's, and tracing every
    allocation of its conversions cost a quarter of this test's CPU."""
    tracemalloc.stop()
    _START_WORKER(*args)


def _traced() -> int:
    """Bytes held in blocks under 64 KB: a table that grows once past a size (the interpreter's interned
    strings, a cache's dict) is one big block, whenever it happens to cross it; values held per egg are
    small blocks."""
    gc.collect()
    return sum(t.size for t in tracemalloc.take_snapshot().traces if t.size < 65536)


def test_fetch_and_convert_hold_a_few_bytes_per_egg(tmp_path, monkeypatch):
    """From 20 to 100 eggs, what the fetch and the convert stage hold at their end grows by less than
    300 bytes an egg. The fetch state's entries as dicts, the links of the listing, a lock per egg; the
    convert stage's dicts and sets by path and key, a decision per egg: each was ~1 KB an egg, 16 MB at
    16,000 eggs."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        _held_at_stage_ends(tmp_path, monkeypatch, 16)  # the imports and caches of a first run, out of the way
        small, big = (_held_at_stage_ends(tmp_path, monkeypatch, n) for n in (20, 100))
    finally:
        if started:
            tracemalloc.stop()
    per_egg = {stage: (big[stage] - small[stage]) / 80 for stage in ("fetch", "convert")}
    assert per_egg["fetch"] < 300 and per_egg["convert"] < 300, per_egg


TWICE = ("MiniMako-0.4.1-", "bx_python-0.7.2_", "sampledep-1.0-")  # the sample's releases with more than one egg


def test_only_the_eggs_of_a_release_claimed_twice_are_settled_together(tmp_path, monkeypatch):
    """The clash pass hands ``decide`` the 7 eggs of the releases more than one egg makes a wheel of
    (MiniMako 0.4.1, bx_python 0.7.2, and sampledep 1.0: py2.7 and a copy named py3.10), not a claim
    for each of the 14 wheels; their decisions still apply (joined: one py2.py3 wheel of sampledep,
    made again with that tag, and the copy skipped)."""
    source = tmp_path / "repo"
    shutil.copytree(SAMPLE, source)
    shutil.copyfile(PY27, source / "sampledep" / "sampledep-1.0-py3.10.egg")
    settled = []

    def decide(candidates, payload, join=False):
        settled.append(sorted(c.egg for c in candidates if c is not None))
        return real_decide(candidates, payload, join)

    real_decide = clashes.decide
    monkeypatch.setattr(clashes, "decide", decide)
    report = pipeline.run(RunOptions(out=tmp_path / "out", source=str(source), jobs=1, join_py2_py3=True), bars=None)
    records = {Path(r.egg).name: r for r in report.records}
    assert len(records) == 15 and settled == [sorted(n for n in records if n.startswith(TWICE))]
    assert len(settled[0]) == 7
    kept, same = records["sampledep-1.0-py2.7.egg"], records["sampledep-1.0-py3.10.egg"]
    assert kept.wheel is not None and kept.wheel.filename == "sampledep-1.0-py2.py3-none-any.whl"
    assert same.status == "skipped" and same.wheel is None


_SEEN_BY_FORK = ["the run's start"]  # what a convert worker saw of this process when it was forked
_CONVERT_ONE = wheelstore.convert_one


def _convert_saying_when_forked(job):
    return replace(_CONVERT_ONE(job), reason=_SEEN_BY_FORK[0])


def test_convert_workers_are_forked_before_the_fetch(tmp_path, monkeypatch):
    """A forked worker starts as big as its parent is at the fork: the convert workers are forked
    before the fetch stage grows the run (they see this process as it was then), not after it."""
    real_fetch = pipeline.fetch_eggs

    def fetch_eggs(ctx):
        _SEEN_BY_FORK[0] = "after the fetch"
        return real_fetch(ctx)

    monkeypatch.setattr(pipeline, "fetch_eggs", fetch_eggs)
    monkeypatch.setattr(wheelstore, "convert_one", _convert_saying_when_forked)
    try:
        report = pipeline.run(RunOptions(out=tmp_path / "out", jobs=2), bars=None)
    finally:
        _SEEN_BY_FORK[0] = "the run's start"
    converted = [r for r in report.records if r.status == "converted"]
    assert len(converted) == 14 and {r.reason for r in converted} == {"the run's start"}


def test_a_local_source_is_chosen_from_as_it_is_walked(tmp_path, monkeypatch):
    """Each link of a local tree is chosen as the walk finds it and goes to disk: at most the one being
    chosen is alive (the whole listing, ~600 bytes a link, had all 15 alive at each choice)."""
    alive: list[weakref.ref] = []
    most = [0]
    real_keep = fetching.keep

    def keep(link, selection):
        alive.append(weakref.ref(link))
        gc.collect()
        most[0] = max(most[0], sum(1 for r in alive if r() is not None))
        return real_keep(link, selection)

    monkeypatch.setattr(fetching, "keep", keep)
    report = fetching.fetch(str(SAMPLE), tmp_path / "eggs", jobs=2)
    assert len(alive) == len(report.results) == 15 and most[0] == 1
