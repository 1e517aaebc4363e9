"""One listing page of an HTTP repository -> egg links, under the rules for untrusted listings.

Pages are HTML (autoindex, PEP 503, find-links; read by :mod:`migrate.fetch.links`)
or PEP 691 JSON. Nothing here touches the network: :mod:`migrate.fetch.httpsource`
fetches the pages and hands their text over with the repository's :class:`Scope`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional, Union
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

from packaging.utils import canonicalize_name

from migrate.fetch.links import parse_sha256, read_page
from migrate.fetch.listing import Link, Listing, Skip, SourceError, check_filename, first_per_name
from migrate.fetch.net import HTML_LISTING, JSON_LISTING

Folder = tuple[str, str]  # a subfolder to list: (its URL, the project it belongs to)


@dataclass(frozen=True)
class Scope:
    """Where a repository's pages may lead: listings below ``root``; eggs on ``origin``, on an
    ``allow_hosts`` host, or (from an index project page, with a sha256) on any host."""

    root: str  # the root folder's URL, ending in ``/``
    origin: tuple[str, str]  # (scheme, lowercased host[:port]) of the root
    allow_hosts: tuple[str, ...] = ()  # --allow-host: lowercased host names

    @classmethod
    def of(cls, url: str, allow_hosts: tuple[str, ...] = ()) -> "Scope":
        """The scope of the repository whose root page is (finally, after redirects) at ``url``."""
        final = urlsplit(url)
        root_path = final.path if final.path.endswith("/") else final.path.rsplit("/", 1)[0] + "/"
        netloc = final.netloc.rsplit("@", 1)[-1]
        return cls(urlunsplit((final.scheme, netloc, root_path, "", "")), (final.scheme, netloc.lower()),
                   tuple(h.lower() for h in allow_hosts))

    def elsewhere(self, parts) -> Optional[Skip]:
        """A Skip for a link (``urlsplit`` parts) to another scheme, host or port; None when on ours."""
        if (parts.scheme, parts.netloc.rsplit("@", 1)[-1].lower()) == self.origin:
            return None
        return Skip(_bare(parts), f"leaves the source host {self.origin[1]}")

    def outside(self, url: str) -> Optional[str]:
        """Why ``url`` is no listing of this repository (another origin, above the root), or None."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return "not a valid URL"
        if self.elsewhere(parts) or not _bare(parts).startswith(self.root) \
                or ".." in unquote(parts.path).split("/"):
            return f"outside the repository root {self.root}"
        return None

    def file_refused(self, parts, sha256: Optional[str], index_page: bool) -> Optional[Skip]:
        """A Skip for an egg link that may not be followed, or None.

        On the root's origin: yes. Elsewhere: on an ``--allow-host`` host, or from an
        index project page (PEP 503/691, as pip and PyPI's files.pythonhosted.org) when
        the link carries a sha256 that the download is checked against.
        """
        if parts.scheme not in ("http", "https"):
            return Skip(_bare(parts), f"not an http(s) link ({parts.scheme or 'relative'}:)")
        if not self.elsewhere(parts) or (parts.hostname or "").lower() in self.allow_hosts:
            return None
        if index_page and sha256:
            return None
        host = parts.hostname or parts.netloc
        why = " without a sha256 to check it against" if index_page else ""
        return Skip(_bare(parts), f"leaves the source host {self.origin[1]} for {host}{why}; --allow-host {host} "
                                  "follows such links")


