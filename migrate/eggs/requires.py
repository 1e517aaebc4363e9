"""``requires.txt`` -> Requires-Dist and Provides-Extra, parsed with ``packaging``, never spliced as text.

setuptools wrote one section per extra and marker: ``[extra]``, ``[extra:marker]``
and ``[:marker]``; each line is a PEP 508 requirement. A line's own marker, the
section's marker and the extra are three operands of ``and``; each is parenthesised
when it holds an ``or``, so ``[fast:python_version<"3"or os_name=="nt"]`` means
``(python_version < "3" or os_name == "nt") and extra == "fast"``.

Extras are written in PEP 685 normal form (``[Fast Mode]`` -> ``fast-mode``:
whitespace read as ``-``, as ``pkg_resources.safe_extra`` did, then
``canonicalize_name``). A section whose extra holds a character no extra name can
(a quote, ``<``, ``:``) or whose marker does not parse is reported (M002) and its
lines are skipped; so is a line that is not PEP 508.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple, Optional

from migrate import problems as P
from migrate.eggs.spelling import canonicalize_name
from migrate.problems import Problem

if TYPE_CHECKING:  # packaging's parsers are imported when a requires.txt has a line: most eggs have none
    from packaging.requirements import Requirement

_SECTION = re.compile(r"^\[(?P<extra>[^:\]]*)(?::(?P<marker>.*))?\]$")
_EXTRA_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")


class Section(NamedTuple):
    """What a ``[extra:marker]`` header says; ``skip`` when it is bad and its lines are left out."""

    extra: Optional[str] = None  # PEP 685 normal form
    marker: Optional[str] = None  # as packaging writes it
    skip: bool = False


def normalise_extra(text: str) -> Optional[str]:
    """The PEP 685 form of an extra name (``Fast Mode`` -> ``fast-mode``); None when it is not one."""
    spelled = re.sub(r"\s+", "-", text.strip())
    if not spelled.isascii() or not _EXTRA_NAME.fullmatch(spelled):
        return None
    return canonicalize_name(spelled)


def parse_requires_txt(text: str) -> tuple[list[str], tuple[str, ...], list[Problem]]:
    """``requires.txt`` -> (Requires-Dist strings, extras, problems); never raises."""
    requires: list[str] = []
    extras: list[str] = []
    found: list[Problem] = []
    section = Section()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        header = _SECTION.match(line)
        if header:
            section = _section(header, number, found)
            if section.extra and section.extra not in extras:
                extras.append(section.extra)
        elif not section.skip:
            requirement = _requirement(line, number, section, found)
            if requirement is not None:
                requires.append(requirement)
    return requires, tuple(extras), found


def _section(header: re.Match[str], number: int, found: list[Problem]) -> Section:
    """The section a header opens; a skipped one, with an M002, when its extra or marker is bad."""
    written = header["extra"].strip()
    extra = normalise_extra(written) if written else None
    if written and extra is None:
        found.append(P.warning("M002", f"requires.txt line {number}: {written!r} is not an extra name; section skipped"))
        return Section(skip=True)
    marker = (header["marker"] or "").strip()
    if not marker:
        return Section(extra)
    from packaging.markers import InvalidMarker, Marker

    try:
        return Section(extra, str(Marker(marker)))
    except InvalidMarker as exc:
        reason = str(exc).splitlines()[0]
        found.append(P.warning("M002", f"requires.txt line {number}: bad marker {marker!r} ({reason}); section skipped"))
        return Section(skip=True)


def _requirement(line: str, number: int, section: Section, found: list[Problem]) -> Optional[str]:
    """One line as a Requires-Dist string under its section's marker and extra; None, with an M002, when invalid."""
    written, reason = _requires_dist(line, section.marker, section.extra)
    if reason is not None:
        found.append(P.warning("M002", f"requires.txt line {number}: {line!r} is not PEP 508 ({reason}); skipped"))
    return written


@lru_cache(maxsize=4096)
def _requires_dist(line: str, marker: Optional[str], extra: Optional[str]) -> tuple[Optional[str], Optional[str]]:
    """(the Requires-Dist string, None) or (None, why the line is not PEP 508): a pure function of its
    arguments, remembered, since the eggs of one project repeat their lines release after release."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(line)
    except InvalidRequirement as exc:
        return None, str(exc).splitlines()[0]
    return _joined(req, marker, extra), None


def _joined(req: Requirement, marker: Optional[str], extra: Optional[str]) -> str:
    """``req`` under the section's marker and extra, each operand parenthesised when it holds an ``or``."""
    from packaging.markers import Marker

    operands = [str(req.marker)] if req.marker else []
    operands += [marker] if marker else []
    operands += [f'extra == "{extra}"'] if extra else []
    req.marker = None
    if not operands:
        return str(req)
    joined = operands[0] if len(operands) == 1 else " and ".join(f"({o})" if " or " in o else o for o in operands)
    req.marker = Marker(joined)
    return str(req)
