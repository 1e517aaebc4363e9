"""``pin()``: requirements -> pins for the target, straight through when nothing conflicts
(:mod:`~migrate.pins.direct`, linear) and with resolvelib's backtracking when something does.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterable, Optional, Union

import resolvelib
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from migrate.pins.direct import Progress, Resolution, resolve_directly
from migrate.pins.errors import PinError, Unresolvable
from migrate.pins.index import Index
from migrate.pins.provider import Candidate, Pin, PinResult, Provider, Root, explain
from migrate.pins.target import Target

MAX_ROUNDS = 10000


def pin(requirements: Iterable[Union[str, Requirement, Root]], mirror: Union[str, os.PathLike[str], Index],
        target: Target, session=None, *, pre: bool = False, progress: Optional[Progress] = None) -> PinResult:
    """Resolve ``requirements`` (strings or :class:`Root`) against ``mirror`` for ``target``.

    Pre-releases only with ``pre`` or when a requirement names one (pip's rule). ``progress``
    is called with (projects pinned, projects known) as the resolution goes.
    Raises :class:`Unresolvable` (one paragraph) or :class:`PinError` (one line).
    """
    roots = [_root(r) for r in requirements]
    if not roots:
        raise PinError("nothing to pin: no requirements given (none as arguments, in requirement files or in an eggs.ini)")
    index = mirror if isinstance(mirror, Index) else Index(str(mirror), session)
    provider = Provider(index, target, pre)
    applicable = [r for r in roots if r.requirement.marker is None or r.requirement.marker.evaluate(provider.env)]
    wanted = [r.requirement for r in applicable]
    resolution = resolve_directly(provider, wanted, progress)
    if resolution is None:
        provider.problems.clear()  # resolvelib reads the same metadata again
        resolution = backtrack(provider, wanted, progress)
    return PinResult(target, tuple(_pins(resolution, applicable, provider)), index.url, tuple(provider.problems))


class _Reporter(resolvelib.BaseReporter):
    """Counts what resolvelib pins, for ``progress``."""

    def __init__(self, progress: Optional[Progress]):
        self.progress = progress
        self.known: set[str] = set()
        self.pinned = 0

    def adding_requirement(self, requirement, parent) -> None:
        self.known.add(canonicalize_name(requirement.name))

    def pinning(self, candidate) -> None:
        self.pinned += 1
        if self.progress is not None:
            self.progress(min(self.pinned, len(self.known)), len(self.known))


def backtrack(provider: Provider, requirements: list[Requirement], progress: Optional[Progress] = None) -> Resolution:
    """resolvelib's resolution (with backtracking); raises :class:`Unresolvable` when there is none."""
    resolver = resolvelib.Resolver(provider, _Reporter(progress))
    target = provider.target
    try:
        result = resolver.resolve(requirements, max_rounds=MAX_ROUNDS)
    except resolvelib.ResolutionImpossible as exc:
        raise Unresolvable(explain(exc.causes, provider, target)) from None
    except resolvelib.ResolutionTooDeep:
        raise Unresolvable(f"Cannot pin for {target.describe()}: the resolver gave up after {MAX_ROUNDS} rounds "
                           "of backtracking; pin some versions in the requirements to narrow the search.") from None
    mapping = dict(result.mapping)
    return Resolution(mapping, {k: tuple(result.graph.iter_parents(k)) for k in mapping})


def _root(item: Union[str, Requirement, Root]) -> Root:
    if isinstance(item, Root):
        return item
    if isinstance(item, Requirement):
        return Root(item)
    try:
        return Root(Requirement(str(item)))
    except InvalidRequirement as exc:
        raise PinError(f"{item!r}: not a requirement ({exc})") from None


@dataclass
class _Gathered:
    """What the resolution says of one project: its base candidate, the extras wanted, who asked."""

    cand: Candidate
    extras: set[str] = field(default_factory=set)
    via: set[str] = field(default_factory=set)


def _pins(resolution: Resolution, roots: list[Root], provider: Provider) -> list[Pin]:
    by_name: dict[str, _Gathered] = {}
    mapping = resolution.mapping
    for identifier, cand in mapping.items():
        entry = by_name.setdefault(cand.name, _Gathered(cand))
        entry.extras |= cand.extras
        if not cand.extras:
            entry.cand = cand
        for parent in resolution.parents[identifier]:
            if parent is not None and mapping[parent].name != cand.name:
                entry.via.add(provider.display(mapping[parent]))
    for r in roots:
        asked = by_name.get(canonicalize_name(r.requirement.name))
        if asked is not None:
            asked.extras |= set(r.requirement.extras)
            if r.source:
                asked.via.add(r.source)
    pins = []
    for name in sorted(by_name):
        entry = by_name[name]
        cand = entry.cand
        files = tuple((f, provider.index.sha256(f)) for f in cand.files)
        pins.append(Pin(provider.display(cand), str(cand.version), tuple(sorted(entry.extras)), files,
                        tuple(sorted(entry.via, key=str.lower))))
    return pins
