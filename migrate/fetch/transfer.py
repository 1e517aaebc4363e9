"""One egg over HTTP: streamed to ``<name>.part``, resumed, retried, checked, renamed into place.

Each attempt resumes where the ``.part`` file ends (``Range`` + ``If-Range``, so a
file changed on the server starts over) and hashes while it streams. A broken
connection, a 5xx or a short body is retried after a backoff; a 404, a TLS error
or a refused file is final. The egg is renamed into place only when its length,
the listing's sha256 and every zip CRC are right.
"""
from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional, Union
from urllib.parse import urlsplit

import requests
import urllib3

from migrate.fetch.credentials import origin
from migrate.fetch.listing import Link
from migrate.fetch.net import RETRY_STATUSES, NetOptions, describe, is_dns
from migrate.fetch.redirects import RedirectError, follow
from migrate.fetch.results import DOWNLOADED, MISSING, SKIPPED, Progress, Result, failed
from migrate.fetch.state import Entry, State
from migrate.fetch.verify import CHUNK, hash_into, zip_problem

PART_SUFFIX = ".part"


@dataclass(frozen=True)
class _Retry:
    """An attempt that failed in a way another attempt may not."""

    reason: str
    last: bool = False  # no point in trying again (the host name does not resolve)


@dataclass
class _Received:
    """What one attempt streamed into the ``.part`` file."""

    sha: Any  # hashlib.sha256 over the whole file so far
    offset: int  # where this attempt started writing
    received: int  # bytes in the file now
    total: Optional[int]  # what the server said the whole file has
    etag: Optional[str]
    modified: Optional[str]
    url: str  # where the body came from, after redirects


class _Overdue(Exception):
    """The download's total deadline passed while its body was streaming."""


