"""Galaxy's ``eggs.ini`` read as an INI file, exactly as Python 2.7's ``SafeConfigParser`` read it.

Galaxy (up to release 15.10) read ``eggs.ini`` with a ``SafeConfigParser`` whose
``optionxform`` kept keys case-sensitive (``lib/galaxy/eggs/__init__.py``,
``CaseSensitiveConfigParser``). :func:`read_sections` follows Python 2.7's
``RawConfigParser._read`` line by line so that files written for it parse the same way:

- comments are lines starting with ``#`` or ``;`` (also indented ones, which
  Python 2 would have glued to the previous value) and ``rem`` lines;
- ``name = value`` and ``name: value`` with any spacing; a ``;`` after
  whitespace starts an inline comment; indented lines continue a value;
- a repeated key or section: the later one wins (reported as a warning);
- ``%(name)s`` interpolation and ``%%`` as SafeConfigParser did, with
  ``[DEFAULT]`` values visible in every section (:class:`Sections`).

Anything else is an :class:`InvalidEggsIni` naming the file, the line and the
problem in one line.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional, Union

from migrate import problems
from migrate.errors import MigrateError
from migrate.problems import Problem

DEFAULT = "DEFAULT"

# Python 2.7 ConfigParser.RawConfigParser.SECTCRE / OPTCRE, verbatim.
_SECTCRE = re.compile(r"\[(?P<header>[^]]+)\]")
_OPTCRE = re.compile(r"(?P<option>[^:=\s][^:=]*)\s*(?P<vi>[:=])\s*(?P<value>.*)$")
_INTERP = re.compile(r"%\(([^)]+)\)s")
# One section as read: key -> [line number, value] (a list: continuation lines extend the value).
_Section = dict[str, list[Any]]


class InvalidEggsIni(MigrateError, ValueError):
    """An eggs.ini that Galaxy could not have used; ``str()`` is one line."""

    def __init__(self, path: Union[str, Path], lineno: Optional[int], problem: str):
        self.path, self.lineno, self.problem = str(path), lineno, problem
        where = f"{self.path}:{lineno}" if lineno else self.path
        super().__init__(f"{where}: {problem}")


class Sections:
    """The sections of one file, read by :func:`read_sections`: values with ``[DEFAULT]``
    merged in and ``%(name)s`` interpolated, and the line each came from."""

    def __init__(self, sections: dict[str, _Section], path: str):
        self.sections, self.path = sections, path
        self.defaults = sections.get(DEFAULT, {})

    def __contains__(self, section: str) -> bool:
        return section in self.sections

    def items(self, section: str) -> list[tuple[str, str]]:
        """[(key, value)] of ``section`` (``[DEFAULT]`` keys too), in file order, interpolated."""
        merged = dict(self.defaults)
        merged.update(self.sections.get(section, {}))
        return [(key, interpolate(self.path, section, key, merged)) for key in merged]

    def lineno(self, section: str, key: str) -> int:
        """The line ``key`` was set on, in ``section`` or else in ``[DEFAULT]``."""
        entry = self.sections.get(section, {}).get(key) or self.defaults[key]
        return entry[0]


def read_sections(text: str, path: str, known: tuple[str, ...]) -> tuple[dict[str, _Section], list[Problem]]:
    """({section: {key: [lineno, value]}}, warnings) as Python 2.7's ConfigParser built it.

    Sections not in ``known`` are read, and named in a warning."""
    sections: dict[str, _Section] = {}
    warnings: list[Problem] = []
    current: Optional[_Section] = None
    option = None
    for lineno, line in enumerate(text.splitlines(), 1):
        if "\x00" in line:
            raise InvalidEggsIni(path, lineno, "binary data (NUL byte): not an INI file")
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if line.split(None, 1)[0].lower() == "rem" and line[0] in "rR":
            continue
        if line[0].isspace() and current is not None and option is not None:
            current[option][1] += "\n" + stripped  # continuation line
            continue
        match = _SECTCRE.match(line)
        if match:
            name = match.group("header")
            if name in sections:
                warnings.append(problems.warning("eggsini-repeated-section",
                                                 f"{path}:{lineno}: [{name}] appears again; its keys are merged"))
            current = sections.setdefault(name, {})
            option = None
            if name not in known:
                warnings.append(problems.warning("eggsini-unknown-section",
                                                 f"{path}:{lineno}: [{name}] is not a section Galaxy read; ignored"))
            continue
        if current is None:
            raise InvalidEggsIni(path, lineno, f"{stripped!r} comes before any [section] header")
        option = _option(path, lineno, line, stripped, current, warnings)
    return sections, warnings


def _option(path: str, lineno: int, line: str, stripped: str, current: _Section, warnings: list[Problem]) -> str:
    """Store one ``name = value`` line in ``current``; its name."""
    match = _OPTCRE.match(line)
    if not match:
        raise InvalidEggsIni(path, lineno, f"{stripped!r} is neither 'name = value' nor a [section] header")
    option = match.group("option").rstrip()
    value = match.group("value")
    pos = value.find(";")
    if pos > 0 and value[pos - 1].isspace():
        value = value[:pos]
    value = value.strip()
    if value == '""':
        value = ""
    if option in current:
        warnings.append(problems.warning("eggsini-repeated-key", f"{path}:{lineno}: {option} is set again "
                                         f"(line {current[option][0]}); the later value is used"))
    current[option] = [lineno, value]
    return option


def interpolate(path: str, section: str, key: str, values: _Section, depth: int = 0,
                lineno: Optional[int] = None) -> str:
    """SafeConfigParser's ``%(name)s`` / ``%%``; a lone ``%`` is an error, as it was."""
    own_line, value = values[key]
    lineno = lineno or own_line
    if "%" not in value:
        return value
    if depth > 10:
        raise InvalidEggsIni(path, lineno, f"[{section}] {key}: %(...)s references nest too deep (a loop?)")
    out, rest = [], value
    while rest:
        pos = rest.find("%")
        if pos < 0:
            out.append(rest)
            break
        out.append(rest[:pos])
        rest = rest[pos:]
        if rest.startswith("%%"):
            out.append("%")
            rest = rest[2:]
            continue
        match = _INTERP.match(rest)
        if not match:
            raise InvalidEggsIni(path, lineno, f"[{section}] {key}: '%' must be followed by '%' or '(name)s' "
                                 "(write %% for a literal percent sign)")
        ref = match.group(1)
        if ref not in values:
            raise InvalidEggsIni(path, lineno, f"[{section}] {key}: %({ref})s names no key of [{section}]")
        out.append(interpolate(path, section, ref, values, depth + 1, lineno))
        rest = rest[match.end():]
    return "".join(out)


def decode(path: Path, raw: bytes) -> str:
    """UTF-8 (a BOM dropped), else latin-1: every byte string reads as something."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
