"""Resolving requirements for the target: a ``resolvelib`` provider over the index.

``pip install --dry-run --report --python-version`` cannot pin for another
interpreter (it applies the target's tags but evaluates markers for the host);
the resolver here is ``resolvelib`` (pip's own
backtracking resolver library) with a provider that reads the mirror's PEP 503
pages and the PEP 658 ``.metadata`` files (never the wheels, when those exist).
When nothing fits, :func:`explain` says in one paragraph who asked for what and
what the mirror has for the target.
"""
from __future__ import annotations

import email.parser
from dataclasses import dataclass, field
from typing import Any, Container, Iterable, Sequence

import resolvelib
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from migrate import problems as P
from migrate.pins.index import Index, IndexFile
from migrate.pins.prereleases import allowed, is_exact, names_prerelease, narrow
from migrate.pins.target import Target
from migrate.recent import Recent


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

    def __reduce__(self):
        """Pickled as plain values, as :class:`IndexFile` is."""
        return (_candidate, (self.name, str(self.version), tuple(sorted(self.extras)), self.files))


def _candidate(name: str, version: str, extras: tuple[str, ...], files: tuple[IndexFile, ...]) -> Candidate:
    return Candidate(name, Version(version), frozenset(extras), files)


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
    pins: Sequence[Pin]  # by name; pin() gives a DiskLog (one pin in memory at a time)
    index: str
    problems: tuple[P.Problem, ...] = field(default=())


def _identify(name: str, extras) -> str:
    return f"{name}[{','.join(sorted(extras))}]" if extras else name


class Provider(resolvelib.AbstractProvider):
    """resolvelib provider: candidates from the index, markers for the target; pre-releases only
    with ``pre`` or when a requirement names one (:mod:`~migrate.pins.prereleases`)."""

    def __init__(self, index: Index, target: Target, pre: bool = False):
        self.index = index
        self.target = target
        self.pre = pre
        self.env = target.marker_environment()
        self.rank = {str(t): i for i, t in enumerate(target.tags())}
        self.python = Version(target.full_version)
        self.problems: list[P.Problem] = []
        self._names: Recent[tuple[str, Version], str] = Recent()  # (project, version) -> the name its metadata spells
        self._requires: Recent[tuple[str, Version], tuple[str, ...]] = Recent()
        self._compatible: Recent[str, dict[Version, tuple[IndexFile, ...]]] = Recent()

    # resolvelib API
    def identify(self, requirement_or_candidate) -> str:
        if isinstance(requirement_or_candidate, Candidate):
            return _identify(requirement_or_candidate.name, requirement_or_candidate.extras)
        r = requirement_or_candidate
        return _identify(canonicalize_name(r.name), r.extras)

    def get_preference(self, identifier, resolutions, candidates, information, backtrack_causes):
        pinned = any(is_exact(info.requirement) for info in information[identifier])
        in_causes = any(self.identify(c.requirement) == identifier for c in backtrack_causes)
        return (not in_causes, not pinned, identifier)

    def find_matches(self, identifier, requirements, incompatibilities):
        reqs = list(requirements[identifier])
        name = canonicalize_name(reqs[0].name)
        extras = frozenset(e for r in reqs for e in r.extras)
        bad = {c.version for c in incompatibilities[identifier]}
        return self.candidates(name, extras, self.matching(name, reqs), any(names_prerelease(r) for r in reqs), bad)

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
    def matching(self, name: str, requirements: Iterable[Requirement]) -> tuple[Version, ...]:
        """The target's versions of ``name`` (newest first) that every requirement contains."""
        versions: tuple[Version, ...] = tuple(self.compatible(name))
        for r in requirements:
            versions = narrow(versions, r)
        return versions

    def candidates(self, name: str, extras: frozenset[str], matching: tuple[Version, ...], named: bool,
                   bad: Container[Version] = ()) -> list[Candidate]:
        """Candidates for the versions pip's pre-release rule allows, newest first, without ``bad`` ones."""
        files = self.compatible(name)
        return [Candidate(name, v, extras, files[v]) for v in allowed(matching, named, self.pre) if v not in bad]

    def applies(self, req: Requirement, extras: frozenset[str]) -> bool:
        if req.marker is None:
            return not extras  # unconditional ones come with the base candidate
        wanted = extras or {""}
        return any(req.marker.evaluate({**self.env, "extra": e}) for e in wanted) and \
            not (extras and req.marker.evaluate({**self.env, "extra": ""}))

    def compatible(self, name: str) -> dict[Version, tuple[IndexFile, ...]]:
        """{version: files the target accepts, best tag first}, newest version first. The last few
        projects asked for are kept: a resolution reads each page about once, and holding every page
        would grow with the mirror."""
        found = self._compatible.get(name)
        if found is None:
            found = self._compatible.put(name, self._read_compatible(name))
        return found

    def _read_compatible(self, name: str) -> dict[Version, tuple[IndexFile, ...]]:
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

    def requires_dist(self, candidate: Candidate) -> tuple[str, ...]:
        key = (candidate.name, candidate.version)
        found = self._requires.get(key)
        if found is None:
            found = self._requires.put(key, self._read_metadata(candidate))
        return found

    def display(self, candidate: Candidate) -> str:
        """The project's name as its metadata spells it."""
        key = (candidate.name, candidate.version)
        found = self._names.get(key)
        if found is None:
            self._read_metadata(candidate)
            found = self._names.get(key) or candidate.name
        return found

    def _read_metadata(self, candidate: Candidate) -> tuple[str, ...]:
        """The candidate's Requires-Dist; its display name is kept for a while, the rest is not."""
        raw = self.index.metadata(candidate.best)
        message = email.parser.BytesParser().parsebytes(raw, headersonly=True)
        self._names.put((candidate.name, candidate.version), message.get("Name") or candidate.name)
        return tuple(message.get_all("Requires-Dist") or ())


def explain(causes, provider: Provider, target: Target) -> str:
    """One paragraph: what was asked, by whom, and what the mirror has for the target."""
    groups: dict[str, list[Any]] = {}  # project -> resolvelib's RequirementInformation about it
    for info in causes:
        groups.setdefault(canonicalize_name(info.requirement.name), []).append(info)
    parts = []
    for name, infos in groups.items():
        asked = []
        for info in infos:
            who = "you" if info.parent is None else f"{provider.display(info.parent)} {info.parent.version}"
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
