"""Small ints by int keys (hashes), in two arrays: 12 bytes a slot where a dict of ints holds about a
hundred bytes an entry (its key and value are int objects of their own).

A publish remembers a few ints per wheel it is given (where the first wheel of each file name is, the
hashes of the paths it placed): as dicts and sets, megabytes at 16,000 wheels that the allocator keeps
after the publish. Open addressing with linear probing over a power-of-two table, at most two thirds
full; keys are ``hash()`` values, already spread. Values are ints from 0 to 2**32 - 2.
"""
from __future__ import annotations

from array import array
from typing import Optional

_START = 64  # slots of a new map


class IntMap:
    """{int key: int value}; no deletion (a publish only adds)."""

    def __init__(self, expected: int = 0) -> None:
        """``expected``: how many keys there will be, when known (a table made that big is never grown)."""
        size = _START
        while 2 * size < 3 * expected:
            size *= 2
        self._keys = array("q", bytes(8 * size))
        self._values = array("I", bytes(4 * size))  # value + 1; 0 marks an empty slot
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def get(self, key: int) -> Optional[int]:
        keys, values, mask = self._keys, self._values, len(self._keys) - 1
        i = key & mask
        while True:
            v = values[i]
            if not v:
                return None
            if keys[i] == key:
                return v - 1
            i = (i + 1) & mask

    def __contains__(self, key: int) -> bool:
        return self.get(key) is not None

    def setdefault(self, key: int, value: int = 0) -> int:
        """The value of ``key``; a key not there yet gets ``value`` (one probe for the two questions)."""
        keys, values, mask = self._keys, self._values, len(self._keys) - 1
        i = key & mask
        while True:
            v = values[i]
            if not v:
                break
            if keys[i] == key:
                return v - 1
            i = (i + 1) & mask
        keys[i], values[i] = key, value + 1
        self._count += 1
        if 3 * self._count > 2 * len(keys):
            self._grow()
        return value

    def _grow(self) -> None:
        old_keys, old_values = self._keys, self._values
        size = 2 * len(old_keys)
        self._keys, self._values, self._count = array("q", bytes(8 * size)), array("I", bytes(4 * size)), 0
        keys, values, mask = self._keys, self._values, size - 1
        for key, v in zip(old_keys, old_values):
            if v:
                i = key & mask
                while values[i]:
                    i = (i + 1) & mask
                keys[i], values[i] = key, v
                self._count += 1
