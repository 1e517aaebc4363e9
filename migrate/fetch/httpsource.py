"""An HTTP(S) SOURCE: a Galaxy autoindex tree, a PEP 503/691 simple index or a find-links page.

The root page says which: project folders and no eggs is a ``tree``, eggs on the
page itself is ``flat`` (find-links), a PEP 691 answer is ``json``. Listings are
read in parallel threads over one session, each project page at most once.
"""
from __future__ import annotations

import threading
from typing import Optional
from urllib.parse import quote, urljoin, urlsplit

import requests
from packaging.utils import canonicalize_name

from migrate.eggs import egg_parts
from migrate.fetch.listing import Link, Listing, Skip, SourceError, check_filename
from migrate.fetch.net import HTTPStatus, NetError, NetOptions, get_page
from migrate.fetch.pages import Folder, Scope, html_page, is_json, json_files, json_projects
from migrate.parallel import thread_map

MAX_DEPTH = 4  # a Galaxy repository is 2 levels; leave room for /new/ and the like


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
        self.scope = Scope.of(resp.url)
        self._cache: dict[str, Optional[Listing]] = {}
        self._lock = threading.Lock()
        # the root page: PEP 691's (project, page URL) pairs, or an HTML page's eggs and folders
        self._projects: list[tuple[str, str]] = []
        self._root_page: tuple[Listing, list[Folder]] = (Listing(), [])
        if is_json(resp):
            self.kind = "json"
            self._projects = json_projects(self.scope, resp)
        else:
            page = html_page(self.scope, resp.url, resp.text, project=None)
            self._root_page = page
            self.kind = "tree" if page[1] and not page[0].links else "flat"

    # -- public -------------------------------------------------------------
    def list_all(self) -> Listing:
        """Every egg below the root: the root page, then project folders, in parallel."""
        if self.kind == "json":
            listings = thread_map(self._json_project, self._projects, self.jobs)
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
        return Link(urljoin(self.scope.root, _quote_segment(key) + "/" + _quote_segment(filename)), filename, key)

    # -- internals ----------------------------------------------------------
    def _project_listing(self, key: str) -> Optional[Listing]:
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

    def _tree_project(self, key: str) -> Optional[Listing]:
        """``<root>/<key>/`` as written, then PEP 503 normalised, then as the root page spells it."""
        tried = []
        for folder in dict.fromkeys([key, canonicalize_name(key)]):
            url = urljoin(self.scope.root, _quote_segment(folder) + "/")
            tried.append(url)
            try:
                resp = get_page(self.session, url, self.options)
            except HTTPStatus as exc:
                if exc.status == 404:
                    continue
                return Listing(errors=(str(exc),))
            except NetError as exc:
                return Listing(errors=(str(exc),))
            page, _subdirs = html_page(self.scope, resp.url, resp.text, project=key)
            return page
        # Not under either spelling: the root listing may spell it another way (repoze.lru vs repoze-lru).
        for url, project in self._root_page[1]:
            if project and canonicalize_name(project) == canonicalize_name(key) and url not in tried:
                return self._read_html(url, project)[0]
        return None

    def _crawl(self, folders: list[Folder], depth: int) -> Listing:
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

    def _read_html(self, url: str, project: Optional[str]) -> tuple[Listing, list[Folder]]:
        try:
            resp = get_page(self.session, url, self.options)
        except (HTTPStatus, NetError) as exc:
            return Listing(errors=(f"listing {url}: {exc}" if isinstance(exc, NetError) else str(exc),)), []
        if not resp.url.startswith(self.scope.root):
            return Listing(skipped=(Skip(url, f"redirected outside the repository root to {resp.url}"),)), []
        return html_page(self.scope, resp.url, resp.text, project)

    def _json_project(self, item: tuple[str, str]) -> Listing:
        name, url = item
        try:
            resp = get_page(self.session, url, self.options)
        except HTTPStatus as exc:
            return Listing(errors=(str(exc),))
        except NetError as exc:
            return Listing(errors=(f"listing {url}: {exc}",))
        if not is_json(resp):
            return html_page(self.scope, resp.url, resp.text, name)[0]
        return json_files(self.scope, resp, name)


def _quote_segment(text: str) -> str:
    return quote(text, safe="")
