"""Planning the change: the rows, state shards and project pages of the next generation.

Only the shards and projects the change touches are regrouped (every one when the pages must all
be made again: another renderer or base URL, an unknown live state, the distro indexes changed).
A project page is named by a hash of the rows it shows (``sig``), so a page that exists already
is reused, not rendered. No file is touched here.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterator, NamedTuple, Optional, Sequence

from migrate import spill
from migrate.disklog import DiskLog
from migrate.mirror.given import Given
from migrate.mirror.live import Live
from migrate.mirror.pages import RENDERER, project_pages
from migrate.mirror.pagetable import PageTable
from migrate.mirror.state import SHARDS, Entry, Gen, Pair, Row, shard
from migrate.spill import SpillList

PAGES_HELD = 256  # pages to render held in memory before they go to a temp file (a page holds its files)


class NewPage(NamedTuple):
    """A project page to render."""

    index_name: str  # "" for simple/, else the distro index (``index`` would hide tuple.index)
    sig: str
    project: str
    files: list[Entry]  # sorted


@dataclass(frozen=True)
class Plan:
    """What the next generation serves. The per-wheel parts (the changed shards' rows, the pages to
    render) are on disk, a shard at a time: a first publish of 16,000 wheels changes every one."""

    distro_counts: dict[str, int]  # distro index -> wheels re-tagged for it (those with none are gone)
    distros: list[str]  # the distro indexes, sorted
    shard_pairs: ShardPairs  # shard number -> its sorted pairs, for the shards that change
    pages: PageTable  # project -> (sig, the distro indexes it is in)
    new_pages: Sequence[NewPage]  # the pages no page store holds yet
    removed_rows: list[Row]  # the rows of the wheels no longer given
    removed: list[str]  # file names no longer published, sorted


class ShardPairs:
    """{shard number: its sorted (source key, row text) pairs} of the shards that change, kept on disk."""

    def __init__(self) -> None:
        self.log: DiskLog[tuple[int, list[Pair]]] = DiskLog()

    def add(self, i: int, pairs: list[Pair]) -> None:
        self.log.append((i, pairs))

    def items(self) -> Iterator[tuple[int, list[Pair]]]:
        return iter(self.log)

    def __len__(self) -> int:
        return len(self.log)


def plan_change(live: Live, given: Given, base_url: Optional[str], previous_pages: PageTable) -> Plan:
    """The next generation, from the live one and the wheels given. ``previous_pages``: the pages of
    the generation before the live one (their folders exist, complete)."""
    old, old_rows = live.gen, live.rows
    removed_keys = given.kept.removed(old_rows)
    removed_rows = [Row.parse(old_rows[k]) for k in removed_keys]
    removed_by_shard: dict[int, list[Row]] = {}
    for r in removed_rows:
        removed_by_shard.setdefault(shard(r.project), []).append(r)
    distro_counts = _distro_counts(old, removed_rows, given.new_distros)
    distros = sorted(distro_counts)
    everything = live.rerender or not old.known or set(distros) != set(old.distros)
    known = (old.pages, previous_pages)  # their page folders exist, complete
    pages = old.pages.copy() if old.known else PageTable()
    shard_pairs, new_pages = ShardPairs(), SpillList[NewPage](limit=min(PAGES_HELD, spill.LIMIT))
    for i in range(SHARDS) if everything else sorted(set(given.new_rows.filled()) | set(removed_by_shard)):
        removed_here = removed_by_shard.get(i, [])
        fresh = [(key, row.text(), row) for key, row in given.new_rows.bucket(i)]
        parsed = {text: row for _key, text, row in fresh}  # the rows read this time, not parsed again
        pairs = live.pairs[i]
        if removed_keys:
            pairs = [pair for pair in pairs if pair[0] not in removed_keys]
        pairs = sorted(pairs + [(key, text) for key, text, _row in fresh])
        shard_pairs.add(i, pairs)
        changed = {r.project for r in parsed.values()} | {r.project for r in removed_here}
        groups = _groups(pairs, changed, everything)
        for project in changed - set(groups):
            pages.pop(project)  # no wheels left
        new_pages.extend(_pages(pages, groups, parsed, distros, everything, base_url, known))
    removed = sorted({r.filename for r in removed_rows if not given.publishes(r.filename)})
    return Plan(distro_counts, distros, shard_pairs, pages, new_pages, removed_rows, removed)


def _distro_counts(old: Gen, removed_rows: list[Row], new_distros: dict[str, int]) -> dict[str, int]:
    """{distro index: wheels re-tagged for it}, sorted, without the indexes left with none."""
    counts = old.distros if old.known else {}
    for r in removed_rows:
        if r.distro:
            counts[r.distro] = counts.get(r.distro, 0) - 1
    for distro, n in new_distros.items():
        counts[distro] = counts.get(distro, 0) + n
    return {d: n for d, n in sorted(counts.items()) if n > 0}


def _groups(pairs: list[Pair], changed: set[str], everything: bool) -> dict[str, list[str]]:
    """{project: its row texts} of one shard's projects that change."""
    groups: dict[str, list[str]] = {}
    for _key, text in pairs:
        project = text.split("\t", 2)[1]
        if everything or project in changed:
            groups.setdefault(project, []).append(text)
    return groups


def _pages(pages: PageTable, groups: dict[str, list[str]], parsed: dict[str, Row], distros: list[str],
           everything: bool, base_url: Optional[str], known: tuple[PageTable, ...]) -> list[NewPage]:
    """Set ``pages[project]`` (sig, distro indexes) of each project in ``groups``; [NewPage] whose
    folder none of the ``known`` pages refers to."""
    new_pages: list[NewPage] = []
    for project, texts in groups.items():
        texts.sort()
        sig = hashlib.sha256("\n".join([f"renderer {RENDERER}", base_url or "", *texts])
                             .encode("utf-8")).hexdigest()[:32]
        live_page = pages.get(project)
        if live_page is not None and live_page[0] == sig and not everything:
            continue
        by_index = project_pages([parsed.get(t) or Row.parse(t) for t in texts], distros)
        for index, files in by_index.items():
            if not any(table.refers(project, index, sig) for table in known):
                new_pages.append(NewPage(index, sig, project, files))
        pages[project] = (sig, tuple(i for i in sorted(by_index) if i))
    return new_pages