def html_page(scope: Scope, page_url: str, text: str, project: Optional[str],
              index_type: bool = False) -> tuple[Listing, list[Folder]]:
    """(Listing of egg links, [(subfolder URL, project)]) of one HTML page.

    ``project`` None: the root page, a find-links page when it links eggs, unless it declares
    itself an index page (PEP 629's ``pypi:repository-version`` meta, or ``index_type``: it came
    as PEP 691's HTML content type): then, like ``pypi.org/simple/netifaces/`` in JSON, it is a
    project page given as the source. A project's page follows off-host egg links that carry a
    sha256 (checked while streaming, as pip does with files.pythonhosted.org).
    """
    try:
        anchors, version = read_page(text, page_url)
    except Exception as exc:  # html.parser is lenient; an exception means a page past reading
        return Listing(errors=(f"listing {page_url}: unreadable HTML ({exc})",)), []
    index_page = project is not None or index_type or (version or "").startswith("1.")
    links: list[Link] = []
    skipped: list[Skip] = []
    subdirs: list[Folder] = []
    for anchor in anchors:
        if anchor.href.startswith(("?", "#", "mailto:", "javascript:")):
            continue  # autoindex sort links, anchors
        try:
            parts = urlsplit(anchor.url)
            parts.port  # noqa: B018 -- a bad port raises here, not later
        except ValueError:
            skipped.append(Skip(anchor.href, "not a valid URL"))
            continue
        if parts.path.endswith("/"):
            folder = _folder(scope, page_url, parts, project)
            if isinstance(folder, Skip):
                skipped.append(folder)
            elif folder:
                subdirs.append(folder)
            continue
        found = _file_link(scope, parts, project, index_page)
        if isinstance(found, Link):
            links.append(found)
        else:
            skipped.append(found)
    return Listing(tuple(first_per_name(links)), tuple(skipped)), subdirs


def _file_link(scope: Scope, parts, project: Optional[str], index_page: bool) -> Union[Link, Skip]:
    """The egg a file link of an HTML page names, or why it is not followed."""
    bare = _bare(parts)
    sha256 = parse_sha256(parts.fragment)
    refused = scope.file_refused(parts, sha256, index_page)
    if refused:
        return refused
    filename = unquote(parts.path.rsplit("/", 1)[-1])
    reason = check_filename(filename)
    if reason is None and ".." in unquote(parts.path).split("/"):
        reason = "'..' in the link path"
    return Skip(bare, reason) if reason else Link(bare, filename, project, sha256)


def _folder(scope: Scope, page_url: str, parts, project: Optional[str]) -> Union[Folder, Skip, None]:
    """A folder link: (URL, project) to read, a Skip saying why not, or None (parent, self, sort links)."""
    bare = _bare(parts)
    if page_url.startswith(bare) or scope.root.startswith(bare):
        return None  # parent directory / the page itself
    if scope.elsewhere(parts):
        return Skip(bare, f"a listing on another host than {scope.origin[1]}")
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
    return _content_type(resp) == JSON_LISTING


def is_index_html(resp) -> bool:
    """The server answered PEP 691's HTML form: the page is a simple index page, whatever it holds."""
    return _content_type(resp) == HTML_LISTING


def _content_type(resp) -> str:
    return resp.headers.get("Content-Type", "").split(";")[0].strip().lower()


def json_projects(scope: Scope, resp) -> tuple[list[tuple[str, str]], list[Skip]]:
    """([(project name, its page URL)], [names refused]) of a PEP 691 root page; raises SourceError."""
    data = _json_body(resp)
    _check_meta(data, resp.url)
    entries = data.get("projects", [])
    if not isinstance(entries, list):
        raise SourceError(f"{resp.url}: bad PEP 691 JSON ('projects' is not a list)")
    out, refused = [], []
    for entry in entries:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.strip():
            continue
        url = urljoin(scope.root, quote(canonicalize_name(name), safe="") + "/")
        why = _bad_project_name(name) or scope.outside(url)
        if why:
            refused.append(Skip(name, why))
        else:
            out.append((name, url))
    return out, refused


def json_root(scope: Scope, resp) -> tuple[list[tuple[str, str]], Listing]:
    """A PEP 691 root: (projects, refused names as skips), or for a project page given as
    the root (``https://pypi.org/simple/netifaces/``) ([], its files); raises SourceError."""
    data = _json_body(resp)
    if "files" in data and "projects" not in data:
        name = data.get("name")
        listing = json_files(scope, resp, name if isinstance(name, str) and name else "")
        if listing.errors:
            raise SourceError(listing.errors[0])
        return [], listing
    projects, refused = json_projects(scope, resp)
    return projects, Listing(skipped=tuple(refused))


