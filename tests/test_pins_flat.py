"""The pin stage in flat memory, proved by structure (never by timing or an RSS threshold): while
hundreds of projects are pinned only the few candidates of the project being pinned are alive, the
pins are written one at a time, nothing of a resolution outlives ``pin()``, and the run's pin bar
moves while the resolution goes, not only at its end.

The graph lives in memory (``tests.test_pins_scale.MemoryIndex``): 600 projects cost no disk.
"""
from __future__ import annotations

import gc
import weakref

from migrate import pins
from migrate.disklog import DiskLog
from migrate.pins import provider as provider_module
from migrate.pins import resolve as resolve_module
from migrate.pins import writers
from migrate.run import pipeline
from migrate.run.pipeline import RunOptions
from tests.test_pins_scale import TARGET, MemoryIndex, chain

PROJECTS = 600


class Alive:
    """Counts the objects it is shown that are still alive, and the most alive at once."""

    def __init__(self) -> None:
        self.refs: set[weakref.ref] = set()
        self.seen = self.most = 0

    def add(self, obj) -> None:
        self.refs.add(weakref.ref(obj, self.refs.discard))
        self.seen += 1
        self.most = max(self.most, len(self.refs))


def test_only_the_candidates_of_the_project_being_pinned_are_alive(monkeypatch):
    """A pinned candidate goes to disk: a mapping of them in memory would keep all 600 alive at the last pin."""
    alive = Alive()

    class Candidate(provider_module.Candidate):
        def __init__(self, *args):
            super().__init__(*args)
            alive.add(self)

    monkeypatch.setattr(provider_module, "Candidate", Candidate)
    most_while_pinning = []
    result = pins.pin([f"app{i}" for i in range(PROJECTS)], MemoryIndex(chain(PROJECTS)), TARGET,
                      progress=lambda done, total: most_while_pinning.append(alive.most))
    assert len(result.pins) == PROJECTS + 5 and alive.seen > PROJECTS
    assert most_while_pinning[-1] <= 4, most_while_pinning[-1]


def test_pins_are_written_one_at_a_time(tmp_path, monkeypatch):
    """pin() gives its pins in a DiskLog and the writers take them one at a time: a tuple of them
    would have all 605 alive while the file is written."""
    result = pins.pin([f"app{i}" for i in range(PROJECTS)], MemoryIndex(chain(PROJECTS)), TARGET)
    assert isinstance(result.pins, DiskLog)
    alive = Alive()
    real_lines, real_package = writers._requirement_lines, writers._package_lines

    def requirement_lines(pin):
        alive.add(pin)
        return real_lines(pin)

    def package_lines(pin, *args):
        alive.add(pin)
        return real_package(pin, *args)

    monkeypatch.setattr(writers, "_requirement_lines", requirement_lines)
    monkeypatch.setattr(writers, "_package_lines", package_lines)
    pins.write_requirements(result, tmp_path / "requirements.txt")
    pins.write_pylock(result, tmp_path / "pylock.toml")
    assert alive.seen == 2 * (PROJECTS + 5) and alive.most <= 2
    text = (tmp_path / "requirements.txt").read_text()
    assert text.count("==1.0 \\\n") == PROJECTS + 5 and "app599==1.0" in text
    assert (tmp_path / "pylock.toml").read_text().count("[[packages]]") == PROJECTS + 5


def test_nothing_of_a_resolution_outlives_pin(monkeypatch):
    """The provider (its caches of pages and metadata) is gone once pin() returns: a cache that
    keeps it (an lru_cache on a method) would hold every project page for the life of the process."""
    alive = Alive()

    class Provider(provider_module.Provider):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            alive.add(self)

    monkeypatch.setattr(resolve_module, "Provider", Provider)
    result = pins.pin([f"app{i}" for i in range(50)], MemoryIndex(chain(50)), TARGET)
    gc.collect()
    assert alive.seen == 1 and not alive.refs and len(result.pins) == 55


class RecordingBars:
    """The run's bars: each call with whether requirements.txt was written yet."""

    def __init__(self, out):
        self.out, self.calls = out, []

    def __call__(self, stage, total, unit):
        record = self.calls
        written = (self.out / "requirements.txt").exists

        class Bar:
            def add_total(self, n):
                record.append((stage, "add_total", n, written()))

            def update(self, n=1):
                record.append((stage, "update", n, written()))

            def close(self):
                record.append((stage, "close", 0, written()))

        record.append((stage, "new", total, written()))
        return Bar()


def test_the_runs_pin_bar_moves_while_it_resolves(tmp_path):
    """Every pin moves the bar before requirements.txt is written (a bar moved only at the end, or
    not at all, fails), and it ends at the number of pins."""
    out = tmp_path / "out"
    bars = RecordingBars(out)
    report = pipeline.run(RunOptions(out=out, jobs=1), bars=bars)
    calls = [c for c in bars.calls if c[0] == "pin"]
    assert calls[0][1] == "new" and calls[-1][1] == "close"
    total = calls[0][2] + sum(n for _, what, n, _ in calls if what == "add_total")
    updates = [(n, written) for _, what, n, written in calls if what == "update"]
    assert report.pins_count >= 5 and total == sum(n for n, _ in updates) == report.pins_count
    assert len(updates) >= report.pins_count - 1 and not any(written for _, written in updates)


def test_the_roots_criteria_share_who_asked_and_their_name(monkeypatch):
    """All roots are known before the first pin: each root's criterion holds no list of who asked
    (one tuple for them all; a list each was 56 bytes a root) and no second copy of its name (63
    bytes): 1.3 MB less at the pin stage's peak for 11,427 roots. The pins are the same."""
    from packaging.requirements import Requirement

    from migrate.pins import direct

    provider = provider_module.Provider(MemoryIndex(chain(PROJECTS)), TARGET, False)
    resolver = direct._Direct(provider, None)
    resolver.roots([Requirement(f"app{i}") for i in range(PROJECTS)] + [Requirement("app1")])
    criteria = resolver.criteria
    assert len(criteria) == PROJECTS and len({id(c.parents) for c in criteria.values()}) == 2
    assert list(criteria["app1"].parents) == [None, None] and list(criteria["app2"].parents) == [None]
    assert all(c.name is identifier for identifier, c in criteria.items())
    result = pins.pin([f"app{i}" for i in range(PROJECTS)], MemoryIndex(chain(PROJECTS)), TARGET)
    assert [str(p.version) for p in result.pins] == ["1.0"] * (PROJECTS + 5)
