"""Planning the change: the rows, state shards and project pages of the next generation.

Only the shards and projects the change touches are regrouped (every one when the pages must all
be made again: another renderer or base URL, an unknown live state, the distro indexes changed).
A project page is named by a hash of the rows it shows (``sig``), so a page that exists already
is reused, not rendered. No file is touched here.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import NamedTuple, Optional

from migrate.mirror.given import Given
from migrate.mirror.live import Live
from migrate.mirror.pages import RENDERER, project_pages
from migrate.mirror.state import SHARDS, Entry, Gen, PageRef, Pair, ProjectPage, Row, shard


class NewPage(NamedTuple):
    """A project page to render."""

    index_name: str  # "" for simple/, else the distro index (``index`` would hide tuple.index)
    sig: str
    project: str
    files: list[Entry]  # sorted


@dataclass(frozen=True)
class Plan:
    """What the next generation serves."""

    distro_counts: dict[str, int]  # distro index -> wheels re-tagged for it (those with none are gone)
    distros: list[str]  # the distro indexes, sorted
    shard_pairs: dict[int, list[Pair]]  # shard number -> its sorted pairs, for the shards that change
    pages: dict[str, ProjectPage]  # project -> (sig, the distro indexes it is in)
    new_pages: list[NewPage]  # the pages no page store holds yet
    removed_rows: list[Row]  # the rows of the wheels no longer given
    removed: list[str]  # file names no longer published, sorted


def plan_change(live: Live, given: Given, base_url: Optional[str], previous_pages: set[PageRef]) -> Plan:
    """The next generation, from the live one and the wheels given. ``previous_pages``: the page
    folders the generation before the live one refers to (they exist, complete)."""
    old, old_rows, new_rows, kept = live.gen, live.rows, given.new_rows, given.kept
    removed_keys = set(old_rows).difference(kept) if len(kept) != len(old_rows) else set()
    removed_rows = [Row.parse(old_rows[k]) for k in removed_keys]
    changed = {r.project for _k, r in new_rows} | {r.project for r in removed_rows}
    distro_counts = _distro_counts(old, removed_rows, new_rows)
    distros = sorted(distro_counts)
    everything = live.rerender or not old.known or set(distros) != set(old.distros)
    shard_pairs, groups, parsed = _regroup(live, new_rows, removed_keys, changed, everything)
    known = old.page_refs() | previous_pages  # page folders that exist, complete
    pages, new_pages = _pages(old, groups, parsed, changed, distros, everything, base_url, known)
    removed = sorted({r.filename for r in removed_rows} - set(given.by_name))
    return Plan(distro_counts, distros, shard_pairs, pages, new_pages, removed_rows, removed)


def _distro_counts(old: Gen, removed_rows: list[Row], new_rows: list[tuple[str, Row]]) -> dict[str, int]:
    """{distro index: wheels re-tagged for it}, sorted, without the indexes left with none."""
    counts = old.distros if old.known else {}
    for r in removed_rows:
        if r.distro:
            counts[r.distro] = counts.get(r.distro, 0) - 1
    for _k, r in new_rows:
        if r.distro:
            counts[r.distro] = counts.get(r.distro, 0) + 1
    return {d: n for d, n in sorted(counts.items()) if n > 0}


def _regroup(live: Live, new_rows: list[tuple[str, Row]], removed_keys: set[str], changed: set[str],
             everything: bool) -> tuple[dict[int, list[Pair]], dict[str, list[str]], dict[str, Row]]:
    """({shard: its new sorted pairs}, {project: its row texts}) of the shards and projects that change,
    and {row text: Row} of the rows read this time (not parsed again)."""
    new_pairs: list[list[Pair]] = [[] for _ in range(SHARDS)]
    parsed: dict[str, Row] = {}
    for key, row in new_rows:
        text = row.text()
        parsed[text] = row
        new_pairs[shard(row.project)].append((key, text))
    changed_shards = range(SHARDS) if everything else sorted({shard(p) for p in changed})
    shard_pairs: dict[int, list[Pair]] = {}
    groups: dict[str, list[str]] = {}
    for i in changed_shards:
        pairs = live.pairs[i]
        if removed_keys:
            pairs = [pair for pair in pairs if pair[0] not in removed_keys]
        pairs = sorted(pairs + new_pairs[i])
        shard_pairs[i] = pairs
        for _key, text in pairs:
            project = text.split("\t", 2)[1]
            if everything or project in changed:
                groups.setdefault(project, []).append(text)
    return shard_pairs, groups, parsed


def _pages(old: Gen, groups: dict[str, list[str]], parsed: dict[str, Row], changed: set[str], distros: list[str],
           everything: bool, base_url: Optional[str],
           known: set[PageRef]) -> tuple[dict[str, ProjectPage], list[NewPage]]:
    """({project: (sig, distro indexes)} of the next generation, [NewPage] not in ``known``)."""
    pages = dict(old.pages) if old.known else {}
    for project in changed - set(groups):
        pages.pop(project, None)  # no wheels left
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
            if (index, sig) not in known:
                new_pages.append(NewPage(index, sig, project, files))
        pages[project] = (sig, tuple(i for i in sorted(by_index) if i))
    return pages, new_pages
