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

Memory stays flat in the number of projects beyond the one fact each needs: a pinned
candidate goes to disk (:class:`~migrate.pins.pinned.PinnedLog`), a criterion keeps only
the versions still possible and who asked, and a root that names no version keeps no
requirement at all.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Optional, Sequence

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from migrate.pins.pinned import PinnedLog
from migrate.pins.prereleases import is_exact, names_prerelease, narrow
from migrate.pins.provider import Candidate, Provider

Progress = Callable[[int, int], None]  # (projects pinned, projects known so far)
Parent = Optional[str]  # the identifier of the candidate that asked; None for a root requirement


@dataclass(frozen=True)
class Resolution:
    """What a resolution found: identifier -> candidate, and who asked for each identifier."""

    mapping: Mapping[str, Candidate]
    parents: Mapping[str, Sequence[Parent]]

    def display(self, identifier: str, provider: Provider) -> str:
        """The pinned project's name as its metadata spells it (without loading a candidate kept on disk)."""
        found = self.mapping.display(identifier) if isinstance(self.mapping, PinnedLog) else None
        return found if found is not None else provider.display(self.mapping[identifier])


class _Criterion:
    """Everything asked of one identifier so far (resolvelib's ``Criterion``, kept as facts)."""

    __slots__ = ("name", "extras", "matching", "roots", "named", "exact", "parents")

    def __init__(self, name: str, extras: frozenset[str], matching: Optional[tuple[Version, ...]],
                 roots: tuple[Requirement, ...] = (), named: bool = False, exact: bool = False,
                 parents: Sequence[Parent] = ()):
        self.name, self.extras = name, extras
        self.matching = matching  # versions every requirement so far contains, newest first
        self.roots = roots  # root requirements that narrow the versions, not applied yet (matching None)
        self.named = named  # a requirement names a pre-release
        self.exact = exact  # a requirement is ``==``/``===``: pinned first
        self.parents = parents  # who asked: :data:`_ROOT` when only the roots did, else a list

    def key(self, identifier: str) -> str:
        """resolvelib's order (``==`` first, then by name) as one string: "0name" before "1name"."""
        return ("0" if self.exact else "1") + identifier


_ROOT: tuple[Parent, ...] = (None,)  # who asked for a project only the roots asked for
_NO_EXTRAS: frozenset[str] = frozenset()  # one for all: an empty frozenset is 216 bytes


def _extras(requirement: Requirement) -> frozenset[str]:
    return frozenset(requirement.extras) if requirement.extras else _NO_EXTRAS


class _Conflict(Exception):
    """resolvelib would backtrack, re-pin or give up here: leave it to resolvelib."""


