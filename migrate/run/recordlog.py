"""The run's records on disk, not in memory: a :class:`~migrate.disklog.DiskLog` of ``EggRecord`` values.

A record is a few kilobytes once its problems, binaries and dropped files are in it; a run
of 16,000 eggs that kept them all in a list held ~100 MB for its whole length. The log keeps
them in an unnamed temp file and only their offsets in memory, so every stage walks the
records one at a time and memory stays flat in the number of eggs.
"""
from __future__ import annotations

import heapq
from array import array
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

from migrate.disklog import DiskLog, picked
from migrate.records import EggRecord

__all__ = ["RUN", "RecordLog", "egg_order", "in_order", "picked"]

RUN = 2048  # records sorted at once: the most sort keys held


class RecordLog(DiskLog[EggRecord]):
    """A list of records kept in a temp file in ``folder`` (the system's temp folder when None)."""

    def __init__(self, records: Iterable[EggRecord] = (), folder: Optional[Path] = None):
        self._orders: dict[Callable[[EggRecord], Any], array] = {}  # key -> record numbers in its order
        super().__init__(records, folder)

    def sorted_by(self, key: Callable[[EggRecord], Any]) -> Iterator[EggRecord]:
        """The records in the order of ``key`` (stable, as ``sorted``), read one at a time. The order
        is kept per key until a record is added: the manifest and both reports walk the same order."""
        order = self._orders.get(key)
        if order is None or len(order) != len(self):
            order = self._orders[key] = self._order(key)
        for n in order:
            yield self[n]

    def _order(self, key: Callable[[EggRecord], Any]) -> array:
        """Record numbers in the order of ``key``: runs of :data:`RUN` records sorted by their keys,
        then merged holding one key per run (a record is read twice). The keys of every record at
        once (two paths each) were ~300 bytes an egg: 5 MB at 16,000 eggs."""
        runs = [array("Q", sorted(range(start, min(start + RUN, len(self))), key=lambda n: key(self[n])))
                for start in range(0, len(self), RUN)]
        if len(runs) <= 1:
            return runs[0] if runs else array("Q")
        keyed = [((key(self[n]), n) for n in run) for run in runs]  # ties: the lower number first, as sorted
        return array("Q", (n for _, n in heapq.merge(*keyed)))


def egg_order(record: EggRecord) -> tuple[str, str]:
    """The order of the manifest and the reports: by egg path."""
    return (record.source.path or "", record.egg)


def in_order(records: Iterable[EggRecord], key: Callable[[EggRecord], Any] = egg_order) -> Iterable[EggRecord]:
    """``records`` sorted by ``key``: from a :class:`RecordLog` one at a time, else as a sorted list."""
    if isinstance(records, RecordLog):
        return records.sorted_by(key)
    return sorted(records, key=key)
