"""An HTTP(S) SOURCE: a Galaxy autoindex tree, a PEP 503/691 simple index or a find-links page.

The root page says which: project folders and no eggs is a ``tree``, eggs on the
page itself is ``flat`` (find-links), a PEP 691 answer is ``json``. Listings are
read in parallel threads over one session, each project page at most once, each
only below the root (every redirect hop checked), at most :data:`MAX_PAGES` per run.
With named projects the root is not read at all (``lazy``, as pip): ``<root>/<name>/``
is asked for directly, and the root only when no such folder answers.
"""
from __future__ import annotations

import threading
from typing import Optional
from urllib.parse import quote, urljoin, urlsplit

import requests
from packaging.utils import canonicalize_name

from migrate.eggs import egg_parts
from migrate.fetch.credentials import redact
from migrate.fetch.listing import Link, Listing, SourceError, check_filename, join_listings
from migrate.fetch.net import HTTPStatus, NetError, NetOptions, get_page
from migrate.fetch.pages import Folder, Scope, html_page, is_index_html, is_json, json_files, json_root
from migrate.parallel import thread_map

MAX_DEPTH = 4  # a Galaxy repository is 2 levels; leave room for /new/ and the like
MAX_PAGES = 50_000  # listing pages per run: a hostile tree of folders ends here


