"""Resolving requirements for the target: :func:`pin`, a ``resolvelib`` provider over the index.

``pip install --dry-run --report --python-version`` cannot pin for another
interpreter (it applies the target's tags but evaluates markers for the host:
FACTS.md, "Mirrors and pins"); the resolver here is ``resolvelib`` (pip's own
backtracking resolver library) with a provider that reads the mirror's PEP 503
pages and the PEP 658 ``.metadata`` files (never the wheels, when those exist).
When nothing fits, :func:`explain` says in one paragraph who asked for what and
what the mirror has for the target.
"""
from __future__ import annotations

import email.parser
import os
from dataclasses import dataclass, field
from email.message import Message
from functools import lru_cache
from typing import Any, Iterable, Union

import resolvelib
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from migrate import problems as P
from migrate.pins.errors import PinError, Unresolvable
from migrate.pins.index import Index, IndexFile
from migrate.pins.target import Target


@dataclass(frozen=True)
class Root:
    """A requirement the user asked for, and where it came from (``-r file``, eggs.ini, command line)."""

    requirement: Requirement
    source: str = ""


@dataclass(frozen=True)
class Candidate:
    name: str  # normalized
    version: Version
    extras: frozenset[str]
    files: tuple[IndexFile, ...]  # compatible with the target, best first

    @property
    def best(self) -> IndexFile:
        return self.files[0]


@dataclass(frozen=True)
class Pin:
    name: str  # display name from METADATA
    version: str
    extras: tuple[str, ...]
    files: tuple[tuple[IndexFile, str], ...]  # (file, sha256) of every wheel of this version the target accepts
    via: tuple[str, ...]  # parents' display names and root sources


@dataclass(frozen=True)
class PinResult:
    target: Target
    pins: tuple[Pin, ...]
    index: str
    problems: tuple[P.Problem, ...] = field(default=())


def _identify(name: str, extras) -> str:
    return f"{name}[{','.join(sorted(extras))}]" if extras else name


class Provider(resolvelib.AbstractProvider):
    """resolvelib provider: candidates from the index, markers for the target."""

    def __init__(self, index: Index, target: Target):
        self.index = index
        self.target = target
        self.env = target.marker_environment()
        self.rank = {str(t): i for i, t in enumerate(target.tags())}
        self.python = Version(target.full_version)
        self.problems: list[P.Problem] = []
        self._meta: dict[str, Message] = {}

    # resolvelib API
    def identify(self, requirement_or_candidate) -> str:
        if isinstance(requirement_or_candidate, Candidate):
            return _identify(requirement_or_candidate.name, requirement_or_candidate.extras)
        r = requirement_or_candidate
        return _identify(canonicalize_name(r.name), r.extras)

    def get_preference(self, identifier, resolutions, candidates, information, backtrack_causes):
        pinned = any(s.operator in ("==", "===") for info in information[identifier]
                     for s in info.requirement.specifier)
        in_causes = any(self.identify(c.requirement) == identifier for c in backtrack_causes)
        return (not in_causes, not pinned, identifier)

    def find_matches(self, identifier, requirements, incompatibilities):
        reqs = list(requirements[identifier])
        name = canonicalize_name(reqs[0].name)
        extras = frozenset(e for r in reqs for e in r.extras)
        bad = {c.version for c in incompatibilities[identifier]}
        out = []
        for version, files in self.compatible(name).items():
            if version in bad or not all(r.specifier.contains(version, prereleases=True) for r in reqs):
                continue
            out.append(Candidate(name, version, extras, files))
        return sorted(out, key=lambda c: c.version, reverse=True)

    def is_satisfied_by(self, requirement, candidate) -> bool:
        return canonicalize_name(requirement.name) == candidate.name and \
            requirement.specifier.contains(candidate.version, prereleases=True)

    def get_dependencies(self, candidate):
        deps = []
        if candidate.extras:
            deps.append(Requirement(f"{candidate.name}=={candidate.version}"))
        for text in self.requires_dist(candidate):
            try:
                req = Requirement(text)
            except InvalidRequirement as exc:
                self.problems.append(P.warning("N002", f"{candidate.best.filename}: ignored Requires-Dist {text!r} ({exc})"))
                continue
            if req.url:
                self.problems.append(P.warning("N003", f"{candidate.best.filename}: ignored URL requirement {text!r}"))
                continue
            if self.applies(req, candidate.extras):
                deps.append(req)
        return deps

    # helpers
    def applies(self, req: Requirement, extras: frozenset[str]) -> bool:
        if req.marker is None:
            return not extras  # unconditional ones come with the base candidate
        wanted = extras or {""}
        return any(req.marker.evaluate({**self.env, "extra": e}) for e in wanted) and \
            not (extras and req.marker.evaluate({**self.env, "extra": ""}))

    @lru_cache(maxsize=None)
    def compatible(self, name: str) -> dict[Version, tuple[IndexFile, ...]]:
        """{version: files the target accepts, best tag first}, newest version first."""
        by_version: dict[Version, list[tuple[int, str, IndexFile]]] = {}
        for f in self.index.files(name):
            rank = min((self.rank[t] for t in f.tags if t in self.rank), default=None)
            if rank is None or not self._python_ok(f):
                continue
            by_version.setdefault(f.version, []).append((rank, f.filename, f))
        return {v: tuple(f for _, _, f in sorted(group)) for v, group in
                sorted(by_version.items(), key=lambda kv: kv[0], reverse=True)}

    def _python_ok(self, f: IndexFile) -> bool:
        if not f.requires_python:
            return True
        try:
            return SpecifierSet(f.requires_python).contains(self.python, prereleases=True)
        except InvalidSpecifier:
            return True

    def metadata(self, candidate: Candidate) -> Message:
        key = candidate.best.url
        if key not in self._meta:
            raw = self.index.metadata(candidate.best)
            self._meta[key] = email.parser.BytesParser().parsebytes(raw, headersonly=True)
        return self._meta[key]

    def requires_dist(self, candidate: Candidate) -> list[str]:
        return self.metadata(candidate).get_all("Requires-Dist") or []


