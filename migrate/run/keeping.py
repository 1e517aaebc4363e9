"""The unpublish rule: a failed fetch never takes a wheel out of the mirror.

An egg the last run published that could not be fetched this time (its download failed, or a
listing page could not be read, so nobody can say it is gone) keeps its last good wheel in the
mirror and its pin; its record is FAILED with the reason and carries :data:`KEPT`. Only an egg
that is really gone from the source (every listing answered, and none listed it) leaves the
mirror, and the run says so.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from migrate import problems as P
from migrate.mirror import stored_paths
from migrate.records import CONVERTED, FAILED, EggRecord, parse_manifest

if TYPE_CHECKING:
    from migrate.fetch import FetchReport

KEPT = "F101"  # the problem code on a record whose egg failed to fetch but whose last good wheel stays published


def is_kept(record: EggRecord) -> bool:
    """Not fetched this time, but its last good wheel stays published (and pinned)."""
    return record.wheel is not None and record.has_problem(KEPT)


def serves(record: EggRecord) -> bool:
    """The mirror serves this record's wheel: it converted cleanly, or it is kept from the last run."""
    return record.has_good_wheel or is_kept(record)


@dataclass(frozen=True)
class Kept:
    """What the rule decided: records that keep their last wheel, and eggs gone from the source."""

    records: dict[str, EggRecord]  # egg file name -> its FAILED record with the last good wheel
    gone: tuple[str, ...]  # egg file names the source no longer lists: their wheels leave the mirror


def keep_last_good(out: Path, result: FetchReport, failed: dict[str, str], projects: tuple[str, ...] = ()) -> Kept:
    """Decide for each egg the last run published; ``failed``: egg file name -> why its fetch failed now;
    ``projects``: the run's ``--project`` choice (an egg of another project is left out, not gone)."""
    published = _last_published(out / "manifest.json")
    if not published:  # a first run: nothing to keep, and no set of every egg's name to make
        return Kept({}, ())
    listed = {r.filename for r in result.results if r.status != "missing" or result.errors}
    chosen = {canonicalize_name(p) for p in projects}
    kept: dict[str, EggRecord] = {}
    gone: list[str] = []
    for last in published:
        name = Path(last.egg).name
        if name in failed:
            why = failed[name]
        elif name in listed or (chosen and canonicalize_name(last.project or "") not in chosen):
            continue  # fetched, or left out on purpose (skipped, not selected) this time: the usual path
        elif result.errors:
            why = "not listed: " + "; ".join(result.errors)
        else:
            gone.append(name)
            continue
        record = _kept_record(out, last, why)
        if record is not None:
            kept[name] = record
    return Kept(kept, tuple(sorted(gone)))


def _last_published(manifest: Path) -> list[EggRecord]:
    try:
        records = parse_manifest(json.loads(manifest.read_text("utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [r for r in records if r.wheel is not None and (r.status == CONVERTED or is_kept(r))]


def _kept_record(out: Path, last: EggRecord, why: str) -> EggRecord | None:
    """The last record, FAILED with ``why``, pointing at its wheel in the mirror; None when that is gone."""
    assert last.wheel is not None
    wheel = last.wheel
    for place in stored_paths("packages", wheel.filename, wheel.sha256):
        path = out / "mirror" / place
        try:
            if path.stat().st_size == wheel.size:
                break
        except OSError:
            continue
    else:
        return None
    reason = f"{why} (its last good wheel {wheel.filename} stays published)"
    problems = tuple(p for p in last.problems if p.code != KEPT) + (P.warning(KEPT, reason),)
    return replace(last, status=FAILED, reason=reason, wheel=replace(wheel, path=str(path)), problems=problems)
