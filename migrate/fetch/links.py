"""The links of an HTML listing page: its ``<a href>`` with their attributes, ``#sha256=`` values,
and whether the page declares itself a simple index page (PEP 629).

One reader for the pages egg-migrate reads: autoindex, find-links and PEP 503
pages when fetching eggs (:mod:`migrate.fetch.pages`), a mirror's PEP 503
project pages when pinning (:mod:`migrate.pins`). Which links count is the
caller's business. Hrefs are resolved against the first ``<base href>`` (as
browsers and pip do), else the page's own URL.
"""
from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Optional
from urllib.parse import urljoin

_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class Anchor:
    """One ``<a href>`` of a page."""

    href: str  # as written, surrounding whitespace removed (never empty)
    base: str  # what it is relative to: the page's ``<base href>`` or the page URL
    attrs: dict[str, Optional[str]]  # every attribute (``data-requires-python``, ``data-core-metadata``...)

    @property
    def url(self) -> str:
        """The absolute URL, fragment kept."""
        return urljoin(self.base, self.href)


def page_anchors(text: str, page_url: str) -> list[Anchor]:
    """The ``<a>`` with a non-blank ``href`` in page order; html.parser's rare exceptions propagate."""
    return read_page(text, page_url)[0]


def read_page(text: str, page_url: str) -> tuple[list[Anchor], Optional[str]]:
    """(:func:`page_anchors`, the PEP 629 ``pypi:repository-version`` the page declares or None)."""
    parser = _Anchors()
    parser.feed(text)
    parser.close()
    base = urljoin(page_url, parser.base) if parser.base else page_url
    return [Anchor(href, base, attrs) for href, attrs in parser.anchors], parser.repository_version


def parse_sha256(text: Optional[str]) -> Optional[str]:
    """The digest named by ``sha256=<64 hex digits>`` (a link's fragment, PEP 714's
    ``data-core-metadata``), lowercase; None for anything else."""
    if text and text.startswith("sha256="):
        value = text[len("sha256="):].lower()
        if len(value) == 64 and _HEX.issuperset(value):
            return value
    return None


class _Anchors(HTMLParser):
    """The attributes of each ``<a>`` with a non-blank ``href``, the first ``<base href>`` and the
    first PEP 629 ``<meta name="pypi:repository-version">``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[str, dict[str, Optional[str]]]] = []  # (href, every attribute)
        self.base: Optional[str] = None
        self.repository_version: Optional[str] = None  # PEP 629: the page says it is a simple index page

    def handle_starttag(self, tag: str, attrs: list[tuple[str, Optional[str]]]) -> None:
        named = dict(attrs)
        href = (named.get("href") or "").strip()
        if tag == "a" and href:
            self.anchors.append((href, named))
        elif tag == "base" and self.base is None:
            self.base = named.get("href")
        elif tag == "meta" and named.get("name") == "pypi:repository-version" and self.repository_version is None:
            self.repository_version = (named.get("content") or "").strip()
