"""The run's side of one wheel name, one decision: the converted eggs' records, settled in input order.

:func:`migrate.wheels.decide` decides; here a record becomes its claim, and a decision
becomes the record's outcome: an egg whose files are an earlier egg's is skipped with
the note, an egg refused fails with the line naming both (``C010``), an egg whose wheel
must carry another python tag is converted again with that tag (by the caller). A wheel
that failed its checks never keeps a good one out: the good wheels are settled first,
in input order, then the others.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable, Optional, Sequence

from migrate import problems as P
from migrate.records import CONVERTED, FAILED, SKIPPED, EggRecord
from migrate.wheels import CLASH, REFUSE, SAME, Decision, WheelClaim, decide, payload_digest


def settle_records(records: Sequence[EggRecord], wheel_of: Callable[[EggRecord], str],
                   join: bool = False) -> list[Optional[Decision]]:
    """A decision per record (None: it made no wheel); ``wheel_of(record)``: where its wheel is kept;
    ``join``: see :func:`migrate.wheels.decide`."""
    order = sorted(range(len(records)), key=lambda i: (records[i].status != CONVERTED, i))
    decided = decide([_claim(records[i]) for i in order], lambda n: payload_digest(wheel_of(records[order[n]])),
                     join)
    decisions: list[Optional[Decision]] = [None] * len(records)
    for n, d in enumerate(decided):
        if d is not None and d.other is not None:
            d = d._replace(other=order[d.other])
        decisions[order[n]] = d
    return decisions


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
