"""A cache of the few values used last: what is read again soon (a project page or Requires-Dist
list while pinning, a release's METADATA while publishing) is kept, and memory does not grow with
the size of the mirror."""
from __future__ import annotations

from collections import OrderedDict
from typing import Generic, Hashable, Optional, TypeVar

_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")

RECENT = 256  # values kept: far more than one project's dependencies, far fewer than a mirror's projects


class Recent(Generic[_K, _V]):
    """The ``size`` values stored or looked up last."""

    def __init__(self, size: int = RECENT):
        self.size = size
        self._items: OrderedDict[_K, _V] = OrderedDict()

    def get(self, key: _K) -> Optional[_V]:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: _K, value: _V) -> _V:
        self._items[key] = value
        self._items.move_to_end(key)
        if len(self._items) > self.size:
            self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)
