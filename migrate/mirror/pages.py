"""The index pages: which files each index lists for a project, and the bytes of every page.

PEP 503 HTML and PEP 691 JSON (with PEP 629, 658, 700 and 714 fields). A project page is stored
once under the hash of the rows it is made from and never rewritten, so this is the one place
that decides its bytes: bump ``RENDERER`` when they change, and every page is rewritten once.
"""
from __future__ import annotations

import html
import json
import re
from itertools import islice
from typing import Any, Iterable, Iterator, Optional
from urllib.parse import quote

from packaging.version import Version

from migrate.mirror.distro import is_distro_platform
from migrate.mirror.state import Entry, Row

RENDERER = 2  # bump when page rendering changes: every page is rewritten once
API_VERSION = "1.1"  # PEP 691 + PEP 700 (versions, size)


def project_pages(rows: list[Row], distros: list[str]) -> dict[str, list[Entry]]:
    """{index: sorted entries} of one project: simple/ lists every wheel as given; a distro index its
    own re-tagged builds plus every portable wheel (its own build wins on a name clash)."""
    main = sorted((r.entry() for r in rows), key=lambda e: e.filename)
    out = {"": main}
    own: dict[str, list[Entry]] = {}
    for r in rows:
        if r.distro:
            own.setdefault(r.distro, []).append(r.distro_entry())
    portable = [e for e in main if not is_distro_platform(e.filename)]
    for d in distros:
        mine = own.get(d, [])
        names = {e.filename for e in mine}
        files = mine + [e._replace(index_name=d) for e in portable if e.filename not in names]
        if files:
            out[d] = sorted(files, key=lambda e: e.filename)
    return out


_PLAIN_URL = re.compile(r"[A-Za-z0-9_.~/-]*")  # what quote() leaves alone
_PLAIN_HTML = re.compile(r"[^&<>\"']*")  # what html.escape() leaves alone


def _quote(text: str) -> str:
    return text if _PLAIN_URL.fullmatch(text) else quote(text)


def _escape(text: str) -> str:
    return text if _PLAIN_HTML.fullmatch(text) else html.escape(text)


def _url(entry: Entry, depth: int, base_url: Optional[str]) -> str:
    if base_url:
        return base_url + _quote(entry.path)
    if entry.index_name and entry.path.startswith(entry.index_name + "/"):  # the distro's own packages/
        return "../../" + _quote(entry.path[len(entry.index_name) + 1:])
    return "../" * depth + _quote(entry.path)


def render_project(project: str, files: list[Entry], depth: int = 2,
                   base_url: Optional[str] = None) -> tuple[str, str]:
    """(index.html, index.json) of one project page (PEP 503, 629, 658, 691, 700, 714)."""
    links, items = [], []
    for e in files:
        url = _url(e, depth, base_url)
        attrs = [f'href="{_escape(url)}#sha256={e.sha256}"']
        if e.requires_python:
            attrs.append(f'data-requires-python="{_escape(e.requires_python)}"')
        attrs.append(f'data-core-metadata="sha256={e.metadata_sha256}"')
        attrs.append(f'data-dist-info-metadata="sha256={e.metadata_sha256}"')
        links.append(f"    <a {' '.join(attrs)}>{_escape(e.filename)}</a><br>")
        item: dict[str, Any] = {"filename": e.filename, "url": url, "hashes": {"sha256": e.sha256}}
        if e.requires_python:
            item["requires-python"] = e.requires_python
        item["core-metadata"] = {"sha256": e.metadata_sha256}
        item["dist-info-metadata"] = {"sha256": e.metadata_sha256}
        item["size"] = e.size
        item["yanked"] = False
        items.append(item)
    versions = sorted({e.version for e in files}, key=Version)
    page = _HTML.format(title=f"Links for {html.escape(project)}", body="\n".join(links))
    data = {"meta": {"api-version": API_VERSION}, "name": project, "versions": versions, "files": items}
    return page, json.dumps(data, separators=(",", ":")) + "\n"


def render_root(projects: list[str]) -> tuple[str, str]:
    """(index.html, index.json) of an index: every project it lists."""
    return "".join(root_html(projects)), "".join(root_json(projects))


_PER_CHUNK = 512  # projects per piece of a root page


def root_html(projects: Iterable[str]) -> Iterator[str]:
    """The root page's HTML in pieces of a few hundred projects: 16,000 are never one list of lines."""
    head, tail = _HTML.format(title="Simple index", body="\x00").split("\x00")
    yield head
    for at, chunk in enumerate(_chunks(projects)):
        yield ("\n" if at else "") + "\n".join(f'    <a href="{_quote(p)}/">{_escape(p)}</a><br>' for p in chunk)
    yield tail


def root_json(projects: Iterable[str]) -> Iterator[str]:
    """The root page's PEP 691 JSON in pieces, byte for byte what one ``json.dumps`` of it gives."""
    yield json.dumps({"meta": {"api-version": API_VERSION}}, separators=(",", ":"))[:-1] + ',"projects":['
    for at, chunk in enumerate(_chunks(projects)):
        yield ("," if at else "") + ",".join(json.dumps({"name": p}, separators=(",", ":")) for p in chunk)
    yield "]}\n"


def _chunks(projects: Iterable[str]) -> Iterator[list[str]]:
    """``_PER_CHUNK`` names at a time (the names are walked, not held: a publish merges them from disk)."""
    it = iter(projects)
    return iter(lambda: list(islice(it, _PER_CHUNK)), [])


_HTML = """<!DOCTYPE html>
<html>
  <head>
    <meta name="pypi:repository-version" content="1.1">
    <title>{title}</title>
  </head>
  <body>
    <h1>{title}</h1>
{body}
  </body>
</html>
"""