class _Direct:
    def __init__(self, provider: Provider, progress: Optional[Progress]):
        self.provider = provider
        self.progress = progress
        self.criteria: dict[str, _Criterion] = {}
        self.mapping = PinnedLog()
        self.parents: dict[str, Sequence[Parent]] = {}  # who asked for each pinned identifier
        self.heap: list[str] = []  # keys of the identifiers to pin

    def matching(self, crit: _Criterion) -> tuple[Version, ...]:
        """``crit``'s versions. A root's project page is read when first needed, not up front, so
        progress moves from the start; no version for a root at all is left to resolvelib."""
        if crit.matching is None:
            crit.matching, crit.roots = self.provider.matching(crit.name, crit.roots), ()
            if not crit.matching:
                raise _Conflict(crit.name)
        return crit.matching

    def narrowed(self, requirement: Requirement, known: Optional[_Criterion]) -> Optional[_Criterion]:
        """``known`` (or a fresh criterion) with ``requirement`` added; None when no candidate is left
        (resolvelib's ``RequirementsConflicted``)."""
        if known is None:
            name = canonicalize_name(requirement.name)
            known = _Criterion(name, _extras(requirement), tuple(self.provider.compatible(name)))
        matching = narrow(self.matching(known), requirement)
        if not matching:
            return None
        return _Criterion(known.name, known.extras, matching, (), known.named or names_prerelease(requirement),
                          known.exact or is_exact(requirement), known.parents)

    def add(self, identifier: str, new: _Criterion, parent: Parent) -> None:
        """Record ``new`` for ``identifier``, asked by ``parent``; queue it when its preference moved."""
        old = self.criteria.get(identifier)
        if isinstance(new.parents, list):
            new.parents.append(parent)
        else:  # most projects only a root asks for: one tuple for them all, not a list each
            new.parents = _ROOT if parent is None and not new.parents else [*new.parents, parent]
        self.criteria[identifier] = new
        if old is None or old.key(identifier) != new.key(identifier):
            heapq.heappush(self.heap, new.key(identifier))

    def roots(self, requirements: Iterable[Requirement]) -> None:
        for r in requirements:
            identifier = self.provider.identify(r)
            name = identifier if not r.extras else canonicalize_name(r.name)  # the same text: one string
            old = self.criteria.get(identifier) or _Criterion(name, _extras(r), None)
            narrows = (r,) if r.specifier else ()  # a bare name narrows nothing: not kept
            new = _Criterion(old.name, old.extras, None, old.roots + narrows, old.named or names_prerelease(r),
                             old.exact or is_exact(r), old.parents)
            self.add(identifier, new, None)

    def updates(self, identifier: str, candidate: Candidate) -> Optional[tuple[dict[str, _Criterion], list[str]]]:
        """(the criteria ``candidate``'s dependencies change, the pinned projects they ask for again), or
        None when one of them has no candidate left (resolvelib then tries the next candidate)."""
        changed: dict[str, _Criterion] = {}
        again: list[str] = []
        for dep in self.provider.get_dependencies(candidate):
            dep_id = self.provider.identify(dep)
            pinned = self.mapping.version(dep_id)
            if pinned is not None:  # its criterion is gone: the pin is all that matters now
                if not dep.specifier.contains(pinned, prereleases=True):
                    raise _Conflict(dep_id)  # resolvelib would undo that pin (or try another candidate)
                again.append(dep_id)
                continue
            new = self.narrowed(dep, changed.get(dep_id) or self.criteria.get(dep_id))
            if new is None:
                return None
            if dep_id == identifier and not dep.specifier.contains(candidate.version, prereleases=True):
                raise _Conflict(dep_id)  # resolvelib would undo that pin
            changed[dep_id] = new
        return changed, again

    def pin(self, identifier: str) -> None:
        crit = self.criteria[identifier]
        for candidate in self.provider.candidates(crit.name, crit.extras, self.matching(crit), crit.named):
            found = self.updates(identifier, candidate)
            if found is not None:
                break
        else:
            raise _Conflict(identifier)  # every candidate conflicts: resolvelib backtracks
        changed, again = found
        self.mapping.add(identifier, candidate, self.provider.display(candidate))
        self.parents[identifier] = self.criteria.pop(identifier).parents
        for dep_id, new in changed.items():
            if dep_id == identifier:  # the candidate asks for itself: only who asked counts now
                self.asked_again(identifier, identifier)
                continue
            self.add(dep_id, new, identifier)
        for dep_id in again:
            self.asked_again(dep_id, identifier)
        if self.progress is not None:
            self.progress(len(self.mapping), len(self.mapping) + len(self.criteria))

    def asked_again(self, identifier: str, parent: str) -> None:
        """``parent`` asks for the pinned ``identifier`` too."""
        asked = self.parents[identifier]
        if isinstance(asked, list):
            asked.append(parent)
        else:
            self.parents[identifier] = [*asked, parent]

    def run(self) -> Resolution:
        if self.progress is not None:
            self.progress(0, len(self.criteria))
        while self.heap:
            key = heapq.heappop(self.heap)
            identifier = key[1:]
            if identifier in self.mapping or self.criteria[identifier].key(identifier) != key:
                continue  # pinned already, or queued again with a better key
            self.pin(identifier)
        for identifier, asked in self.parents.items():
            if len(asked) > 1:
                self.parents[identifier] = list(dict.fromkeys(asked))
        return Resolution(self.mapping, self.parents)


def resolve_directly(provider: Provider, requirements: Iterable[Requirement],
                     progress: Optional[Progress] = None) -> Optional[Resolution]:
    """resolvelib's pins for ``requirements`` when it would never backtrack, else None."""
    direct = _Direct(provider, progress)
    try:
        direct.roots(requirements)
        return direct.run()
    except _Conflict:
        return None
