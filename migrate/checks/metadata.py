"""W4xx: METADATA is valid core metadata, strictly, and names the wheel it is in.

``packaging.metadata.Metadata.from_email(..., validate=True)`` does the strict
parse (the same check ``twine`` applies before an upload); each of its
findings becomes one problem with a code for its kind.
"""
from __future__ import annotations

import re
from typing import Optional

from packaging.metadata import ExceptionGroup, InvalidMetadata, Metadata, RawMetadata, parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from migrate import problems as P
from migrate.checks.reader import OpenWheel, UnreadableMember
from migrate.eggs import requirement_key
from migrate.problems import Problem

_EXTRA_LEFT = re.compile(r"""\bextra\s*==\s*['"]([^'"]+)['"]""")
_EXTRA_RIGHT = re.compile(r"""['"]([^'"]+)['"]\s*==\s*extra\b""")


def read_metadata(w: OpenWheel) -> tuple[Optional[str], list[Problem]]:
    """(METADATA text or None, problems reading it)."""
    path = w.dist_info_file("METADATA")
    if path is None:
        return None, []
    try:
        data = w.read(path)
    except UnreadableMember as exc:
        return None, [P.error("W401", str(exc))]
    if data is None:
        return None, [P.error("W401", f"no {path}")]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        return None, [P.error("W403", f"METADATA is not UTF-8 ({exc.reason} at byte {exc.start})")]


def check(w: OpenWheel) -> list[Problem]:
    text, found = read_metadata(w)
    if text is None:
        return found
    raw, unparsed = parse_email(text)
    try:
        Metadata.from_email(text, validate=True)
    except ExceptionGroup as group:
        found += [_classify(exc, unparsed) for exc in group.exceptions]
    found += _requirements(raw)
    found += _identity(w, raw)
    return found


def _classify(exc: Exception, unparsed: dict[str, list[str]]) -> Problem:
    field = getattr(exc, "field", "") if isinstance(exc, InvalidMetadata) else ""
    message = str(exc)
    if field == "metadata-version":
        return P.error("W402", f"Metadata-Version: {message}")
    if "introduced in metadata version" in message:
        return P.error("W404", f"{_title(field)} needs a newer Metadata-Version: {message}")
    if "unrecognized field" in message:
        return P.error("W408", f"unknown field {_title(field)} (not in the core metadata spec)")
    if len(unparsed.get(field, ())) > 1:
        return P.error("W407", f"{_title(field)} appears {len(unparsed[field])} times (allowed once)")
    if field == "requires-dist":
        return P.error("W405", f"Requires-Dist is not PEP 508: {message}")
    if field in ("name", "version"):
        return P.error("W406", f"{_title(field)}: {message}")
    return P.error("W403", message)


def _title(field: str) -> str:
    return "-".join(part.capitalize() for part in (field or "?").split("-"))


def _requirements(raw: RawMetadata) -> list[Problem]:
    found: list[Problem] = []
    seen: set[tuple[str, tuple[str, ...], str, str]] = set()
    extras = {canonicalize_name(e) for e in raw.get("provides_extra", ())}
    for text in raw.get("requires_dist", ()):
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue  # W405 from the strict parse
        key = requirement_key(req)
        if key in seen:
            found.append(P.warning("W409", f"Requires-Dist {text!r} appears more than once"))
        seen.add(key)
        for extra in _marker_extras(req):
            if canonicalize_name(extra) not in extras:
                found.append(P.warning("W410", f"Requires-Dist {text!r} uses extra {extra!r}, which Provides-Extra does not declare"))
    return found


def _marker_extras(req: Requirement) -> list[str]:
    if req.marker is None:
        return []
    text = str(req.marker)
    return _EXTRA_LEFT.findall(text) + _EXTRA_RIGHT.findall(text)


def _identity(w: OpenWheel, raw: RawMetadata) -> list[Problem]:
    if not w.parsed:
        return []
    name, version = raw.get("name"), raw.get("version")
    found = []
    if name and canonicalize_name(name) != w.parsed[0]:
        found.append(P.error("W411", f"METADATA Name {name!r} differs from the file name's {w.parsed[0]!r}"))
    try:
        if version and Version(version) != w.parsed[1]:
            found.append(P.error("W411", f"METADATA Version {version!r} differs from the file name's {str(w.parsed[1])!r}"))
    except InvalidVersion:
        pass  # W406
    return found
