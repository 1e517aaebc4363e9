"""A publish holds a few per-wheel values at a time, not one per wheel given (issue 16: 16,000 wheels
in flat memory). Proved by structure, never by an RSS threshold: the per-wheel values (a wheel given,
a row placed, a page to render) are counted while they are alive, at every wheel sorted and every page
written, and the count must stay a small constant (the values held in memory before they are written
to a temp file, made small here) while the wheels given are many times that."""
from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import quote

import pytest

from migrate import mirror, spill
from migrate.mirror import given, pages, pagestore, placing, planning, pool
from migrate.mirror.planning import NewPage
from migrate.mirror.state import Row
from migrate.run import pipeline
from migrate.run.pipeline import RunOptions
from tests.wheelmaker import make_wheel

WHEELS = 40
HELD = 4  # values a temp-file list holds in memory (thousands outside this test)
_alive: dict[str, set[int]] = {"_File": set(), "Row": set(), "NewPage": set()}


def _counted(name: str, cls: Any):
    """``cls`` with its live instances counted (ids added when made, dropped when freed)."""
    ids = _alive[cls.__name__]

    def __new__(kind, *args, **kwargs):
        made = cls.__new__(kind, *args, **kwargs)
        ids.add(id(made))
        return made

    def __del__(self):
        ids.discard(id(self))

    return type(name, (cls,), {"__slots__": (), "__new__": __new__, "__del__": __del__, "__module__": __name__})


# top level, so that a DiskLog can pickle them and read them back
CountedFile = _counted("CountedFile", given._File)
CountedRow = _counted("CountedRow", Row)
CountedNewPage = _counted("CountedNewPage", NewPage)


def test_a_publish_holds_a_few_wheels_at_a_time_not_every_one(tmp_path, monkeypatch):
    monkeypatch.setattr(given, "_File", CountedFile)
    monkeypatch.setattr(placing, "Row", CountedRow)
    monkeypatch.setattr(given, "Row", CountedRow)  # the rows read back from their temp file
    monkeypatch.setattr(planning, "NewPage", CountedNewPage)
    monkeypatch.setattr(pool, "_PAGES_PER_TASK", 2)
    monkeypatch.setattr(spill, "LIMIT", HELD)
    made = [make_wheel(tmp_path / "w", f"flat{n:03d}", "1.0", {f"flat{n:03d}.py": ""}) for n in range(WHEELS)]
    most: dict[str, int] = {name: 0 for name in _alive}

    def look() -> None:
        for name, ids in _alive.items():
            most[name] = max(most[name], len(ids))

    class Watch:
        def start(self, total: int) -> None:
            pass

        def step(self) -> None:
            look()

    write_page = pagestore._write_page

    def watched_write(*args):
        look()
        return write_page(*args)

    monkeypatch.setattr(pagestore, "_write_page", watched_write)
    plan_pages = planning._pages

    def watched_plan(*args):
        look()  # a shard's rows are alive here
        return plan_pages(*args)

    monkeypatch.setattr(planning, "_pages", watched_plan)
    store = placing.Claims.store

    def watched_store(*args):
        look()  # the wheel being placed is alive here
        return store(*args)

    monkeypatch.setattr(placing.Claims, "store", watched_store)
    report = mirror.publish(made, tmp_path / "m", progress=Watch())
    assert report.ok and report.files == WHEELS and report.pages_written == WHEELS
    # every wheel and page was counted while it was made (the counting works) ...
    assert most["_File"] >= 1 and most["Row"] >= 1 and most["NewPage"] >= 1
    # ... and a few were alive at a time, where a list of them would hold all 40
    assert most["_File"] <= 3 and most["Row"] <= HELD + 2 and most["NewPage"] <= HELD + 6, most
    index = json.loads((tmp_path / "m" / "simple" / "index.json").read_text())
    assert [p["name"] for p in index["projects"]] == [f"flat{n:03d}" for n in range(WHEELS)]
    page = json.loads((tmp_path / "m" / "simple" / "flat007" / "index.json").read_text())
    assert [f["filename"] for f in page["files"]] == [made[7].name]


@pytest.mark.parametrize("count", [0, 1, pages._PER_CHUNK, pages._PER_CHUNK + 1, 3 * pages._PER_CHUNK - 1])
def test_the_root_pages_written_in_pieces_are_the_pages_made_whole(count):
    """simple/index.html and index.json are written a few hundred projects at a time, and are byte for
    byte the page made in one piece (the PEP 691 JSON: one ``json.dumps``), names to escape included."""
    projects = [f"p{n}-ü&<x>\"'" if n % 7 == 0 else f"proj{n}" for n in range(count)]
    links = "\n".join(f'    <a href="{quote(p)}/">{html.escape(p)}</a><br>' for p in projects)
    whole_html = pages._HTML.format(title="Simple index", body=links)
    whole_json = json.dumps({"meta": {"api-version": "1.1"}, "projects": [{"name": p} for p in projects]},
                            separators=(",", ":")) + "\n"
    assert "".join(pages.root_html(projects)) == whole_html
    assert "".join(pages.root_json(projects)) == whole_json
    assert len(list(pages.root_json(projects))) == 2 + -(-count // pages._PER_CHUNK)  # in pieces


_SEEN_BY_FORK = ["the run's start"]  # what a publish worker saw of this process when it was forked


def _read_saying_when_forked(items):
    """Pool worker: each wheel "bad", for the reason of what this worker saw when it was forked."""
    return [(tag, _SEEN_BY_FORK[0]) for tag, _wheel, _size in items]


def test_the_runs_publish_workers_are_forked_before_the_fetch(tmp_path, monkeypatch):
    """A forked worker starts as big as its parent is at the fork: the run's publish workers are forked
    at its start, with convert's (they see this process as it was then), not after the run has grown."""
    real_fetch = pipeline.fetch_eggs

    def fetch_eggs(ctx):
        _SEEN_BY_FORK[0] = "after the fetch"
        return real_fetch(ctx)

    monkeypatch.setattr(pipeline, "fetch_eggs", fetch_eggs)
    monkeypatch.setattr(pool, "_POOL_MIN", 1)  # the sample's 14 wheels are read in the pool
    monkeypatch.setattr(pool, "read_wheels", _read_saying_when_forked)
    try:
        report = pipeline.run(RunOptions(out=tmp_path / "out", jobs=2), bars=None)
    finally:
        _SEEN_BY_FORK[0] = "the run's start"
    said = {p.message.split(": ", 1)[1] for p in report.publish.problems}
    assert len(report.publish.problems) == 14 and said == {"the run's start"}, said
