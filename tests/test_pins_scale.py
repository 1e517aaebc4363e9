"""Pins that scale: the straight-through resolution (``migrate.pins.direct``) gives resolvelib's
own answer, on a large conflict-free graph and on graphs that need backtracking, in linear
time, and says how far it got as it goes.

The graphs live in memory (an ``Index`` whose pages and ``.metadata`` files are made here),
so thousands of projects cost no disk and no wheels.
"""
from __future__ import annotations

import hashlib
import random

from packaging.requirements import Requirement
from packaging.version import Version

from migrate import pins
from migrate.pins import direct as direct_module
from migrate.pins.direct import resolve_directly
from migrate.pins.prereleases import narrow
from migrate.pins.resolve import backtrack

TARGET = pins.Target.make("3.10")


class MemoryIndex(pins.Index):
    """A simple index held in a dict: {project: {version: [Requires-Dist, ...]}}, one pure wheel each."""

    def __init__(self, projects: dict):
        self.url = "memory:///simple/"
        self.requests = []
        self.projects = projects
        self.reads = 0

    def files(self, project):
        out = []
        for version in self.projects.get(project, {}):
            filename = f"{project.replace('-', '_')}-{version}-py3-none-any.whl"
            out.append(pins.IndexFile(filename, f"{self.url}{project}/{filename}",
                                      hashlib.sha256(filename.encode()).hexdigest(), None, None, True, project,
                                      Version(version), frozenset({"py3-none-any"})))
        return out

    def metadata(self, f):
        self.reads += 1
        requires = self.projects[f.name][str(f.version)]
        lines = ["Metadata-Version: 2.1", f"Name: {f.name}", f"Version: {f.version}"]
        return ("\n".join(lines + [f"Requires-Dist: {r}" for r in requires]) + "\n\n").encode()


def both(projects: dict, roots: list):
    """(straight-through answer or None, resolvelib's answer or the Unresolvable it raised)."""
    reqs = [Requirement(r) for r in roots]
    direct = resolve_directly(pins.Provider(MemoryIndex(projects), TARGET), reqs)
    try:
        full = backtrack(pins.Provider(MemoryIndex(projects), TARGET), reqs)
    except pins.Unresolvable as exc:
        return direct, exc
    return direct, full


def pinned(resolution) -> dict:
    return {k: str(c.version) for k, c in resolution.mapping.items()}


def parents(resolution) -> dict:
    return {k: set(v) for k, v in resolution.parents.items()}


def big_graph(n: int, seed: int = 1) -> dict:
    """n projects, each 1-3 versions (some pre-releases), depending on a few lower-numbered ones with
    specifiers every version of theirs meets, so nothing ever conflicts."""
    rng = random.Random(seed)
    projects = {}
    for i in range(n):
        versions = {}
        for v in rng.sample(["1.0", "1.1", "2.0", "2.1rc1", "3.0.dev1"], rng.randint(1, 3)):
            deps = [f"p{j}>=0.5" for j in rng.sample(range(i), min(i, rng.randint(0, 3)))]
            if i > 5 and rng.random() < 0.2:
                deps.append(f"p{rng.randrange(i)}[extra1]")
            versions[v] = deps + ['p0; extra == "extra1"']
        projects[f"p{i}"] = versions
    return projects


def test_a_large_conflict_free_graph_gets_resolvelibs_pins_and_parents():
    projects = big_graph(400)
    roots = [f"p{i}" for i in range(0, 400, 3)] + ["p7==1.0" if "1.0" in projects["p7"] else "p7"]
    direct, full = both(projects, roots)
    assert direct is not None, "nothing conflicts here: no fallback to resolvelib"
    assert pinned(direct) == pinned(full) and len(direct.mapping) > 300
    assert parents(direct) == parents(full)


def test_a_conflict_that_needs_backtracking_is_left_to_resolvelib():
    projects = {
        "a": {"2.0": ["x>=2"], "1.0": ["x<2"]},  # pinned first (by name) at 2.0 ...
        "b": {"1.0": ["x<2"]},  # ... which b cannot live with: resolvelib backtracks to a 1.0
        "x": {"2.0": [], "1.5": [], "1.0": []},
    }
    direct, full = both(projects, ["a", "b"])
    assert direct is None
    assert pinned(full) == {"a": "1.0", "b": "1.0", "x": "1.5"}
    result = pins.pin(["a", "b"], MemoryIndex(projects), TARGET)
    assert {p.name: p.version for p in result.pins} == {"a": "1.0", "b": "1.0", "x": "1.5"}


