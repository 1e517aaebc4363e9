"""The unpublish rule: a failed fetch never takes a wheel out of the mirror.

An egg the last run published that could not be fetched this time (its download failed, or a
listing page could not be read, so nobody can say it is gone) keeps its last good wheel in the
mirror and its pin; its record is FAILED with the reason and carries :data:`KEPT`. Only an egg
that is really gone from the source (every listing answered, and none listed it) leaves the
mirror, and the run says so.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional

from packaging.utils import canonicalize_name

from migrate import problems as P
from migrate.mirror import stored_paths
from migrate.records import CONVERTED, FAILED, EggRecord, read_manifest

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
    ``projects``: the run's ``--project`` choice (an egg of another project is left out, not gone).

    The last manifest is read one record at a time (tens of MB for many eggs); one that cannot be
    read, or is not all there, counts as no last run, as it always has."""
    try:
        return _decide(out, _last_published(out / "manifest.json"), result, failed, projects)
    except _Unreadable:
        return Kept({}, ())


def _decide(out: Path, published: Iterator[EggRecord], result: FetchReport, failed: dict[str, str],
            projects: tuple[str, ...]) -> Kept:
    listed: Optional[set[str]] = None  # made at the first egg published: a first run makes no set of every name
    chosen = {canonicalize_name(p) for p in projects}
    kept: dict[str, EggRecord] = {}
    gone: list[str] = []
    for last in published:
        if listed is None:
            listed = {r.filename for r in result.results if r.status != "missing" or result.errors}
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


class _Unreadable(Exception):
    """The last manifest could not be read (missing on a first run, damaged, cut short)."""


def _last_published(manifest: Path) -> Iterator[EggRecord]:
    """The last run's records whose wheel the mirror served, as the manifest is read."""
    try:
        for r in read_manifest(manifest):
            if r.wheel is not None and (r.status == CONVERTED or is_kept(r)):
                yield r
    except (OSError, ValueError) as exc:  # InvalidRecord is a ValueError
        raise _Unreadable(str(exc)) from exc


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