def pin(requirements: Iterable[Union[str, Requirement, Root]], mirror: Union[str, os.PathLike[str], Index],
        target: Target, session=None) -> PinResult:
    """Resolve ``requirements`` (strings or :class:`Root`) against ``mirror`` for ``target``.

    Raises :class:`Unresolvable` (one paragraph) or :class:`PinError` (one line).
    """
    roots = [_root(r) for r in requirements]
    if not roots:
        raise PinError("nothing to pin: no requirements given (none as arguments, in requirement files or in an eggs.ini)")
    index = mirror if isinstance(mirror, Index) else Index(str(mirror), session)
    provider = Provider(index, target)
    applicable = [r for r in roots if r.requirement.marker is None or r.requirement.marker.evaluate(provider.env)]
    resolver = resolvelib.Resolver(provider, resolvelib.BaseReporter())
    try:
        result = resolver.resolve([r.requirement for r in applicable], max_rounds=10000)
    except resolvelib.ResolutionImpossible as exc:
        raise Unresolvable(explain(exc.causes, provider, target)) from None
    except resolvelib.ResolutionTooDeep:
        raise Unresolvable(f"Cannot pin for {target.describe()}: the resolver gave up after 10000 rounds "
                           "of backtracking; pin some versions in the requirements to narrow the search.") from None
    return PinResult(target, tuple(_pins(result, applicable, provider)), index.url, tuple(provider.problems))


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


def _pins(result, roots: list[Root], provider: Provider) -> list[Pin]:
    by_name: dict[str, _Gathered] = {}
    for identifier, cand in result.mapping.items():
        entry = by_name.setdefault(cand.name, _Gathered(cand))
        entry.extras |= cand.extras
        if not cand.extras:
            entry.cand = cand
        for parent in result.graph.iter_parents(identifier):
            if parent is not None:
                pname = result.mapping[parent].name
                if pname != cand.name:
                    entry.via.add(_display(provider, result.mapping[parent]))
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
        pins.append(Pin(_display(provider, cand), str(cand.version), tuple(sorted(entry.extras)), files,
                        tuple(sorted(entry.via, key=str.lower))))
    return pins


def _display(provider: Provider, cand: Candidate) -> str:
    return provider.metadata(cand).get("Name") or cand.name


def explain(causes, provider: Provider, target: Target) -> str:
    """One paragraph: what was asked, by whom, and what the mirror has for the target."""
    groups: dict[str, list[Any]] = {}  # project -> resolvelib's RequirementInformation about it
    for info in causes:
        groups.setdefault(canonicalize_name(info.requirement.name), []).append(info)
    parts = []
    for name, infos in groups.items():
        asked = []
        for info in infos:
            who = "you" if info.parent is None else f"{_display(provider, info.parent)} {info.parent.version}"
            asked.append(f"{who} asked for '{info.requirement}'")
        everything = provider.index.files(name)
        usable = provider.compatible(name)
        if not everything:
            have = "the mirror has no project of that name"
        elif not usable:
            shown = ", ".join(sorted({"-".join(f.filename[:-4].split("-")[-3:]) for f in everything}))
            versions = ", ".join(sorted({str(f.version) for f in everything}, key=Version))
            have = f"the mirror has {versions} but no wheel this target accepts (tags there: {shown})"
        else:
            have = "the mirror has " + ", ".join(str(v) for v in usable) + " for this target"
        parts.append(f"{name}: {'; '.join(asked)}; {have}")
    return (f"Cannot pin for {target.describe()} (markers evaluated for python_version "
            f"{target.short}, sys_platform {provider.env['sys_platform']}): " + ". ".join(parts) +
            ". Add the missing wheels to the mirror (convert the eggs that provide them and publish again) "
            "or change the requirements.")
