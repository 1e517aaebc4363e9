"""A list kept on disk, not in memory: an append-only log of pickled values.

A stage that makes one value per egg (a fetch result, a manifest record) and hands them all to
the next would hold them all at once: tens of megabytes for 16,000 eggs. The log keeps each value
in an unnamed temp file (nothing to sweep after a kill: it has no name) and only its offset in
memory (8 bytes), so the values are walked one at a time and memory stays flat in the number of
eggs. Reads use ``pread``, so walks may nest.
"""
from __future__ import annotations

import os
import pickle
import tempfile
from array import array
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Optional, Sequence, TypeVar, overload

_T = TypeVar("_T")
_Log = TypeVar("_Log", bound="DiskLog[Any]")


class Pickles:
    """Pickled values, one after the other in an unnamed temp file in ``folder`` (made on first write;
    O_TMPFILE where it can: no name at all). Reads use ``pread``, so walks may nest."""

    def __init__(self, folder: Optional[Path]):
        self.folder = folder
        self.file: Optional[IO[bytes]] = None
        self.end = 0

    def write(self, value: Any) -> tuple[int, int]:
        """Append one pickle; its (offset, length)."""
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        if self.file is None:
            self.file = tempfile.TemporaryFile(dir=self.folder)
        view, at = memoryview(data), self.end
        while view:  # pwrite may write less than asked (a signal, a huge pickle)
            wrote = os.pwrite(self.file.fileno(), view, at)
            view, at = view[wrote:], at + wrote
        start, self.end = self.end, at
        return start, len(data)

    def read(self, start: int, length: int) -> Any:
        assert self.file is not None
        data = os.pread(self.file.fileno(), length, start)
        while len(data) < length:  # pread may return less than asked
            data += os.pread(self.file.fileno(), length - len(data), start + len(data))
        return pickle.loads(data)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()  # the file goes with its last descriptor
            self.file = None
        self.end = 0


class DiskLog(Sequence[_T]):
    """A list of values kept in a temp file in ``folder`` (the system's temp folder when None)."""

    def __init__(self, values: Iterable[_T] = (), folder: Optional[Path] = None):
        self.folder = folder
        self._pickles = Pickles(folder)
        self._offsets = array("Q", [0])  # value i is bytes offsets[i]:offsets[i + 1]
        self.extend(values)

    def append(self, value: _T) -> None:
        start, length = self._pickles.write(value)
        self._offsets.append(start + length)

    def extend(self, values: Iterable[_T]) -> None:
        for value in values:
            self.append(value)

    def __iadd__(self: _Log, values: Iterable[Any]) -> _Log:
        self.extend(values)
        return self

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, i: int) -> _T: ...

    @overload
    def __getitem__(self, i: slice) -> list[_T]: ...

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[n] for n in range(*i.indices(len(self)))]
        n = range(len(self))[i]  # negative indexes, and IndexError past the end
        start = self._offsets[n]
        return self._pickles.read(start, self._offsets[n + 1] - start)

    def __iter__(self) -> Iterator[_T]:
        for n in range(len(self)):
            yield self[n]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, (DiskLog, list, tuple)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]  # mutable, as a list

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} values)"

    def close(self) -> None:
        """Drop the values (the file goes with its last descriptor); the log is empty after."""
        self._pickles.close()
        self._offsets = array("Q", [0])


def picked(log: Sequence[_T], indexes: Sequence[int]) -> Sequence[_T]:
    """A read-only view of ``log``'s values at ``indexes``, in that order."""
    return _Picked(log, indexes)


class _Picked(Sequence[_T]):
    def __init__(self, log: Sequence[_T], indexes: Sequence[int]):
        self._log, self._indexes = log, indexes

    def __len__(self) -> int:
        return len(self._indexes)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self._log[n] for n in self._indexes[i]]
        return self._log[self._indexes[i]]
