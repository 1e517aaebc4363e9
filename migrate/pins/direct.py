"""Pinning without backtracking: resolvelib's own steps while nothing conflicts, in linear time.

``resolvelib`` copies its whole state (every pin, every criterion) each round and keeps
every copy, so n projects cost n² time and memory: 2,855 requirements took 41 s and
647 MB. While no requirement conflicts with a pin already made, its rounds are simple:
pin the most preferred unpinned project (``==`` first, then by name: the provider's
``get_preference``) to the newest candidate whose dependencies all still have candidates,
and add those dependencies. :func:`resolve_directly` takes exactly those steps with a
heap and per-project state changed in place, so its pins are resolvelib's pins. The
moment resolvelib would do more (a new requirement that a pin does not satisfy, a
project with no candidate left), it gives up and returns None: the caller then runs
resolvelib itself, which backtracks.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from migrate.pins.prereleases import is_exact, names_prerelease, narrow
from migrate.pins.provider import Candidate, Provider

Progress = Callable[[int, int], None]  # (projects pinned, projects known so far)
Parent = Optional[str]  # the identifier of the candidate that asked; None for a root requirement


@dataclass(frozen=True)
class Resolution:
    """What a resolution found: identifier -> candidate, and who asked for each identifier."""

    mapping: dict[str, Candidate]
    parents: dict[str, tuple[Parent, ...]]


@dataclass
class _Criterion:
    """Everything asked of one identifier so far (resolvelib's ``Criterion``, kept as facts)."""

    name: str
    extras: frozenset[str]
    matching: Optional[tuple[Version, ...]]  # versions every requirement so far contains, newest first
    roots: list[Requirement] = field(default_factory=list)  # root requirements not applied yet (matching None)
    named: bool = False  # a requirement names a pre-release
    exact: bool = False  # a requirement is ``==``/``===``: pinned first
    parents: list[Parent] = field(default_factory=list)

    def key(self, identifier: str) -> tuple[bool, str]:
        return (not self.exact, identifier)


class _Conflict(Exception):
    """resolvelib would backtrack, re-pin or give up here: leave it to resolvelib."""


class _Direct:
    def __init__(self, provider: Provider, progress: Optional[Progress]):
        self.provider = provider
        self.progress = progress
        self.criteria: dict[str, _Criterion] = {}
        self.mapping: dict[str, Candidate] = {}
        self.heap: list[tuple[tuple[bool, str], str]] = []

    def matching(self, crit: _Criterion) -> tuple[Version, ...]:
        """``crit``'s versions. A root's project page is read when first needed, not up front, so
        progress moves from the start; no version for a root at all is left to resolvelib."""
        if crit.matching is None:
            crit.matching = self.provider.matching(crit.name, crit.roots)
            if not crit.matching:
                raise _Conflict(crit.name)
        return crit.matching

    def narrowed(self, requirement: Requirement, known: Optional[_Criterion]) -> Optional[_Criterion]:
        """``known`` (or a fresh criterion) with ``requirement`` added; None when no candidate is left
        (resolvelib's ``RequirementsConflicted``)."""
        if known is None:
            name = canonicalize_name(requirement.name)
            known = _Criterion(name, frozenset(requirement.extras), tuple(self.provider.compatible(name)))
        matching = narrow(self.matching(known), requirement)
        if not matching:
            return None
        return _Criterion(known.name, known.extras, matching, [], known.named or names_prerelease(requirement),
                          known.exact or is_exact(requirement), known.parents)

    def add(self, identifier: str, new: _Criterion, parent: Parent) -> None:
        """Record ``new`` for ``identifier``, asked by ``parent``; queue it when its preference moved."""
        old = self.criteria.get(identifier)
        new.parents.append(parent)
        self.criteria[identifier] = new
        if identifier not in self.mapping and (old is None or old.key(identifier) != new.key(identifier)):
            heapq.heappush(self.heap, (new.key(identifier), identifier))

    def roots(self, requirements: Iterable[Requirement]) -> None:
        for r in requirements:
            identifier = self.provider.identify(r)
            old = self.criteria.get(identifier) or _Criterion(canonicalize_name(r.name), frozenset(r.extras), None)
            new = _Criterion(old.name, old.extras, None, old.roots + [r], old.named or names_prerelease(r),
                             old.exact or is_exact(r), old.parents)
            self.add(identifier, new, None)

    def updates(self, identifier: str, candidate: Candidate) -> Optional[dict[str, _Criterion]]:
        """The criteria ``candidate``'s dependencies change, or None when one of them has no
        candidate left (resolvelib then tries the next candidate)."""
        changed: dict[str, _Criterion] = {}
        for dep in self.provider.get_dependencies(candidate):
            dep_id = self.provider.identify(dep)
            pinned = candidate if dep_id == identifier else self.mapping.get(dep_id)
            new = self.narrowed(dep, changed.get(dep_id) or self.criteria.get(dep_id))
            if new is None:
                return None
            if pinned is not None and not self.provider.is_satisfied_by(dep, pinned):
                raise _Conflict(dep_id)  # resolvelib would undo that pin
            changed[dep_id] = new
        return changed

    def pin(self, identifier: str) -> None:
        crit = self.criteria[identifier]
        for candidate in self.provider.candidates(crit.name, crit.extras, self.matching(crit), crit.named):
            changed = self.updates(identifier, candidate)
            if changed is not None:
                break
        else:
            raise _Conflict(identifier)  # every candidate conflicts: resolvelib backtracks
        self.mapping[identifier] = candidate
        for dep_id, new in changed.items():
            self.add(dep_id, new, identifier)
        if self.progress is not None:
            self.progress(len(self.mapping), len(self.criteria))

    def run(self) -> Resolution:
        if self.progress is not None:
            self.progress(0, len(self.criteria))
        while self.heap:
            key, identifier = heapq.heappop(self.heap)
            if identifier in self.mapping or self.criteria[identifier].key(identifier) != key:
                continue  # pinned already, or queued again with a better key
            self.pin(identifier)
        parents = {k: tuple(dict.fromkeys(self.criteria[k].parents)) for k in self.mapping}
        return Resolution(dict(self.mapping), parents)


def resolve_directly(provider: Provider, requirements: Iterable[Requirement],
                     progress: Optional[Progress] = None) -> Optional[Resolution]:
    """resolvelib's pins for ``requirements`` when it would never backtrack, else None."""
    direct = _Direct(provider, progress)
    try:
        direct.roots(requirements)
        return direct.run()
    except _Conflict:
        return None
