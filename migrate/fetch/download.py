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
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

import requests
import urllib3

from migrate.fetch.listing import Link
from migrate.fetch.net import RETRY_STATUSES, NetOptions, _is_dns, describe
from migrate.fsutil import file_sha256, write_atomic

STATE_FILE = ".egg-migrate-fetch.jsonl"
PART_SUFFIX = ".part"
CHUNK = 64 * 1024
DEFAULT_MAX_BYTES = 1024**3  # the largest real eggs are ~100 MB; anything past 1 GiB is not an egg

DOWNLOADED = "downloaded"
VERIFIED = "already-verified"
SKIPPED = "skipped"
MISSING = "missing"
FAILED = "failed"


@dataclass(frozen=True)
class Result:
    """What happened to one egg (one row of the fetch manifest)."""

    filename: str
    url: Optional[str]
    status: str  # downloaded / already-verified / skipped / missing / failed
    path: Optional[Path] = None
    size: Optional[int] = None
    sha256: Optional[str] = None  # of the file; for a folder egg, of its sorted (path, sha256) list
    reason: str = ""  # why skipped / missing / failed
    note: str = ""  # what else to know: resumed, copied, hard-linked, compatible platform...
    selected: str = ""  # why this file was chosen, when not simply by its name (stable across runs)
    project: Optional[str] = None  # eggs.ini key or listing folder
    target: Optional[str] = None  # eggs.ini mode: ``py2.7-linux-x86_64-ucs4``

    @property
    def ok(self) -> bool:
        return self.status in (DOWNLOADED, VERIFIED, SKIPPED)


class Progress:
    """Progress sink; the default does nothing. The CLI passes tqdm bars on a terminal."""

    def add_files(self, n: int) -> None:
        """``n`` more eggs are expected."""

    def add_bytes(self, n: int) -> None:
        """``n`` bytes arrived (any egg, any thread)."""

    def done(self, result: Result) -> None:
        """One egg finished, whatever the outcome."""

    def close(self) -> None:
        pass


class State:
    """The state file: verified eggs and partial downloads. Thread-safe, crash-safe.

    A journal of JSON lines, one appended per change (an ``O_APPEND`` write of one
    line: cheap, and a ``kill -9`` can at worst tear the last line, which is then
    ignored); :meth:`close` compacts it to one line per egg.
    """

    def __init__(self, dest: Path):
        self.path = Path(dest) / STATE_FILE
        self._lock = threading.Lock()
        self._fd: Optional[int] = None
        self.eggs: dict = {}
        self.partial: dict = {}
        self.warning: Optional[str] = None
        self._torn = False
        try:
            raw = self.path.read_bytes()
            lines, self._torn = raw.splitlines(), bool(raw) and not raw.endswith(b"\n")
        except FileNotFoundError:
            lines = []
        except OSError as exc:
            lines, self.warning = [], f"{self.path}: unreadable state file ({exc}); every egg is checked again"
        bad = []
        for number, line in enumerate(lines):
            try:
                self._apply(json.loads(line))
            except (ValueError, TypeError, KeyError, AttributeError):
                bad.append(number)
        if bad and bad != [len(lines) - 1]:  # a torn last line is what a kill -9 leaves: not worth a word
            self.warning = f"{self.path}: {len(bad)} unreadable lines ignored; those eggs are checked again"

    def _apply(self, entry: dict) -> None:
        kind, name = entry["kind"], entry["name"]
        data = {k: v for k, v in entry.items() if k not in ("kind", "name")}
        if kind == "egg":
            self.eggs[name] = data
            self.partial.pop(name, None)
        elif kind == "forget":
            self.eggs.pop(name, None)
        elif kind == "partial":
            self.partial[name] = data
        elif kind == "forget-partial":
            self.partial.pop(name, None)
        else:
            raise ValueError(kind)

    def lookup(self, filename: str) -> Optional[dict]:
        with self._lock:
            entry = self.eggs.get(filename)
            return dict(entry) if entry else None

    def record(self, filename: str, entry: dict) -> None:
        self._change({"kind": "egg", "name": filename, **entry})

    def forget(self, filename: str) -> None:
        with self._lock:
            known = filename in self.eggs
        if known:
            self._change({"kind": "forget", "name": filename})

    def get_partial(self, filename: str) -> Optional[dict]:
        with self._lock:
            entry = self.partial.get(filename)
            return dict(entry) if entry else None

    def set_partial(self, filename: str, entry: Optional[dict]) -> None:
        with self._lock:
            current = self.partial.get(filename)
        if entry is None:
            if current is not None:
                self._change({"kind": "forget-partial", "name": filename})
        elif current != entry:
            self._change({"kind": "partial", "name": filename, **entry})

    def close(self) -> None:
        """Compact the journal (atomically, fsynced) and close it."""
        with self._lock:
            if self._fd is None:
                return
            os.close(self._fd)
            self._fd = None
            lines = [{"kind": "egg", "name": n, **e} for n, e in sorted(self.eggs.items())]
            lines += [{"kind": "partial", "name": n, **e} for n, e in sorted(self.partial.items())]
            write_atomic(self.path, "".join(json.dumps(x, sort_keys=True) + "\n" for x in lines))

    def _change(self, entry: dict) -> None:
        line = (json.dumps(entry, sort_keys=True) + "\n").encode("utf-8")
        with self._lock:
            self._apply(entry)
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                if self._torn:  # start after the torn line, not inside it
                    line = b"\n" + line
            os.write(self._fd, line)