class HttpTransfer:
    """Fetching one :class:`Link` into ``dest``; make one per egg, call :meth:`run` once."""

    def __init__(self, link: Link, dest: Path, session: requests.Session, state: State, options: NetOptions,
                 max_bytes: int, progress: Progress):
        self.link, self.session, self.state, self.options = link, session, state, options
        self.max_bytes, self.progress = max_bytes, progress
        self.final = dest / link.filename
        self.part = dest / (link.filename + PART_SUFFIX)
        self.reason, self.resumed_from, self.attempt = "", 0, 0
        self.deadline = 0.0

    def run(self) -> Result:
        """Attempts until one succeeds, fails for good, the retries run out or the deadline passes."""
        self.deadline = time.monotonic() + self.options.download_deadline
        for self.attempt in range(1, self.options.retries + 2):
            if self.attempt > 1:
                self.options.pause(self.attempt - 1)
            if time.monotonic() > self.deadline:
                return self._overdue()
            outcome = self._attempt()
            if isinstance(outcome, Result):
                return outcome
            self.reason = outcome.reason
            if outcome.last:
                break
        return failed(self.link, f"{self.reason or 'no response'} (gave up after {self.attempt} attempts)")

    def _attempt(self) -> Union[Result, _Retry]:
        url = self.link.url
        offset, partial = self._resume_point()
        try:
            resp = follow(self.session, url, _headers(offset, partial), self.options.timeout, self._permit)
        except RedirectError as exc:
            return failed(self.link, str(exc))
        except requests.exceptions.SSLError as exc:
            return failed(self.link, describe(exc, url))
        except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema, ValueError) as exc:
            return failed(self.link, f"not a valid URL ({exc})")
        except requests.exceptions.RequestException as exc:
            return _Retry(describe(exc, url), last=is_dns(exc))
        with resp:
            try:
                got = self._receive(resp, offset, partial)
            except _Overdue:
                return self._overdue()
        return self._finish(got) if isinstance(got, _Received) else got

    def _permit(self, url: str) -> Optional[str]:
        """Why a redirect to ``url`` is not followed: another host, unless the egg's sha256 is known
        or the host is allowed (``--allow-host``)."""
        host = (urlsplit(url).hostname or "").lower()
        if origin(url) == origin(self.link.url) or self.link.sha256 or host in self.options.allow_hosts:
            return None
        return f"another host ({host}), and no sha256 to check the egg against (--allow-host {host} follows it)"

    def _overdue(self) -> Result:
        self._discard()
        return failed(self.link, f"took more than {self.options.download_deadline:g} s in all (a download's "
                                 "deadline is 10 x --timeout); given up")

    def _resume_point(self) -> tuple[int, Optional[Entry]]:
        """(offset, partial-state entry): where the ``.part`` file ends, when it is of this URL."""
        partial = self.state.get_partial(self.link.filename)
        offset = self.part.stat().st_size if self.part.exists() else 0
        if offset and (not partial or partial.get("url") != self.link.url):
            offset = 0
        return offset, partial

    def _receive(self, resp, offset: int, partial: Optional[Entry]) -> Union[Result, _Retry, _Received]:
        """Check the answer's status and range, then stream its body into the ``.part`` file."""
        verdict = self._status(resp)
        if verdict is not None:
            return verdict
        etag, modified = resp.headers.get("ETag"), resp.headers.get("Last-Modified")
        if resp.status_code == 206:
            start, total = _content_range(resp.headers.get("Content-Range"))
            changed = partial and etag and partial.get("etag") and etag != partial.get("etag")
            if start != offset or changed:
                self._discard()
                return _Retry("the server answered a different range or a changed file; starting over")
        else:
            offset, total = 0, _int(resp.headers.get("Content-Length"))
        if total is not None and total > self.max_bytes:
            self._discard()
            return Result(self.link.filename, self.link.url, SKIPPED,
                          reason=f"absurd size: {total} bytes is more than the {self.max_bytes} byte limit")
        self.state.set_partial(self.link.filename, {"url": self.link.url, "etag": etag, "last_modified": modified,
                                                    "total": total})
        sha = hashlib.sha256()
        if offset:
            self.resumed_from = offset
            hash_into(sha, self.part, offset)
        received, broken = self._stream(resp, offset, sha)
        if broken is not None:
            return _Retry(f"connection broken after {received} of {total if total is not None else '?'} bytes"
                          f" ({describe(broken, self.link.url)})")
        return _Received(sha, offset, received, total, etag, modified, resp.url)

    def _status(self, resp) -> Union[Result, _Retry, None]:
        """None for a body worth reading (200, 206); else what the status means."""
        status = resp.status_code
        said = f"HTTP {status} {resp.reason or ''}".strip()
        if status in (404, 410):
            return Result(self.link.filename, self.link.url, MISSING, reason=said)
        if status in RETRY_STATUSES:
            return _Retry(said)
        if status == 416:  # our .part is no prefix of what the server has now
            self._discard()
            return _Retry("the server refused to resume (HTTP 416)")
        if status not in (200, 206):
            return failed(self.link, said)
        encoding = resp.headers.get("Content-Encoding", "").strip().lower()
        if encoding not in ("", "identity"):
            return failed(self.link, f"the server sent the egg {encoding}-encoded although asked for identity "
                                     "(refused: a compressed body could inflate without bound)")
        return None

    def _stream(self, resp, offset: int, sha) -> tuple[int, Optional[Exception]]:
        """(bytes in the ``.part`` file, the exception that broke the transfer or None); fsynced."""
        received = offset
        try:
            with open(self.part, "r+b" if offset else "wb") as out:
                out.seek(offset)
                out.truncate()
                for chunk in _arrivals(resp):
                    if time.monotonic() > self.deadline:
                        raise _Overdue()
                    out.write(chunk)
                    sha.update(chunk)
                    received += len(chunk)
                    self.progress.add_bytes(len(chunk))
                    if received > self.max_bytes:
                        break
                out.flush()
                os.fsync(out.fileno())
        except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError) as exc:
            return received, exc
        return received, None

    def _finish(self, got: _Received) -> Union[Result, _Retry]:
        """Length, sha256 and zip checked: rename into place and record it, or say why not."""
        if got.received > self.max_bytes:
            self._discard()
            return Result(self.link.filename, self.link.url, SKIPPED,
                          reason=f"absurd size: more than the {self.max_bytes} byte limit")
        if got.total is not None and got.received != got.total:
            if got.received > got.total:
                self._discard()
            return _Retry(f"truncated body: {got.received} of {got.total} bytes")
        digest = got.sha.hexdigest()
        problem = None
        if self.link.sha256 and digest != self.link.sha256:
            problem = f"sha256 {digest} does not match the listing's {self.link.sha256}"
        problem = problem or zip_problem(self.part)
        if problem:
            self._discard()
            if got.offset:  # the old part may be the culprit: one clean try
                return _Retry(f"{problem} after resuming; starting over")
            return failed(self.link, problem)
        os.replace(self.part, self.final)
        st = self.final.stat()
        self.state.record(self.link.filename, {"url": self.link.url, "size": st.st_size, "sha256": digest,
                                               "etag": got.etag, "last_modified": got.modified,
                                               "mtime_ns": st.st_mtime_ns, "final_url": got.url})
        note = f"resumed at byte {self.resumed_from}" if self.resumed_from else ""
        if self.attempt > 1:
            note = "; ".join(n for n in (note, f"attempt {self.attempt} ({self.reason})") if n)
        return Result(self.link.filename, got.url, DOWNLOADED, self.final, st.st_size, digest, note=note)

    def _discard(self) -> None:
        self.part.unlink(missing_ok=True)
        self.state.set_partial(self.link.filename, None)


def _headers(offset: int, partial: Optional[Entry]) -> dict[str, str]:
    """Resume at ``offset`` only if the file is still the one the ``.part`` began (``If-Range``)."""
    headers = {"Accept-Encoding": "identity"}
    if offset and partial:  # an offset comes with the partial entry that made it (see _resume_point)
        headers["Range"] = f"bytes={offset}-"
        validator = partial.get("etag") or partial.get("last_modified")
        if validator:
            headers["If-Range"] = validator
    return headers


def _content_range(value: Optional[str]) -> tuple[Optional[int], Optional[int]]:
    """``bytes 100-199/200`` -> (100, 200); unknown parts -> None."""
    match = re.match(r"\s*bytes\s+(\d+)-(\d+)/(\d+|\*)", value or "")
    if not match:
        return None, None
    total = None if match.group(3) == "*" else int(match.group(3))
    return int(match.group(1)), total


def _int(value: Optional[str]) -> Optional[int]:
    return int(value) if value and value.strip().isdigit() else None


def _arrivals(resp) -> Iterator[bytes]:
    """The body as it arrives, undecoded (identity was asked and checked): each read returns after
    at most one read from the socket, so a trickle cannot hold a 64 KB read open for hours and the
    total deadline is looked at between arrivals."""
    while True:
        chunk = resp.raw.read1(CHUNK, decode_content=False)
        if not chunk:
            return
        yield chunk
