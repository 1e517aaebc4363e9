"""``fetch``: a repository of eggs -> verified egg files in one folder, and a report.

The one entry point is :func:`fetch`; the CLI and the pipeline call it. It joins
three modules: :mod:`~migrate.fetch.sources` (what the repository offers),
:mod:`~migrate.fetch.selection` (what is wanted: eggs.ini pins, egg targets, projects)
and :mod:`~migrate.fetch.download` (getting one egg onto disk, resumable and checked).
Eggs are fetched in parallel threads over one pooled ``requests.Session``.

Every wanted egg ends in the report with a status: ``downloaded``,
``already-verified``, ``skipped`` (with the reason), ``missing`` or ``failed``
(with the reason). ``fetch-manifest.json`` in the egg folder holds the same.
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Sequence, TypeVar

import requests
from packaging.utils import canonicalize_name

from migrate import problems
from migrate.disklog import DiskLog, picked
from migrate.eggs import egg_parts
from migrate.fetch.credentials import split_userinfo
from migrate.fetch.download import DEFAULT_MAX_BYTES, Downloader
from migrate.fetch.httpsource import HttpSource
from migrate.fetch.listing import Link, Listing, Skip, SourceError, join_listings, unique_names
from migrate.fetch.localsource import LocalSource
from migrate.fetch.net import NetOptions, make_session
from migrate.fetch.results import DOWNLOADED, FAILED, MISSING, SKIPPED, VERIFIED, Progress, Result
from migrate.fetch.selection import Selection, describe_missing, keep, pick_alternative
from migrate.fetch.sources import Source, open_source
from migrate.fetch.state import State
from migrate.fsutil import ExclusiveLock, fsync_dir, json_chunks, write_chunks
from migrate.galaxy import Wanted, fold_key
from migrate.parallel import thread_completed

MANIFEST = "fetch-manifest.json"
_Item = TypeVar("_Item")
STATUSES = (DOWNLOADED, VERIFIED, SKIPPED, MISSING, FAILED)

__all__ = ["fetch", "FetchOptions", "FetchReport", "Result", "Selection", "SourceError", "Progress", "MANIFEST"]


@dataclass(frozen=True)
class FetchOptions:
    net: NetOptions = NetOptions()
    max_bytes: int = DEFAULT_MAX_BYTES  # bigger "eggs" are skipped as absurd
    hardlink: bool = True  # local eggs: hard-link when the file system allows, else copy
    write_manifest: bool = True


@dataclass(frozen=True)
class FetchReport:
    """Everything a fetch did, in wanted (or listing) order."""

    source: str
    dest: Path
    selection: str
    results: Sequence[Result] = ()  # from fetch(): a DiskLog, one result read at a time (memory flat in the eggs)
    skipped_links: tuple[Skip, ...] = ()  # links not followed and why
    errors: tuple[str, ...] = ()  # one-line messages that make the run fail (unreadable listings...)
    warnings: tuple[problems.Problem, ...] = ()  # eggs.ini oddities, state file

    @property
    def ok(self) -> bool:
        return not self.errors and all(r.ok for r in self.results)

    def counts(self) -> dict[str, int]:
        counts = {status: 0 for status in STATUSES}
        for r in self.results:
            counts[r.status] += 1
        return counts

    def as_dict(self, eggs: bool = True) -> dict[str, Any]:
        """``eggs=False``: without the rows (an empty list), for :func:`write_manifest` to stream them."""
        return {
            "source": self.source,
            "dest": str(self.dest),
            "selection": self.selection,
            "ok": self.ok,
            "counts": self.counts(),
            "eggs": [_record(r) for r in self.results] if eggs else [],
            "skipped_links": [{"url": s.url, "reason": s.reason} for s in self.skipped_links],
            "errors": list(self.errors),
            "warnings": [w.as_dict() for w in self.warnings],
        }


LOCK_FILE = ".egg-migrate-fetch.lock"  # in the egg folder: the kind of lock run and publish take (fsutil.ExclusiveLock)


class FetchBusy(SourceError):
    """Another fetch (or run) is writing into the egg folder (one line)."""


def dest_lock(dest: Path) -> ExclusiveLock:
    return ExclusiveLock(dest / LOCK_FILE, FetchBusy(f"{dest}: another egg-migrate fetch or run is writing eggs here"))


def fetch(source: str, dest: Path, selection: Selection = Selection(), jobs: int = 8,
          progress: Optional[Progress] = None, options: FetchOptions = FetchOptions(),
          session: Optional[requests.Session] = None) -> FetchReport:
    """Fetch the selected eggs of ``source`` into ``dest``; see the module docstring.

    ``source`` is a URL (Galaxy autoindex tree, PEP 503/691 simple index, find-links
    page, ``file://``) or a folder; with ``selection.eggs_ini`` and no source the
    eggs.ini ``repository`` is used. Raises :class:`SourceError` (one line) when the
    source as a whole cannot be read; every per-egg problem is in the report instead.
    """
    dest = Path(dest)
    jobs = max(1, jobs)
    if not source:
        if selection.eggs_ini is None or not selection.eggs_ini.repository:
            raise SourceError("no SOURCE given and no [general] repository in eggs.ini")
        source = selection.eggs_ini.repository
    source, net = with_credentials(source, options.net)
    own_session = None
    if session is None and source.startswith(("http://", "https://")):
        session = own_session = make_session(jobs, net, source)
    progress = progress or Progress()
    lazy = bool(selection.projects) and selection.eggs_ini is None
    try:
        src = open_source(source, session, net, jobs, lazy)
        dest.mkdir(parents=True, exist_ok=True)
        with dest_lock(dest):  # one writer per egg folder: a fetch -d, or the fetch stage of a run
            state = State(dest)
            warnings = list(selection.eggs_ini.problems) if selection.eggs_ini else []
            if state.warning:
                warnings.append(problems.warning("fetch-state-unreadable", state.warning))
            downloader = Downloader(dest, session, state, net, options.max_bytes, progress, options.hardlink)
            results: DiskLog[Result] = DiskLog(folder=dest)
            try:
                if selection.eggs_ini is not None:
                    listing = _fetch_eggs_ini(src, downloader, selection, jobs, progress, results)
                else:
                    listing = _fetch_listing(src, downloader, selection, jobs, progress, results)
            finally:
                state.close()
            fsync_dir(dest)
    finally:
        if own_session is not None:
            own_session.close()
    report = FetchReport(source=src.url, dest=dest, selection=selection.describe(), results=results,
                         skipped_links=listing.skipped, errors=listing.errors, warnings=tuple(warnings))
    if options.write_manifest:
        write_manifest(report)
    return report


def with_credentials(source: str, net: NetOptions) -> tuple[str, NetOptions]:
    """SOURCE without ``user:password@`` and the options that carry them instead (in memory only)."""
    bare, creds = split_userinfo(source)
    if creds is None:
        return source, net
    user, password = creds
    return bare, replace(net, user=user, password=password if password is not None else net.password)


def write_manifest(report: FetchReport) -> Path:
    """``<dest>/fetch-manifest.json``, written atomically (fsynced)."""
    path = report.dest / MANIFEST
    write_chunks(path, json_chunks(report.as_dict(eggs=False), "eggs", map(_record, report.results)))  # a row at a time
    return path


# -- listing mode ---------------------------------------------------------------
def _fetch_listing(src: Source, downloader: Downloader, selection: Selection, jobs: int,
                   progress: Progress, results: DiskLog[Result]) -> Listing:
    """Fetch the chosen links, each result appended to ``results`` in listing order; the listing."""
    chosen, listing, pre = _choose(src, selection, downloader.dest)
    progress.add_files(len(chosen) + len(pre))
    for r in pre:
        progress.done(r)

    def work(item: tuple[Link, str]) -> Result:
        link, note = item
        project = link.project or egg_parts(link.filename).project
        result = replace(downloader.fetch(link, note), project=project)
        progress.done(result)
        return result

    results += pre
    _fetch_all(work, chosen, jobs, results)
    chosen.close()
    return listing


def _choose(src: Source, selection: Selection, dest: Path) -> tuple[DiskLog[tuple[Link, str]], Listing, list[Result]]:
    """The links to fetch with why each was chosen (on disk, read one at a time), the listing's skipped
    links and errors (not its links), and the results made without fetching (projects missing)."""
    skipped: list[Skip] = []
    if selection.projects or not isinstance(src, LocalSource):
        listing, pre, unread = _read_listing(src, selection)
        links: Iterable[Link] = listing.links
    else:  # a local tree: each link chosen as the walk finds it, the links of all never held (~600 bytes an egg)
        listing, pre, unread, links = Listing(), [], [], unique_names(src.walk(skipped))
    chosen: DiskLog[tuple[Link, str]] = DiskLog(folder=dest)
    listed = 0
    for listed, link in enumerate(links, 1):
        note = keep(link, selection)
        if note is not None:
            chosen.append((link, note))
    listing = Listing((), listing.skipped + tuple(skipped), listing.errors)
    pre += _projects_unmatched(selection, chosen, pre + unread)
    if not chosen and not selection.projects and not listing.errors:
        listing = Listing((), listing.skipped,
                          (f"{src.url}: no eggs found" + (" for " + selection.describe() if listed else ""),))
    return chosen, listing, pre


def _fetch_all(work: Callable[[_Item], Result], items: Sequence[_Item], jobs: int, results: DiskLog[Result]) -> None:
    """``work`` over ``items`` in threads, each result written to disk as it ends (a slow egg holds
    back no other), then appended to ``results`` in the order of ``items``: 8 bytes an egg held."""
    done: DiskLog[Result] = DiskLog(folder=results.folder)
    where = array("Q", bytes(8 * len(items)))  # item n's result is done[where[n]]
    for n, result in thread_completed(work, items, jobs):
        where[n] = len(done)
        done.append(result)
    results += picked(done, where)
    done.close()


def _read_listing(src: Source, selection: Selection) -> tuple[Listing, list[Result], list[Result]]:
    """The whole source's listing, or the selected projects' (each one without a listing is missing),
    and the selected projects whose listing could not be read: their error says why, so they are
    not also called missing."""
    if not selection.projects:
        return src.list_all(), [], []
    listings, missing, unread = [], [], []
    for name in selection.projects:
        found = src.project_listing(name)
        if found is None:
            missing.append(Result(name, None, MISSING, reason=f"{src.url} has no listing or egg for {name}",
                                  project=name))
        else:
            listings.append(found)
            if found.errors and not found.links:
                unread.append(Result(name, None, FAILED, reason="; ".join(found.errors), project=name))
    return join_listings(listings), missing, unread


def _projects_unmatched(selection: Selection, chosen: Sequence[tuple[Link, str]], pre: list[Result]) -> list[Result]:
    """A missing result for each selected project none of the chosen eggs belongs to (unless already one)."""
    if not selection.projects:
        return []
    have = {canonicalize_name(egg_parts(link.filename).project) for link, _ in chosen}
    have |= {canonicalize_name(link.project) for link, _ in chosen if link.project}
    missing: list[Result] = []
    for name in selection.projects:
        if canonicalize_name(name) not in have and not any(r.project == name for r in pre + missing):
            missing.append(Result(name, None, MISSING, project=name,
                                  reason=f"no egg of {name} matches {selection.describe()}"))
    return missing


# -- eggs.ini mode --------------------------------------------------------------
def _fetch_eggs_ini(src: Source, downloader: Downloader, selection: Selection, jobs: int,
                    progress: Progress, results: DiskLog[Result]) -> Listing:
    """Fetch the eggs eggs.ini wants, each result appended to ``results`` in its order; what the
    listings read skipped and the errors they met."""
    ini = selection.eggs_ini
    assert ini is not None
    pre = []
    if not selection.include_no_auto:
        wanted_keys = {fold_key(p) for p in selection.projects}
        for key in ini.no_auto:
            if key in ini.eggs and (not wanted_keys or fold_key(key) in wanted_keys):
                pre.append(Result(key, None, SKIPPED, project=key,
                                  reason="in [general] no_auto: Galaxy built this egg on each host, never fetched it"))
    wanted = selection.wanted()
    progress.add_files(len(wanted) + len(pre))
    for r in pre:
        progress.done(r)
    listings: list[Listing] = []

    def work(w: Wanted) -> Result:
        result = _fetch_one_wanted(src, downloader, w, listings)
        result = replace(result, project=w.key, target=str(w.target))
        progress.done(result)
        return result

    results += pre
    _fetch_all(work, wanted, jobs, results)
    total = join_listings(listings)
    return Listing((), total.skipped, tuple(dict.fromkeys(total.errors)))


def _fetch_one_wanted(src: Source, downloader: Downloader, w: Wanted, listings: list[Listing]) -> Result:
    """Galaxy's ``Egg.fetch``: the exact URL first, then the project's listing."""
    direct = src.direct_link(w.key, w.filename)
    tried = ""
    if direct is not None:
        result = downloader.fetch(direct)
        if result.status != MISSING:
            return result
        tried = f"{direct.url}: {result.reason}; "
    listing = src.project_listing(w.key)
    if listing is None:
        where = f"{src.url.rstrip('/')}/{w.key}/" if isinstance(src, HttpSource) and src.kind == "tree" else src.url
        return Result(w.filename, direct.url if direct else None, MISSING,
                      reason=f"{tried}no listing of {w.key} at {where}")
    listings.append(Listing((), listing.skipped, listing.errors))
    picked = pick_alternative(listing.links, w)
    if picked is None:
        reason = tried + describe_missing(w, listing.links)
        if listing.errors:
            reason += "; " + "; ".join(listing.errors)
        return Result(w.filename, direct.url if direct else None, MISSING, reason=reason)
    link, note = picked
    return downloader.fetch(link, note)


def _record(r: Result) -> dict[str, Any]:
    return {
        "filename": r.filename,
        "project": r.project,
        "target": r.target,
        "url": r.url,
        "path": str(r.path) if r.path else None,
        "size": r.size,
        "sha256": r.sha256,
        "status": r.status,
        "reason": r.reason,
        "note": r.note,
    }
