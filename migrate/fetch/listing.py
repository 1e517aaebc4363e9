"""What a source offers: :class:`Link` s to eggs, the links not followed (:class:`Skip`), and
which egg file names are safe to write to disk. The values every kind of source gives.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, Optional

from migrate.eggs import InvalidEggName, egg_parts
from migrate.errors import MigrateError


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
    """What one page, one project or a whole source offers; ``+`` joins two."""

    links: tuple[Link, ...] = ()  # first occurrence of each file name
    skipped: tuple[Skip, ...] = ()
    errors: tuple[str, ...] = ()  # one-line messages: listing pages that could not be read

    def __add__(self, other: "Listing") -> "Listing":
        return join_listings([self, other])


def join_listings(listings: Iterable[Listing]) -> Listing:
    """The listings as one, in order (the first link of each file name): one pass, where adding them
    one to the next copied the links so far each time (quadratic in 16,000 project pages)."""
    links: list[Link] = []
    skipped: list[Skip] = []
    errors: list[str] = []
    for listing in listings:
        links += listing.links
        skipped += listing.skipped
        errors += listing.errors
    return Listing(tuple(first_per_name(links)), tuple(skipped), tuple(errors))


def check_filename(name: str) -> Optional[str]:
    """Why ``name`` (already unquoted) cannot be an egg we write to disk, or None."""
    if not name or "/" in name or "\\" in name or "\x00" in name:
        return f"unsafe file name {name!r}"
    if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in name):
        return f"control character in the name {name!r}"
    if ".." in name or name.startswith("."):
        return f"'..' or a leading dot in the name {name!r}"
    if not name.lower().endswith(".egg"):
        return "not an egg"
    try:
        parts = egg_parts(name)
    except InvalidEggName:
        return "not a pkg_resources egg name"
    if parts.version is None:
        return "no version in the egg name"
    return None


def first_per_name(links: Iterable[Link]) -> list[Link]:
    """Drop links whose file name came before (the first listing of a file wins)."""
    return list(unique_names(links))


def unique_names(links: Iterable[Link]) -> Iterator[Link]:
    """:func:`first_per_name` one link at a time (only the names seen are held)."""
    seen = set()
    for link in links:
        if link.filename not in seen:
            seen.add(link.filename)
            yield link