class HttpSource:
    """An HTTP(S) repository: autoindex tree, PEP 503/691 simple index or find-links page."""

    def __init__(self, url: str, session: requests.Session, options: NetOptions, jobs: int = 8,
                 lazy: bool = False):
        self.session, self.options, self.jobs = session, options, max(1, jobs)
        self.start = url
        path = urlsplit(url).path
        if not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
            self.start = url + "/"  # a folder without its slash: relative links need it
        self._cache: dict[str, Optional[Listing]] = {}
        self._lock = threading.Lock()
        self._pages = 0
        # the root page: PEP 691's (project, page URL) pairs, or an HTML page's eggs and folders
        self._projects: list[tuple[str, str]] = []
        self._root_page: tuple[Listing, list[Folder]] = (Listing(), [])
        self.url, self.scope, self.kind = self.start, Scope.of(self.start, options.allow_hosts), "lazy"
        if not (lazy and self.start.endswith("/")):
            self._open_root()

    def _open_root(self) -> None:
        """Read the root page: what kind of source this is, and its projects or eggs; raises SourceError."""
        try:
            resp = self._get(self.start, root=True)
        except HTTPStatus as exc:
            hint = " (is this the repository root?)" if exc.status == 404 else ""
            raise SourceError(f"{exc}{hint}") from None
        except NetError as exc:
            raise SourceError(str(exc)) from None
        self.url = resp.url
        self.scope = Scope.of(resp.url, self.options.allow_hosts)
        if is_json(resp):
            self._projects, listing = json_root(self.scope, resp)
            self._root_page = (listing, [])
            self.kind = "flat" if listing.links or not self._projects else "json"
        else:
            page = html_page(self.scope, resp.url, resp.text, project=None, index_type=is_index_html(resp))
            self._root_page = page
            self.kind = "tree" if page[1] and not page[0].links else "flat"

    # -- public -------------------------------------------------------------
    def list_all(self) -> Listing:
        """Every egg below the root: the root page, then project folders, in parallel."""
        if self.kind == "lazy":
            self._open_root()
        if self.kind == "json":
            return join_listings([self._root_page[0]] + thread_map(self._json_project, self._projects, self.jobs))
        listing, subdirs = self._root_page
        return join_listings([listing, self._crawl(subdirs, depth=1)])

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
        return Link(urljoin(self.scope.root, _quote_segment(key) + "/" + _quote_segment(filename)), filename, key)

    # -- internals ----------------------------------------------------------
    def _get(self, url: str, root: bool = False) -> requests.Response:
        """One listing page, counted against :data:`MAX_PAGES`; below the root unless it is the root."""
        with self._lock:
            self._pages += 1
            if self._pages > MAX_PAGES:
                raise NetError(f"listing {url}: not read, {MAX_PAGES} listing pages read already in this run")
        return get_page(self.session, url, self.options, permit=None if root else self.scope.outside)

    def _project_listing(self, key: str) -> Optional[Listing]:
        if self.kind == "lazy":
            found = self._folder_listing(key)
            if found is not None:
                return found
            self._open_root()  # no <root>/<key>/: a find-links page, or the root spells it differently
        if self.kind == "flat":
            listing = self._root_page[0]
            want = canonicalize_name(key)
            links = tuple(link for link in listing.links if canonicalize_name(egg_parts(link.filename).project) == want)
            return Listing(links) if links else None
        if self.kind == "json":
            for name, url in self._projects:
                if canonicalize_name(name) == canonicalize_name(key):
                    return self._json_project((name, url))
            return None
        return self._tree_project(key)

    def _folder_listing(self, key: str) -> Optional[Listing]:
        """``<root>/<key>/`` as written, then PEP 503 normalised (HTML or JSON); None when neither is there."""
        for folder in dict.fromkeys([key, canonicalize_name(key)]):
            url = urljoin(self.scope.root, _quote_segment(folder) + "/")
            try:
                resp = self._get(url)
            except HTTPStatus as exc:
                if exc.status == 404:
                    continue
                return Listing(errors=(str(exc),))
            except NetError as exc:
                return Listing(errors=(_listing_error(url, exc),))
            if is_json(resp):
                return json_files(self.scope, resp, key)
            return html_page(self.scope, resp.url, resp.text, project=key)[0]
        return None

    def _tree_project(self, key: str) -> Optional[Listing]:
        """``<root>/<key>/`` as written, then PEP 503 normalised, then as the root page spells it."""
        found = self._folder_listing(key)
        if found is not None:
            return found
        # Not under either spelling: the root listing may spell it another way (repoze.lru vs repoze-lru).
        tried = {urljoin(self.scope.root, _quote_segment(f) + "/") for f in (key, canonicalize_name(key))}
        for url, project in self._root_page[1]:
            if project and canonicalize_name(project) == canonicalize_name(key) and url not in tried:
                return self._read_html(url, project)[0]
        return None

    def _crawl(self, folders: list[Folder], depth: int) -> Listing:
        found, seen = [], {self.url}
        while folders and depth <= MAX_DEPTH:
            folders = [(u, p) for u, p in dict(folders).items() if u not in seen]
            seen.update(u for u, _ in folders)
            pages = thread_map(lambda item: self._read_html(*item), folders, self.jobs)
            folders = []
            for listing, subdirs in pages:
                found.append(listing)
                folders += subdirs
            depth += 1
        return join_listings(found)

    def _read_html(self, url: str, project: Optional[str]) -> tuple[Listing, list[Folder]]:
        try:
            resp = self._get(url)
        except (HTTPStatus, NetError) as exc:
            return Listing(errors=(_listing_error(url, exc) if isinstance(exc, NetError) else str(exc),)), []
        return html_page(self.scope, resp.url, resp.text, project)

    def _json_project(self, item: tuple[str, str]) -> Listing:
        name, url = item
        try:
            resp = self._get(url)
        except HTTPStatus as exc:
            return Listing(errors=(str(exc),))
        except NetError as exc:
            return Listing(errors=(_listing_error(url, exc),))
        if not is_json(resp):
            return html_page(self.scope, resp.url, resp.text, name)[0]
        return json_files(self.scope, resp, name)


def _listing_error(url: str, exc: NetError) -> str:
    """One line naming the listing page ``url`` and why it could not be read (the URL once)."""
    text = str(exc)
    return text if text.startswith(redact(url)) else f"listing {redact(url)}: {text}"


def _quote_segment(text: str) -> str:
    return quote(text, safe="")
