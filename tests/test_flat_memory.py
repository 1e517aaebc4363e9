"""Memory flat in the number of eggs, proved by structure (never by timing or an RSS threshold):
fetch hands its results over one at a time and keeps none, the run's convert stage makes each
job as the pool takes it, and a publish of many files keeps a count of them, not their paths."""
from __future__ import annotations

import functools
import gc
import threading
import weakref

from migrate.disklog import DiskLog
from migrate.fetch import fetching
from migrate.fetch.results import Progress
from migrate.mirror import files
from migrate.parallel import thread_imap
from migrate.run import converting, pipeline, wheelstore
from migrate.run.pipeline import RunOptions
from tests.runner import SAMPLE


def test_thread_imap_starts_at_most_ahead_items_past_the_one_taken():
    made, most = [0], [0]

    def items():
        for n in range(100):
            made[0] += 1
            yield n

    taken = 0
    for result in thread_imap(lambda n: -n, items(), jobs=3, ahead=8):
        assert result == -taken  # in input order
        taken += 1
        most[0] = max(most[0], made[0] - taken)
    assert taken == 100 and most[0] <= 8


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

    monkeypatch.setattr(fetching, "thread_imap", functools.partial(thread_imap, ahead=1))  # 2 per thread ahead
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
