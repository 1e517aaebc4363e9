"""One egg's row of ``manifest.json`` as a typed value, and the one place that row meets JSON.

:class:`EggRecord` says where an egg came from (:class:`Source`), what became of it
(``status`` and ``reason``), the wheel (:class:`WheelFile` with its :class:`ChosenTags`),
what it needs and the checks' verdict (:class:`CheckVerdict`). Every stage that reads
a manifest (run, galaxy, pins, check) reads these, never the JSON's strings.
:meth:`EggRecord.to_json` writes the keys in the documented order (docs/manifest.rst,
schema 1) and :meth:`EggRecord.from_json` reads them back; the two are exact inverses
on every record egg-migrate writes, as pypa/installer's ``RecordEntry`` is for RECORD.
The builders from a conversion's results are in :mod:`migrate.run.manifest`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

from migrate.errors import MigrateError
from migrate.jsonstream import list_items
from migrate.problems import Problem

SCHEMA = 1
CONVERTED, SKIPPED, FAILED = "converted", "skipped", "failed"  # EggRecord.status
NOT_RUN = "not run"  # CheckVerdict.status before any check; else "ok", "warnings" or "errors"


class InvalidRecord(MigrateError, ValueError):
    """JSON that is not a manifest record of this schema (the message says what is wrong)."""


@dataclass(frozen=True)
class Source:
    """Where an egg came from, as fetched."""

    path: str
    url: Optional[str] = None
    sha256: Optional[str] = None
    size: Optional[int] = None
    selected: Optional[str] = None  # why fetch chose this file, when not simply by its name

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "url": self.url, "sha256": self.sha256, "size": self.size,
                "selected": self.selected}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Source":
        return cls(data["path"], data["url"], data["sha256"], data["size"], data["selected"])


@dataclass(frozen=True)
class ChosenTags:
    """The wheel's tags and, for each part, why it was chosen (``reasons``: part -> sentence)."""

    tag: Optional[str]
    python: Optional[str]
    abi: Optional[str]
    platform: Optional[str]
    reasons: Optional[dict[str, str]]

    def to_json(self) -> dict[str, Any]:
        return {"tag": self.tag, "python": self.python, "abi": self.abi, "platform": self.platform,
                "reasons": self.reasons}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "ChosenTags":
        return cls(data["tag"], data["python"], data["abi"], data["platform"], data["reasons"])


