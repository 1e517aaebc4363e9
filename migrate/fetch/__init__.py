"""A SOURCE (Galaxy tree, PEP 503/691 index, find-links page, folder) + a ``Selection`` -> verified
eggs in one folder and a ``FetchReport`` (``fetch-manifest.json``): listings (sources, pages, links),
selection, resumable checked downloads (download, transfer, localcopy, state) over one HTTP session (net).
"""
from typing import TYPE_CHECKING

from migrate.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "credentials": ("HostAuth", "redact", "split_userinfo",),
    "download": ("DEFAULT_MAX_BYTES", "Downloader",),
    "fetching": ("FetchOptions", "FetchReport", "MANIFEST", "fetch", "write_manifest",),
    "httpsource": ("HttpSource",),
    "links": ("Anchor", "page_anchors", "parse_sha256",),
    "listing": ("Link", "Listing", "Skip", "SourceError", "check_filename",),
    "localsource": ("LocalSource",),
    "net": ("HTTPStatus", "NetError", "NetOptions", "make_session",),
    "results": ("DOWNLOADED", "FAILED", "MISSING", "Progress", "Result", "SKIPPED", "VERIFIED",),
    "selection": ("Selection", "describe_missing", "keep", "pick_alternative", "platform_match",),
    "sources": ("open_source",),
    "state": ("STATE_FILE", "State",),
})

if TYPE_CHECKING:  # the same names, for type checkers and readers
    from migrate.fetch.credentials import HostAuth, redact, split_userinfo
    from migrate.fetch.download import DEFAULT_MAX_BYTES, Downloader
    from migrate.fetch.fetching import MANIFEST, FetchOptions, FetchReport, fetch, write_manifest
    from migrate.fetch.httpsource import HttpSource
    from migrate.fetch.links import Anchor, page_anchors, parse_sha256
    from migrate.fetch.listing import Link, Listing, Skip, SourceError, check_filename
    from migrate.fetch.localsource import LocalSource
    from migrate.fetch.net import HTTPStatus, NetError, NetOptions, make_session
    from migrate.fetch.results import DOWNLOADED, FAILED, MISSING, SKIPPED, VERIFIED, Progress, Result
    from migrate.fetch.selection import Selection, describe_missing, keep, pick_alternative, platform_match
    from migrate.fetch.sources import open_source
    from migrate.fetch.state import STATE_FILE, State
