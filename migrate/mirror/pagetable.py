"""A generation's project pages, {project: (sig, distro indexes)}, kept in a temp file a state shard at a time.

As a dict, 16,000 projects held ~3.5 MB (a name, a sig and a tuple each) that the allocator kept after
the publish. A publish plans, links and compares pages shard by shard (a project's shard is
``state.shard(project)``), so the table holds one shard's dict in memory (the one used last) and the
others in an unnamed temp file (``disklog.Pickles``), sorted, a pickle per few dozen items; a changed
shard is written again when another one is opened. Walks go shard by shard; ``sorted_items`` merges
the shards a chunk of each at a time, for the files listed by name.
"""
from __future__ import annotations

import heapq
from array import array
from typing import Iterable, Iterator, Optional

from migrate.disklog import Pickles
from migrate.mirror.state import SHARDS, ProjectPage, shard

_BATCH = 4096  # items grouped by shard before an update writes them
_CHUNK = 16  # items a pickle: what a merge of the 64 shards holds of each


class PageTable:
    """{project: (sig, the distro indexes it is in)}; copies share the temp file (it is only appended to)."""

    def __init__(self, items: Iterable[tuple[str, ProjectPage]] = (), store: Optional[Pickles] = None):
        self._store = store or Pickles(None)
        self._at = [array("Q") for _ in range(SHARDS)]  # offset, length, offset, length ... of each shard's chunks
        self._sizes = array("I", [0] * SHARDS)
        self._open, self._dirty = -1, False  # the shard held in memory
        self._dict: dict[str, ProjectPage] = {}
        self.update(items)

    def _shard(self, i: int) -> dict[str, ProjectPage]:
        if self._open != i:
            self._close()
            self._open, self._dict = i, dict(self._read(i))
        return self._dict

    def _read(self, i: int) -> Iterator[tuple[str, ProjectPage]]:
        """Shard ``i``'s items as written, sorted, a chunk at a time."""
        at = self._at[i]
        for n in range(0, len(at), 2):
            yield from self._store.read(at[n], at[n + 1])

    def _close(self) -> None:
        """Write the shard held if it changed."""
        if self._dirty:
            items = sorted(self._dict.items())
            self._at[self._open] = array("Q", (x for n in range(0, len(items), _CHUNK)
                                               for x in self._store.write(items[n:n + _CHUNK])))
            self._sizes[self._open] = len(items)
            self._dirty = False

    def get(self, project: str) -> Optional[ProjectPage]:
        i = shard(project)
        if i != self._open and not self._at[i]:
            return None  # an empty shard is not opened (an empty table is asked about every project)
        return self._shard(i).get(project)

    def __contains__(self, project: str) -> bool:
        return self.get(project) is not None

    def refers(self, project: str, index: str, sig: str) -> bool:
        """``project``'s page in ``index`` is the page folder ``sig`` (a sig names one project's rows)."""
        page = self.get(project)
        return page is not None and page[0] == sig and (not index or index in page[1])

    def __setitem__(self, project: str, page: ProjectPage) -> None:
        self._shard(shard(project))[project] = page
        self._dirty = True

    def pop(self, project: str) -> Optional[ProjectPage]:
        d = self._shard(shard(project))
        if project not in d:
            return None
        self._dirty = True
        return d.pop(project)

    def update(self, items: Iterable[tuple[str, ProjectPage]]) -> None:
        """Many items in any order (a ``pages`` file's, sorted by name): grouped by shard, a batch at a time."""
        batch: dict[int, list[tuple[str, ProjectPage]]] = {}
        held = 0
        for project, page in items:
            batch.setdefault(shard(project), []).append((project, page))
            held += 1
            if held >= _BATCH:
                self._add_batch(batch)
                batch, held = {}, 0
        self._add_batch(batch)

    def _add_batch(self, batch: dict[int, list[tuple[str, ProjectPage]]]) -> None:
        for i in sorted(batch):
            self._shard(i).update(batch[i])
            self._dirty = True

    def __len__(self) -> int:
        self._close()
        return sum(self._sizes)

    def items(self) -> Iterator[tuple[str, ProjectPage]]:
        """Shard by shard (a shard's items in the order added)."""
        for i in range(SHARDS):
            if self._at[i] or i == self._open:
                yield from list(self._shard(i).items())

    def values(self) -> Iterator[ProjectPage]:
        for _project, page in self.items():
            yield page

    def sorted_items(self) -> Iterator[tuple[str, ProjectPage]]:
        """By project name: the shards' sorted items merged, one shard's read at a time per shard."""
        self._close()
        return heapq.merge(*(self._read(i) for i in range(SHARDS) if self._at[i]))

    def copy(self) -> PageTable:
        """The same pages; changes to either are not seen by the other."""
        self._close()
        other = PageTable(store=self._store)
        other._at, other._sizes = list(self._at), array("I", self._sizes)  # arrays replaced, never changed
        return other
