"""Where eggs come from: listing a repository into links, never leaving its root.

Kinds of SOURCE:

- HTTP directory trees: a Galaxy egg repository (``<repo>/<name>/<egg>`` as
  Apache/nginx autoindex pages) or a PEP 503 simple index — both are "a page of
  project folders, each a page of files"; ``#sha256=`` fragments are kept.
- PEP 691 JSON, when the server answers ``Accept: application/vnd.pypi.simple.v1+json``.
- A find-links page: one page that links egg files directly.
- Local folders: an egg cache, a project's ``.eggs/``, a buildout ``eggs/``, a
  site-packages with ``.egg`` entries (``file://`` URLs too).

Rules for untrusted listings: listing pages are read only below the root URL
(never a parent, never another host); egg files may live elsewhere on the same
host (PEP 503 indexes keep them under ``/packages/``) but links to other hosts,
names with ``/``, ``\\`` or ``..``, and names that are not egg names are skipped
with a reason.
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit
from urllib.request import url2pathname

import requests
from packaging.utils import canonicalize_name

from migrate.eggs import names
from migrate.eggs.names import egg_parts
from migrate.errors import MigrateError
from migrate.fetch.links import page_anchors, parse_sha256
from migrate.fetch.net import JSON_LISTING, HTTPStatus, NetError, NetOptions, get_page
from migrate.parallel import thread_map

MAX_DEPTH = 4  # a Galaxy repository is 2 levels; leave room for /new/ and the like


class SourceError(MigrateError):
    """The source as a whole cannot be read (DNS, refused, TLS, 404 root...); one line."""


@dataclass(frozen=True)
class Link:
    """One egg offered by a source."""

    url: str  # http(s) URL without fragment, or an absolute local path
    filename: str  # the egg's file name (``psycopg2-2.5.1_9.2.4_static-py2.7-linux-x86_64-ucs4.egg``)
    project: Optional[str] = None  # the listing folder it came from (Galaxy key / simple project)
    sha256: Optional[str] = None  # from ``#sha256=`` or PEP 691 ``hashes``
    size: Optional[int] = None  # when the listing says (PEP 700 ``size``)

    @property
    def local(self) -> bool:
        return not self.url.startswith(("http://", "https://"))


@dataclass(frozen=True)
class Skip:
    """A link not followed, and why (shown in the manifest)."""

    url: str
    reason: str


@dataclass(frozen=True)
class Listing:
    links: tuple = ()  # of Link, first occurrence of each file name
    skipped: tuple = ()  # of Skip
    errors: tuple = ()  # one-line messages: listing pages that could not be read

    def __add__(self, other: "Listing") -> "Listing":
        seen = {link.filename for link in self.links}
        extra = tuple(link for link in other.links if link.filename not in seen)
        return Listing(self.links + extra, self.skipped + other.skipped, self.errors + other.errors)


def check_filename(name: str) -> Optional[str]:
    """Why ``name`` (already unquoted) cannot be an egg we write to disk, or None."""
    if not name or "/" in name or "\\" in name or "\x00" in name:
        return f"unsafe file name {name!r}"
    if ".." in name or name.startswith("."):
        return f"'..' or a leading dot in the name {name!r}"
    if not name.lower().endswith(".egg"):
        return "not an egg"
    try:
        parts = egg_parts(name)
    except names.InvalidEggName:
        return "not a pkg_resources egg name"
    if parts.version is None:
        return "no version in the egg name"
    return None


def open_source(source: str, session: Optional[requests.Session] = None, options: NetOptions = NetOptions(),
                jobs: int = 8):
    """The :class:`HttpSource` or :class:`LocalSource` for SOURCE; raises SourceError."""
    parts = urlsplit(source)
    if parts.scheme in ("http", "https"):
        if session is None:
            raise ValueError("an HTTP source needs a requests session")
        return HttpSource(source, session, options, jobs)
    if parts.scheme == "file":
        return LocalSource(Path(url2pathname(unquote(parts.path))))
    if parts.scheme and len(parts.scheme) > 1:
        raise SourceError(f"{source}: unsupported URL scheme {parts.scheme!r} (use http, https, file or a folder)")
    return LocalSource(Path(source))


class LocalSource:
    """Eggs in a folder tree: files and folders named ``*.egg`` (copied, never moved)."""

    kind = "local"

    def __init__(self, root: Path):
        self.root = Path(root).absolute()
        if not self.root.is_dir():
            raise SourceError(f"{root}: no such folder" if not self.root.exists() else f"{root}: not a folder")
        self.url = str(self.root)
        self._all: Optional[Listing] = None
        self._lock = threading.Lock()

    def list_all(self) -> Listing:
        with self._lock:
            if self._all is None:
                self._all = self._walk()
            return self._all

    def project_listing(self, key: str) -> Optional[Listing]:
        want = canonicalize_name(key)
        links = tuple(link for link in self.list_all().links
                      if (link.project and canonicalize_name(link.project) == want)
                      or canonicalize_name(egg_parts(link.filename).project) == want)
        return Listing(links) if links else None

    def direct_link(self, key: str, filename: str) -> Optional[Link]:
        for path in (self.root / key / filename, self.root / filename):
            if path.exists() and check_filename(filename) is None:
                return Link(str(path), filename, key)
        return None

    def _walk(self) -> Listing:
        links, skipped = [], []
        for dirpath, dirnames, filenames in os.walk(self.root):
            here = Path(dirpath)
            rel = here.relative_to(self.root).parts
            project = rel[0] if rel else None
            entries = [(n, False) for n in filenames] + [(n, True) for n in dirnames]
            keep = []
            for name, is_dir in sorted(entries):
                lower = name.lower()
                if lower.endswith(".egg"):
                    reason = check_filename(name)
                    if reason:
                        skipped.append(Skip(str(here / name), reason))
                    else:
                        links.append(Link(str(here / name), name, project))
                elif is_dir and (not name.startswith(".") or name == ".eggs") and not lower.endswith(
                        (".egg-info", ".dist-info", "__pycache__")):
                    keep.append(name)
            dirnames[:] = keep
        return Listing(tuple(_first_per_name(links)), tuple(skipped))


class HttpSource:
    """An HTTP(S) repository: autoindex tree, PEP 503/691 simple index or find-links page."""

    def __init__(self, url: str, session: requests.Session, options: NetOptions, jobs: int = 8):
        self.session, self.options, self.jobs = session, options, max(1, jobs)
        start = url
        path = urlsplit(url).path
        if not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
            start = url + "/"  # a folder without its slash: relative links need it
        try:
            resp = get_page(session, start, options)
        except HTTPStatus as exc:
            hint = " (is this the repository root?)" if exc.status == 404 else ""
            raise SourceError(f"{exc}{hint}") from None
        except NetError as exc:
            raise SourceError(str(exc)) from None
        self.url = resp.url
        final = urlsplit(resp.url)
        self.origin = (final.scheme, final.netloc.lower())
        root_path = final.path if final.path.endswith("/") else final.path.rsplit("/", 1)[0] + "/"
        self.root = urlunsplit((final.scheme, final.netloc, root_path, "", ""))
        self._cache: dict = {}
        self._lock = threading.Lock()
        if _is_json(resp):
            self.kind = "json"
            self._root_page = self._parse_json_root(resp)
        else:
            page = self._parse_html(resp.url, resp.text, project=None)
            self._root_page = page
            self.kind = "tree" if page[1] and not page[0].links else "flat"

    # -- public -------------------------------------------------------------
    def list_all(self) -> Listing:
        """Every egg below the root: the root page, then project folders, in parallel."""
        if self.kind == "json":
            listings = thread_map(self._json_project, self._root_page, self.jobs)
            return sum(listings, Listing())
        listing, subdirs = self._root_page
        return listing + self._crawl(subdirs, depth=1)

    def project_listing(self, key: str) -> Optional[Listing]:
        """The listing of one project folder (``<root>/<key>/``), or None when there is none."""
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        result = self._project_listing(key)
        with self._lock:
            self._cache[key] = result
        return result

    def direct_link(self, key: str, filename: str) -> Optional[Link]:
        """Galaxy's client asked for ``<repo>/<key>/<file>`` directly; so do we for folder trees."""
        if self.kind != "tree" or check_filename(filename):
            return None
        return Link(urljoin(self.root, _quote_segment(key) + "/" + _quote_segment(filename)), filename, key)

    # -- internals ----------------------------------------------------------
    def _project_listing(self, key: str) -> Optional[Listing]:
        if self.kind == "flat":
            listing = self._root_page[0]
            want = canonicalize_name(key)
            links = tuple(link for link in listing.links if canonicalize_name(egg_parts(link.filename).project) == want)
            return Listing(links) if links else None
        if self.kind == "json":
            for name, url in self._root_page:
                if canonicalize_name(name) == canonicalize_name(key):
                    return self._json_project((name, url))
            return None
        tried = []
        for folder in dict.fromkeys([key, canonicalize_name(key)]):
            url = urljoin(self.root, _quote_segment(folder) + "/")
            tried.append(url)
            try:
                resp = get_page(self.session, url, self.options)
            except HTTPStatus as exc:
                if exc.status == 404:
                    continue
                return Listing(errors=(str(exc),))
            except NetError as exc:
                return Listing(errors=(str(exc),))
            page, subdirs = self._parse_html(resp.url, resp.text, project=key)
            return page
        # Not under either spelling: the root listing may spell it another way (repoze.lru vs repoze-lru).
        for url, project in self._root_page[1]:
            if project and canonicalize_name(project) == canonicalize_name(key) and url not in tried:
                page = self._read_html(url, project)
                return page[0]
        return None

    def _crawl(self, folders: list, depth: int) -> Listing:
        total, seen = Listing(), {self.url}
        while folders and depth <= MAX_DEPTH:
            folders = [(u, p) for u, p in dict(folders).items() if u not in seen]
            seen.update(u for u, _ in folders)
            pages = thread_map(lambda item: self._read_html(*item), folders, self.jobs)
            folders = []
            for listing, subdirs in pages:
                total = total + listing
                folders += subdirs
            depth += 1
        return total

    def _read_html(self, url: str, project: Optional[str]):
        try:
            resp = get_page(self.session, url, self.options)
        except (HTTPStatus, NetError) as exc:
            return Listing(errors=(f"listing {url}: {exc}" if isinstance(exc, NetError) else str(exc),)), []
        if not resp.url.startswith(self.root):
            return Listing(skipped=(Skip(url, f"redirected outside the repository root to {resp.url}"),)), []
        return self._parse_html(resp.url, resp.text, project)

    def _parse_html(self, page_url: str, text: str, project: Optional[str]):
        """(Listing of egg links, [(subfolder URL, project)]) for one HTML page."""
        try:
            anchors = page_anchors(text, page_url)
        except Exception as exc:  # html.parser is lenient; keep whatever it found
            return Listing(errors=(f"listing {page_url}: unreadable HTML ({exc})",)), []
        links, skipped, subdirs = [], [], []
        for anchor in anchors:
            if anchor.href.startswith(("?", "#", "mailto:", "javascript:")):
                continue  # autoindex sort links, anchors
            parts = urlsplit(anchor.url)
            bare = urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
            if (parts.scheme, parts.netloc.lower()) != self.origin:
                skipped.append(Skip(bare, f"leaves the source host {self.origin[1]}"))
                continue
            if parts.path.endswith("/"):
                if page_url.startswith(bare) or self.root.startswith(bare):
                    continue  # parent directory / the page itself
                segment = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
                if segment.lower().endswith(".egg"):
                    skipped.append(Skip(bare, "a folder egg over HTTP (only zipped eggs are fetched)"))
                elif not bare.startswith(self.root) or ".." in unquote(parts.path).split("/"):
                    skipped.append(Skip(bare, "listing outside the repository root"))
                elif parts.query:
                    continue
                else:
                    rel = unquote(bare[len(self.root):]).strip("/").split("/")
                    subdirs.append((bare, project or rel[0]))
                continue
            filename = unquote(parts.path.rsplit("/", 1)[-1])
            reason = check_filename(filename)
            if reason is None and ".." in unquote(parts.path).split("/"):
                reason = "'..' in the link path"
            if reason:
                skipped.append(Skip(bare, reason))
                continue
            sha = parse_sha256(parts.fragment)
            links.append(Link(urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, "")), filename,
                              project, sha))
        return Listing(tuple(_first_per_name(links)), tuple(skipped)), subdirs

    def _parse_json_root(self, resp) -> list:
        data = _json_body(resp)
        version = str(data.get("meta", {}).get("api-version", "1.0"))
        if not version.startswith("1."):
            raise SourceError(f"{resp.url}: PEP 691 api-version {version} is not supported (1.x is)")
        out = []
        for entry in data.get("projects", []):
            name = entry.get("name") if isinstance(entry, dict) else None
            if name:
                out.append((name, urljoin(self.root, canonicalize_name(name) + "/")))
        return out

    def _json_project(self, item) -> Listing:
        name, url = item
        try:
            resp = get_page(self.session, url, self.options)
        except HTTPStatus as exc:
            return Listing(errors=(str(exc),))
        except NetError as exc:
            return Listing(errors=(f"listing {url}: {exc}",))
        if not _is_json(resp):
            return self._parse_html(resp.url, resp.text, name)[0]
        try:
            data = _json_body(resp)
        except SourceError as exc:
            return Listing(errors=(str(exc),))
        links, skipped = [], []
        for entry in data.get("files", []):
            if not isinstance(entry, dict) or not entry.get("url"):
                continue
            absolute = urljoin(resp.url, entry["url"])
            parts = urlsplit(absolute)
            bare = urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
            filename = entry.get("filename") or unquote(parts.path.rsplit("/", 1)[-1])
            if (parts.scheme, parts.netloc.lower()) != self.origin:
                skipped.append(Skip(bare, f"leaves the source host {self.origin[1]}"))
                continue
            reason = check_filename(filename)
            if reason is None and filename != unquote(parts.path.rsplit("/", 1)[-1]):
                reason = f"the JSON filename {filename!r} differs from the URL's"
            if reason:
                skipped.append(Skip(bare, reason))
                continue
            hashes = entry.get("hashes") if isinstance(entry.get("hashes"), dict) else {}
            size = entry.get("size") if isinstance(entry.get("size"), int) else None
            links.append(Link(bare, filename, name, hashes.get("sha256") or parse_sha256(parts.fragment), size))
        return Listing(tuple(_first_per_name(links)), tuple(skipped))


def _is_json(resp) -> bool:
    return resp.headers.get("Content-Type", "").split(";")[0].strip().lower() == JSON_LISTING


def _json_body(resp) -> dict:
    try:
        data = json.loads(resp.content)
    except ValueError as exc:
        raise SourceError(f"{resp.url}: bad PEP 691 JSON ({exc})") from None
    if not isinstance(data, dict):
        raise SourceError(f"{resp.url}: bad PEP 691 JSON (not an object)")
    return data


def _quote_segment(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def _first_per_name(links: Iterable[Link]) -> list:
    seen, out = set(), []
    for link in links:
        if link.filename not in seen:
            seen.add(link.filename)
            out.append(link)
    return out
