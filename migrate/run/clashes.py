"""The run's side of one wheel name, one decision: the converted eggs' records, settled in input order.

:func:`migrate.wheels.decide` decides; here a record becomes its claim, and a decision
becomes the record's outcome: an egg whose files are an earlier egg's is skipped with
the note, an egg refused fails with the line naming both (``C010``), an egg whose wheel
must carry another python tag is converted again with that tag (by the caller). A wheel
that failed its checks never keeps a good one out: the good wheels are settled first,
in input order, then the others.
"""
from __future__ import annotations

from array import array
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

from migrate import problems as P
from migrate.records import CONVERTED, FAILED, SKIPPED, EggRecord
from migrate.wheels import CLASH, KEEP, REFUSE, SAME, Decision, WheelClaim, decide, payload_digest


def settle_records(records: Sequence[EggRecord], wheel_of: Callable[[int], str],
                   join: bool = False) -> dict[int, Decision]:
    """The decisions that change a record (``RETAG``, ``SAME``, ``REFUSE``), by its index; every other
    record keeps its wheel as made (or made none). ``wheel_of(n)``: where record n's wheel is kept;
    ``join``: see :func:`migrate.wheels.decide`.

    Only the records of a release that more than one record claims are settled together (usually
    none): a claim of every record at once was ~1 KB an egg. Their order is the decision's: the
    good wheels first, in input order, then the others."""
    releases = array("q", (_release(records[n]) for n in range(len(records))))
    shared = _repeated(releases)
    order = sorted((n for n, release in enumerate(releases) if release in shared),
                   key=lambda n: (records[n].status != CONVERTED, n))
    decided = decide([_claim(records[n]) for n in order], lambda i: payload_digest(wheel_of(order[i])), join)
    changes: dict[int, Decision] = {}
    for i, d in enumerate(decided):
        if d is not None and d.action != KEEP:
            changes[order[i]] = d if d.other is None else d._replace(other=order[d.other])
    return changes


def _release(record: EggRecord) -> int:
    """A hash of the release the record's wheel claims (0: it claims none); two releases may share one."""
    claim = _claim(record)
    return 0 if claim is None else hash(claim.release) | 1


def _repeated(releases: Iterable[int]) -> set[int]:
    """The releases (hashes) claimed more than once."""
    repeated, last = set(), 0
    for release in sorted(releases):
        if release and release == last:
            repeated.add(release)
        last = release
    return repeated


def outcome(record: EggRecord, decision: Optional[Decision]) -> EggRecord:
    """The record after a ``SAME`` (skipped, with the note) or ``REFUSE`` (failed) decision; else as it is."""
    if decision is None or decision.action not in (SAME, REFUSE):
        return record
    if decision.action == SAME:
        return replace(record, status=SKIPPED, reason=decision.message, wheel=None)
    return replace(record, status=FAILED, reason=decision.message, wheel=None,
                   problems=record.problems + (P.error(CLASH, decision.message),))


def _claim(record: EggRecord) -> Optional[WheelClaim]:
    wheel = record.wheel
    if wheel is None or not record.project or not record.version:
        return None
    tags = wheel.tags
    if not (tags.python and tags.abi and tags.platform):
        return None
    pyver = record.egg_python or ""
    major = int(pyver.split(".")[0]) if pyver.split(".")[0].isdigit() else None
    return WheelClaim(Path(record.egg).name, record.project, record.version, tags.python, tags.abi, tags.platform,
                      major)
