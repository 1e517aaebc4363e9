"""``pin()``: requirements -> pins for the target, straight through when nothing conflicts
(:mod:`~migrate.pins.direct`, linear) and with resolvelib's backtracking when something does.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Optional, Union

import resolvelib
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from migrate.disklog import DiskLog
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
    is called with (projects pinned, projects known) as the resolution goes. The pins come
    back in a :class:`~migrate.disklog.DiskLog`: read one at a time, never all in memory.
    Raises :class:`Unresolvable` (one paragraph) or :class:`PinError` (one line).
    """
    given = requirements if isinstance(requirements, (list, tuple)) else list(requirements)
    if not given:
        raise PinError("nothing to pin: no requirements given (none as arguments, in requirement files or in an eggs.ini)")
    index = mirror if isinstance(mirror, Index) else Index(str(mirror), session)
    provider = Provider(index, target, pre)
    asked = _Asked()
    resolution = resolve_directly(provider, asked.applicable(given, provider), progress)
    if resolution is None:
        provider.problems.clear()  # resolvelib reads the same metadata again
        resolution = backtrack(provider, list(_Asked().applicable(given, provider)), progress)
    return PinResult(target, _pins(resolution, asked, provider), index.url, tuple(provider.problems))


class _Asked:
    """The roots, parsed one at a time as the resolver takes them; kept of them: the extras and
    sources (``-r file``, eggs.ini) each project was asked with, for the pins' ``# via``."""

    def __init__(self) -> None:
        self.extras: dict[str, set[str]] = {}
        self.sources: dict[str, set[str]] = {}

    def applicable(self, given: Iterable[Union[str, Requirement, Root]], provider: Provider) -> Iterator[Requirement]:
        """The requirements whose markers hold for the target."""
        for item in given:
            root = _root(item)
            r = root.requirement
            if r.marker is not None and not r.marker.evaluate(provider.env):
                continue
            name = canonicalize_name(r.name)
            if r.extras:
                self.extras.setdefault(name, set()).update(r.extras)
            if root.source:
                self.sources.setdefault(name, set()).add(root.source)
            yield r


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
    shown: str  # its name as its metadata spells it
    extras: set[str] = field(default_factory=set)
    via: set[str] = field(default_factory=set)


def _pins(resolution: Resolution, asked: _Asked, provider: Provider) -> DiskLog[Pin]:
    """The pins, by project name, made one project at a time into a log on disk."""
    mapping = resolution.mapping
    with_extras: dict[str, list[str]] = {}  # project -> its identifiers with extras (few)
    for identifier in mapping:
        if "[" in identifier:
            with_extras.setdefault(identifier.split("[", 1)[0], []).append(identifier)
    out: DiskLog[Pin] = DiskLog()
    for name in sorted({i for i in mapping if "[" not in i} | with_extras.keys()):  # the identifiers themselves
        entry = _gather(resolution, ([name] if name in mapping else []) + with_extras.pop(name, []), provider)
        entry.extras |= asked.extras.get(name, set())
        entry.via |= asked.sources.get(name, set())
        cand = entry.cand
        files = tuple((f, provider.index.sha256(f)) for f in cand.files)
        out.append(Pin(entry.shown, str(cand.version), tuple(sorted(entry.extras)), files,
                       tuple(sorted(entry.via, key=str.lower))))
    return out


def _gather(resolution: Resolution, identifiers: list[str], provider: Provider) -> _Gathered:
    """One project's candidates (with and without extras) and the display names of who asked for them."""
    entry: Optional[_Gathered] = None
    for identifier in identifiers:
        cand = resolution.mapping[identifier]
        if entry is None:
            entry = _Gathered(cand, resolution.display(identifier, provider))
        elif not cand.extras:  # the project itself, not one of its extras: its pin is the one shown
            entry.cand, entry.shown = cand, resolution.display(identifier, provider)
        entry.extras |= cand.extras
        for parent in resolution.parents[identifier]:
            if parent is None or parent.split("[", 1)[0] == cand.name:
                continue
            entry.via.add(resolution.display(parent, provider))
    assert entry is not None
    return entry
