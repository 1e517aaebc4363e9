"""One listing page of an HTTP repository -> egg links, under the rules for untrusted listings.

Pages are HTML (autoindex, PEP 503, find-links; read by :mod:`migrate.fetch.links`)
or PEP 691 JSON. Nothing here touches the network: :mod:`migrate.fetch.httpsource`
fetches the pages and hands their text over with the repository's :class:`Scope`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional, Union
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from packaging.utils import canonicalize_name

from migrate.fetch.links import page_anchors, parse_sha256
from migrate.fetch.listing import Link, Listing, Skip, SourceError, check_filename, first_per_name
from migrate.fetch.net import JSON_LISTING

Folder = tuple[str, str]  # a subfolder to list: (its URL, the project it belongs to)


@dataclass(frozen=True)
class Scope:
    """Where a repository's pages may lead: listings below ``root``, eggs on ``origin``."""

    root: str  # the root folder's URL, ending in ``/``
    origin: tuple[str, str]  # (scheme, lowercased host[:port]) of the root

    @classmethod
    def of(cls, url: str) -> "Scope":
        """The scope of the repository whose root page is (finally, after redirects) at ``url``."""
        final = urlsplit(url)
        root_path = final.path if final.path.endswith("/") else final.path.rsplit("/", 1)[0] + "/"
        return cls(urlunsplit((final.scheme, final.netloc, root_path, "", "")), (final.scheme, final.netloc.lower()))

    def elsewhere(self, parts) -> Optional[Skip]:
        """A Skip for a link (``urlsplit`` parts) to another scheme, host or port; None when on ours."""
        if (parts.scheme, parts.netloc.lower()) == self.origin:
            return None
        return Skip(_bare(parts), f"leaves the source host {self.origin[1]}")


def html_page(scope: Scope, page_url: str, text: str, project: Optional[str]) -> tuple[Listing, list[Folder]]:
    """(Listing of egg links, [(subfolder URL, project)]) of one HTML page."""
    try:
        anchors = page_anchors(text, page_url)
    except Exception as exc:  # html.parser is lenient; an exception means a page past reading
        return Listing(errors=(f"listing {page_url}: unreadable HTML ({exc})",)), []
    links, skipped, subdirs = [], [], []
    for anchor in anchors:
        if anchor.href.startswith(("?", "#", "mailto:", "javascript:")):
            continue  # autoindex sort links, anchors
        parts = urlsplit(anchor.url)
        bare = _bare(parts)
        away = scope.elsewhere(parts)
        if away:
            skipped.append(away)
        elif parts.path.endswith("/"):
            folder = _folder(scope, page_url, parts, project)
            if isinstance(folder, Skip):
                skipped.append(folder)
            elif folder:
                subdirs.append(folder)
        else:
            filename = unquote(parts.path.rsplit("/", 1)[-1])
            reason = check_filename(filename)
            if reason is None and ".." in unquote(parts.path).split("/"):
                reason = "'..' in the link path"
            if reason:
                skipped.append(Skip(bare, reason))
            else:
                links.append(Link(bare, filename, project, parse_sha256(parts.fragment)))
    return Listing(tuple(first_per_name(links)), tuple(skipped)), subdirs


def _folder(scope: Scope, page_url: str, parts, project: Optional[str]) -> Union[Folder, Skip, None]:
    """A folder link: (URL, project) to read, a Skip saying why not, or None (parent, self, sort links)."""
    bare = _bare(parts)
    if page_url.startswith(bare) or scope.root.startswith(bare):
        return None  # parent directory / the page itself
    segment = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    if segment.lower().endswith(".egg"):
        return Skip(bare, "a folder egg over HTTP (only zipped eggs are fetched)")
    if not bare.startswith(scope.root) or ".." in unquote(parts.path).split("/"):
        return Skip(bare, "listing outside the repository root")
    if parts.query:
        return None
    rel = unquote(bare[len(scope.root):]).strip("/").split("/")
    return bare, project or rel[0]


def is_json(resp) -> bool:
    """The server answered PEP 691 JSON."""
    return resp.headers.get("Content-Type", "").split(";")[0].strip().lower() == JSON_LISTING


def json_projects(scope: Scope, resp) -> list[tuple[str, str]]:
    """[(project name, its page URL)] of a PEP 691 root page; raises SourceError."""
    data = _json_body(resp)
    version = str(data.get("meta", {}).get("api-version", "1.0"))
    if not version.startswith("1."):
        raise SourceError(f"{resp.url}: PEP 691 api-version {version} is not supported (1.x is)")
    out = []
    for entry in data.get("projects", []):
        name = entry.get("name") if isinstance(entry, dict) else None
        if name:
            out.append((name, urljoin(scope.root, canonicalize_name(name) + "/")))
    return out


def json_files(scope: Scope, resp, name: str) -> Listing:
    """The egg links of a PEP 691 project page (``hashes``, ``size`` kept)."""
    try:
        data = _json_body(resp)
    except SourceError as exc:
        return Listing(errors=(str(exc),))
    links, skipped = [], []
    for entry in data.get("files", []):
        if not isinstance(entry, dict) or not entry.get("url"):
            continue
        parts = urlsplit(urljoin(resp.url, entry["url"]))
        bare = _bare(parts)
        in_url = unquote(parts.path.rsplit("/", 1)[-1])
        filename = entry.get("filename") or in_url
        away = scope.elsewhere(parts)
        if away:
            skipped.append(away)
            continue
        reason = check_filename(filename)
        if reason is None and filename != in_url:
            reason = f"the JSON filename {filename!r} differs from the URL's"
        if reason:
            skipped.append(Skip(bare, reason))
            continue
        hashes = entry.get("hashes")
        listed = hashes.get("sha256") if isinstance(hashes, dict) else None
        size = entry.get("size") if isinstance(entry.get("size"), int) else None
        links.append(Link(bare, filename, name, listed or parse_sha256(parts.fragment), size))
    return Listing(tuple(first_per_name(links)), tuple(skipped))


def _json_body(resp) -> dict[str, Any]:
    try:
        data = json.loads(resp.content)
    except ValueError as exc:
        raise SourceError(f"{resp.url}: bad PEP 691 JSON ({exc})") from None
    if not isinstance(data, dict):
        raise SourceError(f"{resp.url}: bad PEP 691 JSON (not an object)")
    return data


def _bare(parts) -> str:
    """The URL without its fragment."""
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
