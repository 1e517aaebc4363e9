"""W8xx: the wheel against the egg it was converted from.

When the source egg is known (``--egg``, a manifest, or the pipeline), every
file of the egg must be in the wheel, byte for byte (scripts with their
shebang rewritten), or deliberately dropped by the converter's plan with a
reason (``inspect_egg(egg).plan.dropped``, reported as info); its
requirements, extras and entry points must all be in the wheel's metadata.
"""
from __future__ import annotations

import configparser
import hashlib
from collections import defaultdict
from pathlib import Path
from typing import Optional, Union

from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from migrate import problems as P
from migrate.checks.metadata import read_metadata
from migrate.checks.reader import OpenWheel, UnreadableMember
from migrate.eggs.archive import CHUNK, BrokenEgg, EggArchive, Member
from migrate.eggs.egginfo import open_egg, requirement_key
from migrate.problems import Problem
from migrate.wheels.convert import ConversionFailed, ConvertOptions, EggFacts, inspect_egg
from migrate.wheels.plan import Placement, Plan, rewrite_shebang
from migrate.wheels.wheelzip import record_hash


def check(w: OpenWheel, egg: Union[str, Path], facts: Optional[EggFacts] = None,
          options: ConvertOptions = ConvertOptions()) -> list[Problem]:
    """``facts``: the converter's own ``EggFacts`` for this egg, when at hand (saves reading it again)."""
    egg = Path(egg)
    try:
        facts = facts or inspect_egg(egg, options)
        archive, _meta = open_egg(egg, options.limits)
    except (ConversionFailed, BrokenEgg, OSError) as exc:
        return [P.error("W806", f"source egg {egg.name} cannot be read: {exc}")]
    found = _identity(w, facts)
    if found:
        archive.close()
        return found  # another project or version: comparing its files would only add noise
    with archive:
        try:
            found = _files(w, facts, archive)
        except BrokenEgg as exc:
            return [P.error("W806", f"source egg {egg.name} cannot be read: {exc}")]
    return found + _requirements(w, facts) + _entry_points(w, facts)


def _identity(w: OpenWheel, facts: EggFacts) -> list[Problem]:
    if not w.parsed:
        return []
    name, version = w.parsed[0], w.parsed[1]
    try:
        same_version = Version(facts.version) == version
    except InvalidVersion:
        same_version = False
    if canonicalize_name(facts.project) != name or not same_version:
        return [P.error("W805", f"the wheel is {name} {version}, the egg converts to {facts.project} {facts.version}")]
    return []


def _files(w: OpenWheel, facts: EggFacts, archive: EggArchive) -> list[Problem]:
    plan = facts.plan
    placements = {p.arcname: p for p in plan.placements + plan.dist_info}
    placed = {p.member.path for p in placements.values()}
    dropped = dict(plan.dropped)
    members = {m.path: m for m in archive.members}
    found = [P.error("W801", f"egg file {path} is neither in the wheel nor dropped with a reason")
             for path in sorted(members) if path not in placed and path not in dropped]
    for arcname, p in sorted(placements.items()):
        found += _placed_file(w, archive, arcname, p, members)
    found += _dropped_notes(plan)
    found += _not_from_the_egg(w, placements, plan)
    return found


def _placed_file(w: OpenWheel, archive: EggArchive, arcname: str, p: Placement,
                 members: dict[str, Member]) -> list[Problem]:
    """W801/W802 when the wheel lacks a file the plan placed, or holds other bytes than the egg's."""
    actual = w.digests.get(arcname)
    if actual is None:
        return [P.error("W801", f"egg file {p.member.path} is missing from the wheel (expected {arcname})")]
    if isinstance(actual, str):
        return []  # W208
    if arcname.endswith(".dist-info/entry_points.txt"):
        return []  # compared entry by entry (W804): the meaning matters, not the bytes
    member = members.get(p.member.path, p.member)
    if _egg_digest(archive, member, p.rewrite_shebang) != actual:
        return [P.error("W802", f"{arcname} differs from the egg's {p.member.path}")]
    return []


def _dropped_notes(plan: Plan) -> list[Problem]:
    """One W807 note per reason the converter dropped egg files for, naming the first five."""
    by_reason = defaultdict(list)
    for path, reason in plan.dropped:
        by_reason[reason].append(path)
    found = []
    for reason, paths in sorted(by_reason.items()):
        shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
        found.append(P.info("W807", f"dropped from the egg ({reason}): {shown}"))
    return found


def _not_from_the_egg(w: OpenWheel, placements: dict[str, Placement], plan: Plan) -> list[Problem]:
    """W808 for each wheel file that is neither placed from the egg nor generated by the converter."""
    generated = {w.dist_info_file(n) for n in ("METADATA", "WHEEL", "RECORD")}
    found = []
    for name in sorted(w.by_name):
        if name in placements or name in generated:
            continue
        if "/" not in name and name.endswith("-nspkg.pth") and plan.namespaces:
            continue
        found.append(P.warning("W808", f"{name} does not come from the egg"))
    return found


def _egg_digest(archive: EggArchive, member: Member, rewrite: bool) -> tuple[str, int]:
    if rewrite:
        data = rewrite_shebang(archive.read(member))
        return record_hash(hashlib.sha256(data).digest()), len(data)
    sha, size = hashlib.sha256(), 0
    with archive.open(member) as fp:
        for chunk in iter(lambda: fp.read(CHUNK), b""):
            sha.update(chunk)
            size += len(chunk)
    return record_hash(sha.digest()), size


def _key(text: str) -> Union[str, tuple[str, tuple[str, ...], str, str]]:
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return text
    return requirement_key(req)


def _requirements(w: OpenWheel, facts: EggFacts) -> list[Problem]:
    text, _problems = read_metadata(w)
    if text is None:
        return []  # W401/W403
    raw, _ = parse_email(text)
    have = {_key(r) for r in raw.get("requires_dist", ())}
    extras = {canonicalize_name(e) for e in raw.get("provides_extra", ())}
    found = [P.error("W803", f"the egg requires {r!r}; the wheel's Requires-Dist lacks it")
             for r in facts.info.requires_dist if _key(r) not in have]
    found += [P.error("W803", f"the egg has extra {e!r}; the wheel's Provides-Extra lacks it")
              for e in facts.info.provides_extra if canonicalize_name(e) not in extras]
    return found


def _entry_points(w: OpenWheel, facts: EggFacts) -> list[Problem]:
    egg = _parse_entry_points(facts.info.entry_points or "")
    path = w.dist_info_file("entry_points.txt")
    try:
        data = w.read(path) if path else None
    except UnreadableMember:
        data = None
    wheel = _parse_entry_points(data.decode("utf-8", "replace") if data else "")
    found = []
    for group, entries in sorted(egg.items()):
        for name, value in sorted(entries.items()):
            got = wheel.get(group, {}).get(name)
            if got != value:
                where = "missing" if got is None else f"{got!r}"
                found.append(P.error("W804", f"entry point [{group}] {name} = {value}: {where} in the wheel"))
    return found


class _CaseKeepingParser(configparser.ConfigParser):
    """Entry point names keep their case (ConfigParser lowercases option names)."""

    def optionxform(self, optionstr: str) -> str:
        return optionstr


def _parse_entry_points(text: str) -> dict[str, dict[str, str]]:
    parser = _CaseKeepingParser(delimiters=("=",), interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return {}
    return {s: {k: " ".join(v.split()) for k, v in parser.items(s)} for s in parser.sections()}