class Downloader:
    """Fetches :class:`~migrate.sources.Link` s into ``dest``; safe to call from many threads."""

    def __init__(self, dest: Path, session: Optional[requests.Session], state: State,
                 options: NetOptions = NetOptions(), max_bytes: int = DEFAULT_MAX_BYTES,
                 progress: Optional[Progress] = None, hardlink: bool = True):
        self.dest, self.session, self.state, self.options = Path(dest), session, state, options
        self.max_bytes, self.progress, self.hardlink = max_bytes, progress or Progress(), hardlink
        self._locks: dict = {}
        self._locks_lock = threading.Lock()

    def fetch(self, link: Link, note: str = "") -> Result:
        """Bring one egg to ``dest/<filename>``; never raises for a bad egg or server."""
        with self._lock_for(link.filename):
            try:
                result = self._verified(link) or (self._copy(link) if link.local else self._download(link))
            except OSError as exc:
                result = Result(link.filename, link.url, FAILED, reason=f"cannot write: {exc.strerror or exc}")
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
            if st.st_size != entry.get("size") or (link.local and _source_replaced(Path(link.url), st)):
                return None
            if st.st_mtime_ns != entry.get("mtime_ns"):
                if file_sha256(final) != entry.get("sha256"):
                    return None
                self.state.record(link.filename, {**entry, "mtime_ns": st.st_mtime_ns})
            if not link.local and not link.sha256 and self._changed_on_server(link, entry):
                return None
        return Result(link.filename, link.url, VERIFIED, final, entry.get("size"), entry.get("sha256"))

    def _changed_on_server(self, link: Link, entry: dict) -> bool:
        """Without a listed sha256, ask the server (HEAD) whether the egg changed since it was fetched.

        Compared: size, ETag, Last-Modified. A server that cannot answer HEAD, or says
        nothing to compare, keeps the verified copy (a failed check is not a change).
        """
        if link.size is not None and link.size != entry.get("size"):
            return True
        if self.session is None:
            return False
        try:
            resp = self.session.head(link.url, timeout=self.options.timeout, allow_redirects=True)
        except requests.RequestException:
            return False
        if resp.status_code != 200:
            return False
        length, etag, modified = (resp.headers.get(h) for h in ("Content-Length", "ETag", "Last-Modified"))
        return (length is not None and length.isdigit() and int(length) != entry.get("size")) \
            or bool(etag and entry.get("etag") and etag != entry["etag"]) \
            or bool(modified and entry.get("last_modified") and modified != entry["last_modified"])

    # -- HTTP -----------------------------------------------------------------
    def _download(self, link: Link) -> Result:
        final = self.dest / link.filename
        part = self.dest / (link.filename + PART_SUFFIX)
        reason, resumed_from, attempt = "", 0, 0
        for attempt in range(1, self.options.retries + 2):
            if attempt > 1:
                self.options.pause(attempt - 1)
            partial = self.state.get_partial(link.filename)
            offset = part.stat().st_size if part.exists() else 0
            if offset and (not partial or partial.get("url") != link.url):
                offset = 0
            headers = {"Accept-Encoding": "identity"}
            if offset:
                headers["Range"] = f"bytes={offset}-"
                validator = partial.get("etag") or partial.get("last_modified")
                if validator:
                    headers["If-Range"] = validator
            try:
                resp = self.session.get(link.url, headers=headers, stream=True, timeout=self.options.timeout)
            except requests.exceptions.SSLError as exc:
                return self._fail(link, describe(exc, link.url))
            except requests.exceptions.RequestException as exc:
                reason = describe(exc, link.url)
                if _is_dns(exc):
                    break
                continue
            with resp:
                status = resp.status_code
                if status in (404, 410):
                    return Result(link.filename, link.url, MISSING, reason=f"HTTP {status} {resp.reason or ''}".strip())
                if status in RETRY_STATUSES:
                    reason = f"HTTP {status} {resp.reason or ''}".strip()
                    continue
                if status == 416:  # our .part is no prefix of what the server has now
                    self._discard(part, link)
                    reason = "the server refused to resume (HTTP 416)"
                    continue
                if status not in (200, 206):
                    return self._fail(link, f"HTTP {status} {resp.reason or ''}".strip())
                etag, modified = resp.headers.get("ETag"), resp.headers.get("Last-Modified")
                if status == 206:
                    start, total = _content_range(resp.headers.get("Content-Range"))
                    changed = partial and etag and partial.get("etag") and etag != partial.get("etag")
                    if start != offset or changed:
                        self._discard(part, link)
                        reason = "the server answered a different range or a changed file; starting over"
                        continue
                else:
                    offset, total = 0, _int(resp.headers.get("Content-Length"))
                if total is not None and total > self.max_bytes:
                    self._discard(part, link)
                    return Result(link.filename, link.url, SKIPPED,
                                  reason=f"absurd size: {total} bytes is more than the {self.max_bytes} byte limit")
                self.state.set_partial(link.filename, {"url": link.url, "etag": etag, "last_modified": modified,
                                                        "total": total})
                sha = hashlib.sha256()
                if offset:
                    resumed_from = offset
                    _hash_into(sha, part, offset)
                received = offset
                try:
                    with open(part, "r+b" if offset else "wb") as out:
                        out.seek(offset)
                        out.truncate()
                        for chunk in resp.iter_content(CHUNK):
                            out.write(chunk)
                            sha.update(chunk)
                            received += len(chunk)
                            self.progress.add_bytes(len(chunk))
                            if received > self.max_bytes:
                                break
                        out.flush()
                        os.fsync(out.fileno())
                except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError) as exc:
                    reason = f"connection broken after {received} of {total if total is not None else '?'} bytes" \
                        f" ({describe(exc, link.url)})"
                    continue
            if received > self.max_bytes:
                self._discard(part, link)
                return Result(link.filename, link.url, SKIPPED,
                              reason=f"absurd size: more than the {self.max_bytes} byte limit")
            if total is not None and received != total:
                if received > total:
                    self._discard(part, link)
                reason = f"truncated body: {received} of {total} bytes"
                continue
            digest = sha.hexdigest()
            problem = None
            if link.sha256 and digest != link.sha256:
                problem = f"sha256 {digest} does not match the listing's {link.sha256}"
            problem = problem or zip_problem(part)
            if problem:
                self._discard(part, link)
                if offset:  # the old part may be the culprit: one clean try
                    reason = f"{problem} after resuming; starting over"
                    continue
                return self._fail(link, problem)
            os.replace(part, final)
            st = final.stat()
            self.state.record(link.filename, {"url": link.url, "size": st.st_size, "sha256": digest, "etag": etag,
                                              "last_modified": modified, "mtime_ns": st.st_mtime_ns})
            note = f"resumed at byte {resumed_from}" if resumed_from else ""
            if attempt > 1:
                note = "; ".join(n for n in (note, f"attempt {attempt} ({reason})") if n)
            return Result(link.filename, link.url, DOWNLOADED, final, st.st_size, digest, note=note)
        return self._fail(link, f"{reason or 'no response'} (gave up after {attempt} attempts)")

    def _fail(self, link: Link, reason: str) -> Result:
        return Result(link.filename, link.url, FAILED, reason=reason)

    def _discard(self, part: Path, link: Link) -> None:
        part.unlink(missing_ok=True)
        self.state.set_partial(link.filename, None)

    # -- local ----------------------------------------------------------------
    def _copy(self, link: Link) -> Result:
        src, final = Path(link.url), self.dest / link.filename
        if final.exists() and _same_file(src, final):
            return self._record_local(link, final, "already the same file as the source")
        if src.is_dir():
            return self._copy_tree(link, src, final)
        size = src.stat().st_size
        if size > self.max_bytes:
            return Result(link.filename, link.url, SKIPPED,
                          reason=f"absurd size: {size} bytes is more than the {self.max_bytes} byte limit")
        tmp = self.dest / f".{link.filename}.tmp-{os.getpid()}-{threading.get_ident()}"
        tmp.unlink(missing_ok=True)
        how = "copied"
        try:
            if self.hardlink:
                os.link(src, tmp)
                how = "hard-linked"
        except OSError:
            pass
        try:
            if how == "copied":
                shutil.copyfile(src, tmp)
                with open(tmp, "rb+") as f:
                    os.fsync(f.fileno())
            digest = file_sha256(tmp)
            problem = None
            if link.sha256 and digest != link.sha256:
                problem = f"sha256 {digest} does not match the expected {link.sha256}"
            problem = problem or zip_problem(tmp)
            if problem:
                return self._fail(link, problem)
            self.progress.add_bytes(size)
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        return self._record_local(link, final, f"{how} from {src}", digest)

    def _copy_tree(self, link: Link, src: Path, final: Path) -> Result:
        if not (src / "EGG-INFO").is_dir():
            return self._fail(link, "folder egg without EGG-INFO/")
        digest, size = tree_digest(src)
        tmp = self.dest / f".{link.filename}.tmp-{os.getpid()}-{threading.get_ident()}"
        old = self.dest / f".{link.filename}.old-{os.getpid()}-{threading.get_ident()}"
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            shutil.copytree(src, tmp, symlinks=True)
            if final.exists():
                os.replace(final, old)
            os.replace(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)
        self.progress.add_bytes(size)
        return self._record_local(link, final, f"folder egg copied from {src}", digest, size)

    def _record_local(self, link: Link, final: Path, note: str, digest: str = None, size: int = None) -> Result:
        if final.is_dir():
            digest, size = (digest, size) if digest else tree_digest(final)
            mtime = None
        else:
            digest = digest or file_sha256(final)
            st = final.stat()
            size, mtime = st.st_size, st.st_mtime_ns
        self.state.record(link.filename, {"url": link.url, "size": size, "sha256": digest, "etag": None,
                                          "last_modified": None, "mtime_ns": mtime})
        return Result(link.filename, link.url, DOWNLOADED, final, size, digest, note=note)

    def _lock_for(self, filename: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(filename, threading.Lock())


def _source_replaced(source: Path, copy: os.stat_result) -> bool:
    """A local source file replaced since it was copied (a hard link is its source: never stale)."""
    try:
        src = source.stat()
    except OSError:
        return False
    if (src.st_dev, src.st_ino) == (copy.st_dev, copy.st_ino):
        return False
    return src.st_size != copy.st_size or src.st_mtime_ns > copy.st_mtime_ns


def zip_problem(path: Path) -> Optional[str]:
    """None when ``path`` is a complete zip egg (central directory, every CRC, EGG-INFO/), else why not."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            bad = zf.testzip()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        return f"not a complete zip file ({exc})"
    except RuntimeError as exc:  # encrypted members
        return f"unreadable zip ({exc})"
    if bad is not None:
        return f"zip member {bad!r} fails its CRC check"
    if not any(n.startswith("EGG-INFO/") for n in names):
        return "a zip without EGG-INFO/: not an egg"
    return None


def tree_digest(root: Path) -> tuple:
    """(sha256 over sorted ``path\\0sha256`` lines, total bytes) of a folder egg."""
    lines, total = [], 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                lines.append(f"{rel}\0link:{os.readlink(path)}")
                continue
            total += path.stat().st_size
            lines.append(f"{rel}\0{file_sha256(path)}")
    return hashlib.sha256("\n".join(sorted(lines)).encode("utf-8", "surrogateescape")).hexdigest(), total


def _hash_into(sha, path: Path, limit: Optional[int]) -> None:
    remaining = limit
    with open(path, "rb") as f:
        while remaining is None or remaining > 0:
            block = f.read(CHUNK if remaining is None else min(CHUNK, remaining))
            if not block:
                break
            sha.update(block)
            if remaining is not None:
                remaining -= len(block)


def _content_range(value: Optional[str]) -> tuple:
    """``bytes 100-199/200`` -> (100, 200); unknown parts -> None."""
    match = re.match(r"\s*bytes\s+(\d+)-(\d+)/(\d+|\*)", value or "")
    if not match:
        return None, None
    total = None if match.group(3) == "*" else int(match.group(3))
    return int(match.group(1)), total


def _int(value: Optional[str]) -> Optional[int]:
    return int(value) if value and value.strip().isdigit() else None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