def _bad_project_name(name: str) -> Optional[str]:
    """Why a PEP 691 project name cannot be a folder under the root (a URL, a path), or None."""
    if any(c in name for c in "/\\:?#") or name.startswith(".") or any(ord(c) < 32 for c in name):
        return f"project name {name!r} is a URL or a path, not a name"
    return None


def json_files(scope: Scope, resp, name: str) -> Listing:
    """The egg links of a PEP 691 project page (``hashes``, ``size`` kept)."""
    try:
        data = _json_body(resp)
        _check_meta(data, resp.url)
        entries = data.get("files", [])
        if not isinstance(entries, list):
            raise SourceError(f"{resp.url}: bad PEP 691 JSON ('files' is not a list)")
    except SourceError as exc:
        return Listing(errors=(str(exc),))
    links, skipped = [], []
    for entry in entries:
        found = _json_file(scope, resp.url, entry, name)
        if isinstance(found, Link):
            links.append(found)
        elif found is not None:
            skipped.append(found)
    return Listing(tuple(first_per_name(links)), tuple(skipped))


def _json_file(scope: Scope, page_url: str, entry: Any, name: str) -> Union[Link, Skip, None]:
    """One entry of a PEP 691 ``files`` list: its Link, why it is skipped, or None (no URL at all)."""
    if not isinstance(entry, dict) or not entry.get("url"):
        return None
    if not isinstance(entry["url"], str):
        return Skip(repr(entry["url"])[:200], "the JSON 'url' is not a string")
    try:
        parts = urlsplit(urljoin(page_url, entry["url"]))
        parts.port  # noqa: B018 -- a bad port raises here
    except ValueError:
        return Skip(entry["url"], "not a valid URL")
    bare = _bare(parts)
    hashes = entry.get("hashes")
    listed = hashes.get("sha256") if isinstance(hashes, dict) else None
    sha256 = parse_sha256(f"sha256={listed}") if isinstance(listed, str) else parse_sha256(parts.fragment)
    refused = scope.file_refused(parts, sha256, index_page=True)
    if refused:
        return refused
    in_url = unquote(parts.path.rsplit("/", 1)[-1])
    filename = entry.get("filename") or in_url
    if not isinstance(filename, str):
        return Skip(bare, "the JSON 'filename' is not a string")
    reason = check_filename(filename)
    if reason is None and filename != in_url:
        reason = f"the JSON filename {filename!r} differs from the URL's"
    if reason:
        return Skip(bare, reason)
    size = entry.get("size") if type(entry.get("size")) is int else None
    return Link(bare, filename, name, sha256, size)


def _check_meta(data: dict[str, Any], url: str) -> None:
    """SourceError unless ``meta`` is an object with a 1.x ``api-version``."""
    meta = data.get("meta", {})
    if not isinstance(meta, dict):
        raise SourceError(f"{url}: bad PEP 691 JSON ('meta' is not an object)")
    version = str(meta.get("api-version", "1.0"))
    if not version.startswith("1."):
        raise SourceError(f"{url}: PEP 691 api-version {version[:40]!r} is not supported (1.x is)")


def _json_body(resp) -> dict[str, Any]:
    try:
        data = json.loads(resp.content)
    except (ValueError, RecursionError) as exc:
        raise SourceError(f"{resp.url}: bad PEP 691 JSON ({str(exc)[:200]})") from None
    if not isinstance(data, dict):
        raise SourceError(f"{resp.url}: bad PEP 691 JSON (not an object)")
    return data


def _bare(parts) -> str:
    """The URL without its fragment and without any ``user:password@``."""
    return urlunsplit((parts.scheme, parts.netloc.rsplit("@", 1)[-1], parts.path, parts.query, ""))
