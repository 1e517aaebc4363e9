"""The run's records on disk, not in memory: a :class:`~migrate.disklog.DiskLog` of ``EggRecord`` values.

A record is a few kilobytes once its problems, binaries and dropped files are in it; a run
of 16,000 eggs that kept them all in a list held ~100 MB for its whole length. The log keeps
them in an unnamed temp file and only their offsets in memory, so every stage walks the
records one at a time and memory stays flat in the number of eggs.
"""
from __future__ import annotations

from array import array
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

from migrate.disklog import DiskLog, picked
from migrate.records import EggRecord

__all__ = ["RecordLog", "egg_order", "in_order", "picked"]


class RecordLog(DiskLog[EggRecord]):
    """A list of records kept in a temp file in ``folder`` (the system's temp folder when None)."""

    def __init__(self, records: Iterable[EggRecord] = (), folder: Optional[Path] = None):
        self._orders: dict[Callable[[EggRecord], Any], array] = {}  # key -> record numbers in its order
        super().__init__(records, folder)

    def sorted_by(self, key: Callable[[EggRecord], Any]) -> Iterator[EggRecord]:
        """The records in the order of ``key``, read one at a time (only the keys are held while
        sorting). The order is kept per key until a record is added: the manifest and both reports
        walk the same order, and finding it reads every record once."""
        order = self._orders.get(key)
        if order is None or len(order) != len(self):
            order = self._orders[key] = array("Q", sorted(range(len(self)), key=lambda n: key(self[n])))
        for n in order:
            yield self[n]


def egg_order(record: EggRecord) -> tuple[str, str]:
    """The order of the manifest and the reports: by egg path."""
    return (record.source.path or "", record.egg)


def in_order(records: Iterable[EggRecord], key: Callable[[EggRecord], Any] = egg_order) -> Iterable[EggRecord]:
    """``records`` sorted by ``key``: from a :class:`RecordLog` one at a time, else as a sorted list."""
    if isinstance(records, RecordLog):
        return records.sorted_by(key)
    return sorted(records, key=key)