@dataclass(frozen=True)
class WheelFile:
    """The wheel an egg became: its file name, where it is, its sha256 and size, its tags."""

    filename: str
    path: str
    sha256: str
    size: int
    tags: ChosenTags

    def to_json(self) -> dict[str, Any]:
        return {"filename": self.filename, "path": self.path, "sha256": self.sha256, "size": self.size,
                "tags": self.tags.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "WheelFile":
        return cls(data["filename"], data["path"], data["sha256"], data["size"], ChosenTags.from_json(data["tags"]))


@dataclass(frozen=True)
class CheckVerdict:
    """What the checks found in the wheel (``status`` is :data:`NOT_RUN` when there was none)."""

    status: str = NOT_RUN
    problems: tuple[Problem, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "problems": [p.as_dict() for p in self.problems]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "CheckVerdict":
        return cls(data["status"], _problems(data["problems"]))


@dataclass(frozen=True)
class EggRecord:
    """One egg of a run: a row of ``manifest.json`` (docs/manifest.rst lists every field)."""

    egg: str
    source: Source
    status: str  # CONVERTED, SKIPPED or FAILED
    reason: Optional[str] = None
    project: Optional[str] = None
    version: Optional[str] = None  # the wheel's PEP 440 version
    egg_version: Optional[str] = None  # the version as the egg's file name spells it
    version_rule: Optional[str] = None  # which documented step made ``version`` (migrate.eggs.names.RULES)
    egg_python: Optional[str] = None
    egg_platform: Optional[str] = None
    wheel: Optional[WheelFile] = None
    requires_dist: tuple[str, ...] = ()
    extras: tuple[str, ...] = ()
    entry_points: dict[str, dict[str, str]] = field(default_factory=dict)  # {group: {name: "module:attr [extras]"}}, sorted
    scripts: tuple[str, ...] = ()
    namespace_packages: tuple[str, ...] = ()
    external_libraries: tuple[str, ...] = ()
    checks: CheckVerdict = CheckVerdict()
    problems: tuple[Problem, ...] = ()  # found while converting
    binaries: tuple[dict[str, Any], ...] = ()  # each binary's facts as migrate.run.report.binary_record writes them
    dropped: tuple[dict[str, str], ...] = ()  # {"path", "reason"}: files left out of the wheel on purpose

    @property
    def wheel_path(self) -> Optional[str]:
        """The wheel's path; None when the egg has no wheel."""
        return self.wheel.path if self.wheel is not None else None

    @property
    def has_good_wheel(self) -> bool:
        """Converted, and its wheel passed the checks (a wheel with check errors is FAILED)."""
        return self.status == CONVERTED and self.wheel is not None

    def has_problem(self, code: str) -> bool:
        """Whether converting found the problem ``code`` (docs/check.rst lists the codes)."""
        return any(p.code == code for p in self.problems)

    def to_json(self) -> dict[str, Any]:
        """The manifest.json object, keys in the documented order."""
        return {
            "egg": self.egg,
            "source": self.source.to_json(),
            "status": self.status,
            "reason": self.reason,
            "project": self.project,
            "version": self.version,
            "egg_version": self.egg_version,
            "version_rule": self.version_rule,
            "egg_python": self.egg_python,
            "egg_platform": self.egg_platform,
            "wheel": self.wheel.to_json() if self.wheel is not None else None,
            "wheel_path": self.wheel_path,
            "requires_dist": list(self.requires_dist),
            "extras": list(self.extras),
            "entry_points": self.entry_points,
            "scripts": list(self.scripts),
            "namespace_packages": list(self.namespace_packages),
            "external_libraries": list(self.external_libraries),
            "checks": self.checks.to_json(),
            "problems": [p.as_dict() for p in self.problems],
            "binaries": list(self.binaries),
            "dropped": list(self.dropped),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "EggRecord":
        """The record of a manifest.json object; :class:`InvalidRecord` when a key is missing or mistyped."""
        try:
            wheel = data["wheel"]
            return cls(
                egg=data["egg"], source=Source.from_json(data["source"]), status=data["status"],
                reason=data["reason"], project=data["project"], version=data["version"],
                egg_version=data["egg_version"], version_rule=data.get("version_rule"), egg_python=data["egg_python"], egg_platform=data["egg_platform"],
                wheel=WheelFile.from_json(wheel) if wheel is not None else None,
                requires_dist=tuple(data["requires_dist"]), extras=tuple(data["extras"]),
                entry_points=data["entry_points"], scripts=tuple(data["scripts"]),
                namespace_packages=tuple(data["namespace_packages"]),
                external_libraries=tuple(data["external_libraries"]),
                checks=CheckVerdict.from_json(data["checks"]), problems=_problems(data["problems"]),
                binaries=tuple(data["binaries"]), dropped=tuple(data["dropped"]),
            )
        except KeyError as exc:
            raise InvalidRecord(f"a manifest record without {exc}") from None
        except (TypeError, AttributeError) as exc:
            raise InvalidRecord(f"a malformed manifest record ({exc})") from None


def _problems(items: list[dict[str, str]]) -> tuple[Problem, ...]:
    return tuple(Problem(p["severity"], p["code"], p["message"]) for p in items)


def parse_manifest(data: Any) -> list[EggRecord]:
    """The :class:`EggRecord` list of a loaded manifest.json (its ``eggs``); [] when it has none."""
    if not isinstance(data, dict) or not isinstance(data.get("eggs"), list):
        return []
    return [EggRecord.from_json(r) for r in data["eggs"]]


def read_manifest(path: str | os.PathLike[str]) -> Iterator[EggRecord]:
    """The :class:`EggRecord` of each egg in a manifest.json, read one at a time (the same records
    as :func:`parse_manifest` of the loaded file, without holding them all). Raises ``OSError``, or
    ``ValueError`` (bad JSON, :class:`InvalidRecord`) possibly after yielding the records before it."""
    with open(path, encoding="utf-8") as fp:
        for item in list_items(fp, "eggs"):
            yield EggRecord.from_json(item)
