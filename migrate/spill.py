"""Long lists in flat memory, cheaply: values held in memory up to a limit, then pickled a chunk at a time
into an unnamed temp file.

``DiskLog`` pickles, writes and reads back each value on its own: for the 100,000 wheels of a publish
that was most of a republish's CPU (a pickle, a ``pwrite``, a ``pread`` and an unpickle per wheel).
Here a value costs a list append; once ``limit`` values are held they go to the file as one pickle
(one call, one write), and a walk reads them back a chunk at a time. Memory holds at most ``limit``
values per list, and a chunk per walk in progress. For values walked in order, not looked up at
random: indexing loads the chunk that holds the value.

``SpillList`` is a sequence; ``Buckets`` files values under a few small numbers (a publish's state
shards) and walks one number's values at a time.
"""
from __future__ import annotations

from array import array
from pathlib import Path
from typing import Any, Generic, Iterable, Iterator, Optional, Sequence, TypeVar

from migrate.disklog import Pickles

_T = TypeVar("_T")
LIMIT = 256  # values held in memory before they are written as one chunk


class SpillList(Sequence[_T]):
    """A list whose values past the last ``limit`` are in a temp file in ``folder`` (the system's
    temp folder when None), a chunk of ``limit`` values per pickle."""

    def __init__(self, values: Iterable[_T] = (), folder: Optional[Path] = None, limit: Optional[int] = None):
        self.limit = limit or LIMIT
        self._chunks = Pickles(folder)
        self._starts = array("Q", [0])  # chunk i is bytes starts[i]:starts[i + 1] of the file
        self._held: list[_T] = []  # the values after the last chunk
        self._cached: tuple[int, list[_T]] = (-1, [])  # the chunk read last by indexing
        self.extend(values)

    def append(self, value: _T) -> None:
        self._held.append(value)
        if len(self._held) >= self.limit:
            start, length = self._chunks.write(self._held)
            self._starts.append(start + length)
            self._held = []  # a new list: a walk in progress keeps the old one

    def extend(self, values: Iterable[_T]) -> None:
        for value in values:
            self.append(value)

    def __len__(self) -> int:
        return (len(self._starts) - 1) * self.limit + len(self._held)

    def __getitem__(self, i: Any) -> Any:
        """The value at index ``i`` (an int, not a slice)."""
        chunk, at = divmod(range(len(self))[i], self.limit)  # negative indexes, and IndexError past the end
        if chunk == len(self._starts) - 1:
            return self._held[at]
        if self._cached[0] != chunk:
            self._cached = (chunk, self._chunk(chunk))
        return self._cached[1][at]

    def _chunk(self, chunk: int) -> list[_T]:
        return self._chunks.read(self._starts[chunk], self._starts[chunk + 1] - self._starts[chunk])

    def __iter__(self) -> Iterator[_T]:
        """The values there are when the walk starts, a chunk at a time (walks may nest)."""
        chunks, held = len(self._starts) - 1, self._held
        count = len(held)
        for chunk in range(chunks):
            yield from self._chunk(chunk)
        yield from held[:count]

    def __eq__(self, other: object) -> bool:  # as a list's: equal to a list or tuple of equal values
        if isinstance(other, (SpillList, list, tuple)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    def close(self) -> None:
        """Drop the values; the list is empty after."""
        self._chunks.close()
        self._starts, self._held, self._cached = array("Q", [0]), [], (-1, [])


class Buckets(Generic[_T]):
    """Values filed under the numbers ``0 .. count - 1``: at most ``limit`` of them held in memory in
    all; past that every bucket's held values go to the temp file, one pickle per bucket."""

    def __init__(self, count: int, folder: Optional[Path] = None, limit: Optional[int] = None):
        self.limit = limit or LIMIT
        self._chunks = Pickles(folder)
        self._held: list[list[_T]] = [[] for _ in range(count)]
        # offset, length, offset, length ... of each bucket's chunks: 16 bytes a chunk, not a tuple of two ints
        self._written = [array("Q") for _ in range(count)]
        self._sizes = array("Q", [0] * count)
        self._holding = 0

    def add(self, i: int, value: _T) -> None:
        self._held[i].append(value)
        self._sizes[i] += 1
        self._holding += 1
        if self._holding >= self.limit:
            for n, held in enumerate(self._held):
                if held:
                    self._written[n].extend(self._chunks.write(held))
                    self._held[n] = []
            self._holding = 0

    def size(self, i: int) -> int:
        """How many values bucket ``i`` has."""
        return self._sizes[i]

    def filled(self) -> list[int]:
        """The numbers of the buckets with values, in order."""
        return [i for i, size in enumerate(self._sizes) if size]

    def bucket(self, i: int) -> Iterator[_T]:
        """Bucket ``i``'s values, in the order added, a chunk at a time."""
        held = self._held[i]
        count = len(held)
        written = self._written[i]
        for n in range(0, len(written), 2):  # the chunks there are when the walk starts
            yield from self._chunks.read(written[n], written[n + 1])
        yield from held[:count]

    def __iter__(self) -> Iterator[_T]:
        """Every value, bucket by bucket."""
        for i in self.filled():
            yield from self.bucket(i)

    def __len__(self) -> int:
        return sum(self._sizes)

    def close(self) -> None:
        self._chunks.close()
        self._held = [[] for _ in self._held]
        self._written = [array("Q") for _ in self._written]
        self._sizes = array("Q", [0] * len(self._sizes))
        self._holding = 0
