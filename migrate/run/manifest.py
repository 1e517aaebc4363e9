"""``manifest.json``: one :class:`~migrate.records.EggRecord` per egg, schema 1 (report.txt, the
same for people, is :mod:`migrate.run.textreport`).

The builders here make a record from what a stage found (a ``ConvertResult`` and
its ``CheckResult``, a fetch failure, a skip); :mod:`migrate.records` holds the record
type and its JSON. Records are sorted by egg path; the file is written to a temp
name, fsynced and renamed. Built on :func:`migrate.run.report.result_record`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

from migrate import __version__
from migrate import problems as P
from migrate.eggs import parse_entry_points
from migrate.fsutil import file_sha256, json_chunks, write_atomic
from migrate.records import (
    CONVERTED,
    FAILED,
    SCHEMA,
    SKIPPED,
    CheckVerdict,
    ChosenTags,
    EggRecord,
    Source,
    WheelFile,
)
from migrate.run.recordlog import in_order
from migrate.run.report import result_record

__all__ = ["CONVERTED", "FAILED", "SCHEMA", "SKIPPED", "Source", "counts", "egg_record", "failed_record",
           "manifest", "manifest_chunks", "manifest_text", "skipped_record", "source_of", "write_manifest"]


def source_of(path, url: Optional[str] = None) -> Source:
    """Hash an egg file (a folder egg gets its total size and no sha256)."""
    path = Path(path)
    if path.is_dir():
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        return Source(str(path), url, None, size)
    try:
        return Source(str(path), url, file_sha256(path), path.stat().st_size)
    except OSError:
        return Source(str(path), url, None, None)


def egg_record(result, source: Optional[Source] = None, checks=None) -> EggRecord:
    """The manifest record of one ``ConvertResult``; ``checks`` is a ``CheckResult`` or problems."""
    raw = result_record(result)
    source = source or source_of(result.egg)
    status = CONVERTED if result.ok else FAILED
    verdict = _checks(checks)
    reason: Optional[str]
    if status == CONVERTED and P.has_errors(verdict.problems):
        status = FAILED
        reason = "wheel failed its checks: " + next(p.message for p in verdict.problems if p.severity == P.ERROR)
    else:
        reason = raw.get("reason")
    tags = raw.get("tags") or {}
    wheel = None
    if result.ok:
        chosen = ChosenTags(tags.get("tag"), tags.get("python"), tags.get("abi"), tags.get("platform"),
                            tags.get("reasons"))
        wheel = WheelFile(Path(result.wheel).name, result.wheel, file_sha256(result.wheel),
                          os.stat(result.wheel).st_size, chosen)
    name = raw.get("file_name") or {}
    return EggRecord(
        egg=str(result.egg), source=source, status=status, reason=reason,
        project=raw.get("project"), version=raw.get("version"),
        egg_version=name.get("version"), version_rule=name.get("version_rule"), egg_python=name.get("pyver"), egg_platform=name.get("platform"),
        wheel=wheel,
        requires_dist=tuple(raw.get("requires_dist", ())), extras=tuple(raw.get("extras", ())),
        entry_points=parse_entry_points(raw.get("entry_points")),
        scripts=tuple(raw.get("scripts", ())), namespace_packages=tuple(raw.get("namespace_packages", ())),
        external_libraries=tuple(tags.get("external_libraries") or ()),
        checks=verdict, problems=tuple(result.problems),
        binaries=tuple(raw.get("binaries", ())), dropped=tuple(raw.get("dropped", ())),
    )


def skipped_record(egg, reason: str, source: Optional[Source] = None) -> EggRecord:
    """An egg left out on purpose (not for this target, ``no_auto``, a duplicate...)."""
    return EggRecord(str(egg), source or Source(str(egg)), SKIPPED, reason)


def failed_record(egg, reason: str, source: Optional[Source] = None) -> EggRecord:
    """An egg that never reached the converter (download failed, bad checksum...)."""
    return EggRecord(str(egg), source or Source(str(egg)), FAILED, reason)


def _checks(checks) -> CheckVerdict:
    if checks is None:
        return CheckVerdict()
    found = tuple(getattr(checks, "problems", checks))
    errors = any(p.severity == P.ERROR for p in found)
    warnings = any(p.severity == P.WARNING for p in found)
    return CheckVerdict("errors" if errors else "warnings" if warnings else "ok", found)


def counts(records: Iterable[EggRecord]) -> dict[str, int]:
    found = {CONVERTED: 0, SKIPPED: 0, FAILED: 0}
    total = 0
    for r in records:
        found[r.status] = found.get(r.status, 0) + 1
        total += 1
    return {"eggs": total, **found}


def _in_order(records: Iterable[EggRecord]) -> Iterable[EggRecord]:
    """Sorted by egg path; a run's :class:`~migrate.run.recordlog.RecordLog` gives them one at a time."""
    return in_order(records)


def _head(records: Iterable[EggRecord]) -> dict[str, Any]:
    return {"schema": SCHEMA, "generator": f"egg-migrate {__version__}", "counts": counts(records)}


def manifest(records: Iterable[EggRecord]) -> dict[str, Any]:
    """The manifest.json object: schema, generator, counts and the records sorted by egg path."""
    records = list(records)
    return {**_head(records), "eggs": [r.to_json() for r in _in_order(records)]}


def manifest_chunks(records: Iterable[EggRecord]) -> Iterator[str]:
    """manifest.json's text in pieces, one record each: the bytes of ``json.dumps(manifest(records),
    indent=2)``, without ever holding more than one record (a run's manifest is tens of MB)."""
    return json_chunks(_head(records), "eggs", (r.to_json() for r in _in_order(records)), ensure_ascii=False)


def manifest_text(records: Iterable[EggRecord]) -> str:
    """manifest.json's bytes (as text): the same records always give the same text."""
    return "".join(manifest_chunks(list(records)))


def write_manifest(records: Iterable[EggRecord], path) -> dict[str, Any]:
    """Write manifest.json atomically; returns what was written."""
    records = list(records)
    write_atomic(path, manifest_text(records))
    return manifest(records)