def test_a_candidate_whose_dependency_has_nothing_left_is_skipped_as_resolvelib_does():
    projects = {
        "a": {"2.0": ["x>=3"], "1.0": ["x"]},  # a 2.0 needs an x the mirror lacks: next candidate, no backtracking
        "x": {"1.0": []},
    }
    direct, full = both(projects, ["a"])
    assert direct is not None and pinned(direct) == pinned(full) == {"a": "1.0", "x": "1.0"}


def test_exact_requirements_are_pinned_first_as_resolvelib_does():
    """Two orders, two straight answers: resolvelib pins the ``==`` project first, so q 2.1 (which
    wants p<2) beats p 2.0 (which wants q<2.1)."""
    projects = {"p": {"2.0": ["q<2.1"], "1.0": []}, "q": {"2.1": ["p<2"], "2.0": []}}
    direct, full = both(projects, ["p", "q==2.*"])
    assert direct is not None and pinned(direct) == pinned(full) == {"p": "1.0", "q": "2.1"}


def random_graph(seed: int):
    """(projects, roots): 7 projects of 2-5 versions (a pre-release among them), each depending on up to
    three others (cycles too) with specifiers drawn at random (``==``, pre-release bounds, exclusions)."""
    rng = random.Random(seed)
    names = [f"q{i}" for i in range(7)]
    specs = ["", "", ">=1.0", "<2", "==1.0", ">=2.0b1", "!=2.0", "<1.1", ">=1.1"]
    projects = {n: {v: [f"{rng.choice([m for m in names if m != n])}{rng.choice(specs)}"
                        for _ in range(rng.randint(0, 3))]
                    for v in rng.sample(["1.0", "1.1", "2.0b1", "2.0", "2.1"], rng.randint(2, 5))}
                for n in names}
    return projects, [f"{n}{rng.choice(specs)}" for n in rng.sample(names, 4)]


def test_random_graphs_agree_with_resolvelib():
    """Whenever the straight path answers, it is resolvelib's answer (pins and who asked); when
    resolvelib finds nothing, the straight path gave up too. The 100 graphs have all three cases."""
    seen = {"straight": 0, "backtracked": 0, "unresolvable": 0}
    for seed in range(100):
        direct, full = both(*random_graph(seed))
        if isinstance(full, pins.Unresolvable):
            assert direct is None, seed
            seen["unresolvable"] += 1
        elif direct is None:
            seen["backtracked"] += 1
        else:
            assert (pinned(direct), parents(direct)) == (pinned(full), parents(full)), seed
            seen["straight"] += 1
    assert min(seen.values()) >= 5, seen


def chain(n: int) -> dict:
    """n renamed copies of one app depending on a shared few, like benchmarks/run.py's mirror."""
    projects = {f"base{j}": {"1.0": [], "0.9": []} for j in range(5)}
    for i in range(n):
        projects[f"app{i}"] = {"1.0": [f"base{i % 5}>=0.9", f"base{(i + 1) % 5}"]}
    return projects


def test_work_grows_linearly_and_progress_moves(monkeypatch):
    """4x the projects, 4x the versions checked (resolvelib copies its state each round: 16x);
    progress counts every pin and never goes back."""
    checked = []

    def counting(versions, requirement):
        versions = tuple(versions)
        checked.append(len(versions))
        return narrow(versions, requirement)

    monkeypatch.setattr(direct_module, "narrow", counting)

    def work(n):
        checked.clear()
        calls = []
        index = MemoryIndex(chain(n))
        result = pins.pin([f"app{i}" for i in range(n)], index, TARGET, progress=lambda d, t: calls.append((d, t)))
        assert len(result.pins) == n + 5 and index.reads == n + 5  # one metadata read per pin
        assert calls[0] == (0, n) and calls[-1] == (n + 5, n + 5) and len(calls) == n + 6
        assert all(a[0] < b[0] and a[1] <= b[1] for a, b in zip(calls, calls[1:]))
        return sum(checked)

    small, large = work(500), work(2000)
    assert 3.9 < large / small < 4.1, (small, large)
