"""Reading a PEP 503 simple index (a mirror folder, ``file://`` or http(s)): a project's
wheel links with their hashes, ``data-requires-python`` and PEP 658 ``.metadata``, and
the core metadata itself (the ``.metadata`` file, hash checked, else the wheel's own).
"""
from __future__ import annotations

import hashlib
import os
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Optional
from urllib.parse import unquote, urldefrag, urljoin, urlparse
from urllib.request import url2pathname

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import Version

from migrate.fetch import page_anchors, parse_sha256
from migrate.pins.errors import PinError
from migrate.recent import Recent
from migrate.wheels import WheelMetadataError, read_metadata


@dataclass(frozen=True)
class IndexFile:
    """One wheel link on a project page."""

    filename: str
    url: str
    sha256: Optional[str]
    requires_python: Optional[str]
    metadata_sha256: Optional[str]  # PEP 658/714; None when the index offers no .metadata
    has_metadata: bool
    name: str
    version: Version
    tags: frozenset[str]

    def __reduce__(self):
        """Pickled as plain values (pins are kept on disk): a Version pickles ten times slower than its string."""
        return (_index_file, (self.filename, self.url, self.sha256, self.requires_python, self.metadata_sha256,
                              self.has_metadata, self.name, str(self.version), tuple(sorted(self.tags))))


def _index_file(filename: str, url: str, sha256: Optional[str], requires_python: Optional[str],
                metadata_sha256: Optional[str], has_metadata: bool, name: str, version: str,
                tags: tuple[str, ...]) -> IndexFile:
    return IndexFile(filename, url, sha256, requires_python, metadata_sha256, has_metadata, name, Version(version),
                     frozenset(tags))


class Index:
    """A PEP 503 simple index: a local mirror folder, a ``file://`` URL or an http(s) URL."""

    def __init__(self, location: str, session=None):
        self.location = str(location)
        parsed = urlparse(self.location)
        if parsed.scheme in ("http", "https"):
            self.url = self.location.rstrip("/") + "/"
            import requests

            self.session = session or requests.Session()
        else:
            path = Path(url2pathname(parsed.path)) if parsed.scheme == "file" else Path(self.location)
            if (path / "simple" / "index.html").is_file():
                path = path / "simple"
            if not (path / "index.html").is_file():
                raise PinError(f"{self.location}: no simple index here (expected index.html or simple/index.html)")
            self.url = Path(os.path.abspath(path)).as_uri() + "/"
            self.session = None
        self.requests: deque[str] = deque(maxlen=100)  # the last URLs read, for tests
        self._pages: Recent[str, list[IndexFile]] = Recent()  # a mirror of 16,000 projects is not held

    def _get(self, url: str) -> Optional[bytes]:
        self.requests.append(url)
        if self.session is None:
            path = url2pathname(urlparse(url).path)  # a str, not a Path: pathlib interns every part it sees
            if url.endswith("/"):
                path = os.path.join(path, "index.html")
            try:
                with open(path, "rb") as fp:
                    return fp.read()
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise PinError(f"{path}: cannot read ({exc.strerror or exc})") from None
        import requests

        try:
            response = self.session.get(url, headers={"Accept": "text/html"}, timeout=60)
        except requests.RequestException as exc:
            raise PinError(f"{url}: {exc}") from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise PinError(f"{url}: HTTP {response.status_code}")
        return response.content

    def files(self, project: str) -> list[IndexFile]:
        """Wheel links of a project (normalized name); [] when the index does not have it."""
        project = canonicalize_name(project)
        found = self._pages.get(project)
        if found is None:
            page_url = urljoin(self.url, project + "/")
            body = self._get(page_url)
            found = self._pages.put(project, [] if body is None else _parse_page(body, page_url, project))
        return found

    def metadata(self, f: IndexFile) -> bytes:
        """Core metadata: the PEP 658 ``.metadata`` file (hash checked), else from the wheel itself."""
        if f.has_metadata:
            data = self._get(f.url + ".metadata")
            if data is not None:
                if f.metadata_sha256 and hashlib.sha256(data).hexdigest() != f.metadata_sha256:
                    raise PinError(f"{f.url}.metadata: sha256 differs from the index's data-core-metadata")
                return data
        try:
            return read_metadata(self.wheel(f))
        except WheelMetadataError as exc:
            raise PinError(f"{f.filename}: {exc}") from None

    def wheel(self, f: IndexFile) -> bytes:
        data = self._get(f.url)
        if data is None:
            raise PinError(f"{f.url}: not found")
        if f.sha256 and hashlib.sha256(data).hexdigest() != f.sha256:
            raise PinError(f"{f.url}: sha256 differs from the index")
        return data

    def sha256(self, f: IndexFile) -> str:
        return f.sha256 or hashlib.sha256(self.wheel(f)).hexdigest()


def _parse_page(body: bytes, page_url: str, project: str) -> list[IndexFile]:
    out = []
    for anchor in page_anchors(body.decode("utf-8", "replace"), page_url):
        attrs = anchor.attrs
        url, frag = urldefrag(anchor.url)
        filename = unquote(url.rsplit("/", 1)[-1])
        if not filename.endswith(".whl"):
            continue
        try:
            name, version, _build, tags = parse_wheel_filename(filename)
        except InvalidWheelFilename:
            continue
        if name != project:
            continue
        sha = parse_sha256(frag)
        meta = attrs.get("data-core-metadata") or attrs.get("data-dist-info-metadata")
        meta_sha = parse_sha256(meta)
        out.append(IndexFile(
            filename=filename, url=url, sha256=sha, requires_python=attrs.get("data-requires-python") or None,
            metadata_sha256=meta_sha, has_metadata=meta is not None and meta.lower() not in ("", "false"),
            name=name, version=version, tags=frozenset(str(t) for t in tags),
        ))
    return out
