"""The run's records on disk, not in memory: an append-only log of pickled ``EggRecord`` values.

A record is a few kilobytes once its problems, binaries and dropped files are in it; a run
of 16,000 eggs that kept them all in a list held ~100 MB for its whole length. The log keeps
each record in an unnamed temp file (nothing to sweep after a kill: it has no name) and only
its offset in memory (8 bytes), so every stage walks the records one at a time and memory
stays flat in the number of eggs. Reads use ``pread``, so walks may nest.
"""
from __future__ import annotations

import os
import pickle
import tempfile
from array import array
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator, Optional, Sequence, overload

from migrate.records import EggRecord


class RecordLog(Sequence[EggRecord]):
    """A list of records kept in a temp file in ``folder`` (the system's temp folder when None)."""

    def __init__(self, records: Iterable[EggRecord] = (), folder: Optional[Path] = None):
        self._folder = folder
        self._file: Optional[IO[bytes]] = None
        self._offsets = array("Q", [0])  # record i is bytes offsets[i]:offsets[i + 1]
        self._orders: dict[Callable[[EggRecord], Any], array] = {}  # key -> record numbers in its order
        self.extend(records)

    def append(self, record: EggRecord) -> None:
        data = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
        if self._file is None:
            self._file = tempfile.TemporaryFile(dir=self._folder)  # O_TMPFILE where it can: no name at all
        os.pwrite(self._file.fileno(), data, self._offsets[-1])
        self._offsets.append(self._offsets[-1] + len(data))

    def extend(self, records: Iterable[EggRecord]) -> None:
        for record in records:
            self.append(record)

    def __iadd__(self, records: Iterable[EggRecord]) -> RecordLog:
        self.extend(records)
        return self

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, i: int) -> EggRecord: ...

    @overload
    def __getitem__(self, i: slice) -> list[EggRecord]: ...

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[n] for n in range(*i.indices(len(self)))]
        n = range(len(self))[i]  # negative indexes, and IndexError past the end
        assert self._file is not None
        start = self._offsets[n]
        return pickle.loads(os.pread(self._file.fileno(), self._offsets[n + 1] - start, start))

    def __iter__(self) -> Iterator[EggRecord]:
        for n in range(len(self)):
            yield self[n]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, (RecordLog, list)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]  # mutable, as a list

    def __repr__(self) -> str:
        return f"RecordLog({len(self)} records)"

    def sorted_by(self, key: Callable[[EggRecord], Any]) -> Iterator[EggRecord]:
        """The records in the order of ``key``, read one at a time (only the keys are held while
        sorting). The order is kept per key until a record is added: the manifest and both reports
        walk the same order, and finding it reads every record once."""
        order = self._orders.get(key)
        if order is None or len(order) != len(self):
            order = self._orders[key] = array("Q", sorted(range(len(self)), key=lambda n: key(self[n])))
        for n in order:
            yield self[n]

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def egg_order(record: EggRecord) -> tuple[str, str]:
    """The order of the manifest and the reports: by egg path."""
    return (record.source.path or "", record.egg)


def in_order(records: Iterable[EggRecord], key: Callable[[EggRecord], Any] = egg_order) -> Iterable[EggRecord]:
    """``records`` sorted by ``key``: from a :class:`RecordLog` one at a time, else as a sorted list."""
    if isinstance(records, RecordLog):
        return records.sorted_by(key)
    return sorted(records, key=key)


def picked(log: Sequence[EggRecord], indexes: Sequence[int]) -> Sequence[EggRecord]:
    """A read-only view of ``log``'s records at ``indexes``, in that order."""
    return _Picked(log, indexes)


class _Picked(Sequence[EggRecord]):
    def __init__(self, log: Sequence[EggRecord], indexes: Sequence[int]):
        self._log, self._indexes = log, indexes

    def __len__(self) -> int:
        return len(self._indexes)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self._log[n] for n in self._indexes[i]]
        return self._log[self._indexes[i]]
