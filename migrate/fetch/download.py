"""Getting one egg onto disk, completely and verifiably, or saying exactly why not.

Each egg is written to ``<name>.part`` next to its final name, hashed (sha256)
while it streams, checked (length against ``Content-Length``/``Content-Range``,
hash against the listing's ``#sha256=``, the zip's central directory and every
member's CRC) and only then fsynced and renamed into place. A broken
connection, a 5xx or a short body is retried with exponential backoff and the
transfer resumes where the ``.part`` file ends (HTTP ``Range`` + ``If-Range``,
so a file changed on the server starts over). A ``kill -9`` leaves only the
``.part`` file and the state file, and the next run resumes it.

The state file (``.egg-migrate-fetch.jsonl`` in the egg folder) records, per
egg, the URL, size, sha256, ETag/Last-Modified and the file's mtime: a re-run
trusts an unchanged file without reading it and re-hashes one whose mtime
moved. Local eggs are hard-linked when possible, else copied; never moved.

:class:`Downloader` joins the pieces: :mod:`~migrate.fetch.transfer` (HTTP),
:mod:`~migrate.fetch.localcopy`, :mod:`~migrate.fetch.state` and
:mod:`~migrate.fetch.verify`; its answers are :mod:`~migrate.fetch.results`.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Iterator, Optional

import requests

from migrate.fetch.listing import Link
from migrate.fetch.localcopy import LocalCopy
from migrate.fetch.net import NetOptions
from migrate.fetch.results import VERIFIED, Progress, Result, failed
from migrate.fetch.state import Entry, State
from migrate.fetch.transfer import HttpTransfer
from migrate.fetch.verify import source_replaced, tree_digest
from migrate.fsutil import file_sha256

DEFAULT_MAX_BYTES = 1024**3  # the largest real eggs are ~100 MB; anything past 1 GiB is not an egg


class Downloader:
    """Fetches :class:`~migrate.fetch.listing.Link` s into ``dest``; safe to call from many threads."""

    def __init__(self, dest: Path, session: Optional[requests.Session], state: State,
                 options: NetOptions = NetOptions(), max_bytes: int = DEFAULT_MAX_BYTES,
                 progress: Optional[Progress] = None, hardlink: bool = True):
        self.dest, self.session, self.state, self.options = Path(dest), session, state, options
        self.max_bytes, self.progress, self.hardlink = max_bytes, progress or Progress(), hardlink
        self._local = LocalCopy(self.dest, state, max_bytes, self.progress, hardlink)
        self._locks = NameLocks()

    def fetch(self, link: Link, note: str = "") -> Result:
        """Bring one egg to ``dest/<filename>``; never raises for a bad egg or server."""
        with self._locks.held(link.filename):
            try:
                result = self._verified(link) or (self._local.copy(link) if link.local else self._download(link))
            except OSError as exc:
                result = failed(link, f"cannot write: {exc.strerror or exc}")
        if note:
            result = replace(result, note="; ".join(n for n in (note, result.note) if n), selected=note)
        return result

    # -- already there? -------------------------------------------------------
    def _verified(self, link: Link) -> Optional[Result]:
        final = self.dest / link.filename
        entry = self.state.lookup(link.filename)
        if not final.exists() or entry is None:
            return None
        if link.sha256 and entry.get("sha256") != link.sha256:
            return None
        if entry.get("url") != link.url and not link.sha256:
            return None
        if final.is_dir():
            if not Path(link.url).is_dir() or tree_digest(final)[0] != entry.get("sha256") \
                    or tree_digest(Path(link.url))[0] != entry.get("sha256"):
                return None
        else:
            st = final.stat()
            if st.st_size != entry.get("size") or (link.local and source_replaced(Path(link.url), st)):
                return None
            if st.st_mtime_ns != entry.get("mtime_ns"):
                if file_sha256(final) != entry.get("sha256"):
                    return None
                self.state.record(link.filename, {**entry, "mtime_ns": st.st_mtime_ns})
            if not link.local and not link.sha256 and self._changed_on_server(link, entry):
                return None
        return Result(link.filename, entry.get("final_url") or link.url, VERIFIED, final, entry.get("size"),
                      entry.get("sha256"))

    def _changed_on_server(self, link: Link, entry: Entry) -> bool:
        """Without a listed sha256, ask the server (HEAD) whether the egg changed since it was fetched.

        Compared: size, ETag, Last-Modified. A server that cannot answer HEAD, or says
        nothing to compare, keeps the verified copy (a failed check is not a change).
        """
        if link.size is not None and link.size != entry.get("size"):
            return True
        if self.session is None:
            return False
        try:
            resp = self.session.head(link.url, timeout=self.options.timeout, allow_redirects=False)
        except requests.RequestException:
            return False
        if resp.status_code != 200:
            return False
        length, etag, modified = (resp.headers.get(h) for h in ("Content-Length", "ETag", "Last-Modified"))
        return (length is not None and length.isdigit() and int(length) != entry.get("size")) \
            or bool(etag and entry.get("etag") and etag != entry["etag"]) \
            or bool(modified and entry.get("last_modified") and modified != entry["last_modified"])

    def _download(self, link: Link) -> Result:
        if self.session is None:
            raise ValueError("an HTTP egg needs a requests session")
        return HttpTransfer(link, self.dest, self.session, self.state, self.options, self.max_bytes,
                            self.progress).run()


class NameLocks:
    """One egg is never fetched by two threads at once, and a slow egg holds back no other: a lock per
    name, made when a thread asks for it and dropped when the last thread lets it go (as many as the
    threads, not the eggs; a fixed table of locks made two names share one, one waiting on the other)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._held: dict[str, list] = {}  # name -> [its lock, threads holding or waiting for it]

    @contextmanager
    def held(self, name: str) -> Iterator[None]:
        with self._guard:
            entry = self._held.setdefault(name, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._guard:
                entry[1] -= 1
                if not entry[1]:
                    del self._held[name]
