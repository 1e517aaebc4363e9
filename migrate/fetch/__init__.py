"""A SOURCE (Galaxy tree, PEP 503/691 index, find-links page, folder) + a ``Selection`` -> verified
eggs in one folder and a ``FetchReport`` (``fetch-manifest.json``): listings (sources, pages, links),
selection, resumable checked downloads (download, transfer, localcopy, state) over one HTTP session (net).
"""
from migrate.fetch.download import DEFAULT_MAX_BYTES, Downloader
from migrate.fetch.fetch import MANIFEST, FetchOptions, FetchReport, fetch, write_manifest
from migrate.fetch.httpsource import HttpSource
from migrate.fetch.links import Anchor, page_anchors, parse_sha256
from migrate.fetch.listing import Link, Listing, Skip, SourceError, check_filename
from migrate.fetch.localsource import LocalSource
from migrate.fetch.net import HTTPStatus, NetError, NetOptions, make_session
from migrate.fetch.results import DOWNLOADED, FAILED, MISSING, SKIPPED, VERIFIED, Progress, Result
from migrate.fetch.selection import Selection, describe_missing, keep, pick_alternative, platform_match
from migrate.fetch.sources import open_source
from migrate.fetch.state import STATE_FILE, State

__all__ = [
    "DEFAULT_MAX_BYTES", "DOWNLOADED", "FAILED", "MANIFEST", "MISSING", "SKIPPED", "STATE_FILE", "VERIFIED",
    "Anchor", "Downloader", "FetchOptions", "FetchReport", "HTTPStatus", "HttpSource", "Link", "Listing",
    "LocalSource", "NetError", "NetOptions", "Progress", "Result", "Selection", "Skip", "SourceError", "State",
    "check_filename", "describe_missing", "fetch", "keep", "make_session", "open_source", "page_anchors",
    "parse_sha256", "pick_alternative", "platform_match", "write_manifest",
]
