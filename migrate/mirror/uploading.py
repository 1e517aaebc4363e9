"""Push wheels to an existing index (pypiserver, devpi, a warehouse) with twine's upload protocol.

The "legacy" upload API that twine speaks: one multipart/form-data POST per
file to the repository URL with ``:action=file_upload``, ``protocol_version=1``,
the core metadata fields (``name``, ``version``, ``metadata_version``,
``requires_dist`` ...), ``filetype=bdist_wheel``, ``pyversion`` (the wheel's
python tag), ``sha256_digest``/``blake2_256_digest`` and the file as
``content``. A server that already has the file answers 409 (pypiserver) or
400 "already exists" (PyPI); that is reported as ``exists``, not a failure.
"""
from __future__ import annotations

import email.parser
import hashlib
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Union
from urllib.parse import urlparse, urlunparse

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from migrate import __version__
from migrate.wheels import read_metadata

# METADATA header -> form field (twine's _RAW_TO_PACKAGE_METADATA, by header name)
_FIELDS = {
    "metadata-version": "metadata_version", "name": "name", "version": "version", "summary": "summary",
    "description": "description", "keywords": "keywords", "home-page": "home_page", "author": "author",
    "author-email": "author_email", "maintainer": "maintainer", "maintainer-email": "maintainer_email",
    "license": "license", "download-url": "download_url", "classifier": "classifiers",
    "requires-dist": "requires_dist", "requires-python": "requires_python", "provides-extra": "provides_extra",
    "requires-external": "requires_external", "project-url": "project_urls", "platform": "platform",
    "description-content-type": "description_content_type", "obsoletes-dist": "obsoletes_dist",
    "provides-dist": "provides_dist", "dynamic": "dynamic", "license-expression": "license_expression",
    "license-file": "license_file",
}
_MULTI = {"classifiers", "requires_dist", "provides_extra", "requires_external", "project_urls", "platform",
          "obsoletes_dist", "provides_dist", "dynamic", "license_file"}


@dataclass(frozen=True)
class UploadResult:
    wheel: str
    status: str  # uploaded | exists | failed
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def form_fields(wheel: Path) -> list[tuple[str, str]]:
    """The (field, value) pairs twine sends for a wheel, from its METADATA and file name."""
    name, _version, _build, tags = parse_wheel_filename(wheel.name)
    message = email.parser.BytesParser().parsebytes(read_metadata(wheel))
    fields = []
    for header, value in message.items():
        key = _FIELDS.get(header.lower())
        if key is None:
            continue
        if key == "keywords":
            value = ", ".join(k.strip() for k in value.replace(",", " ").split())
        fields.append((key, str(value)))
    body = message.get_payload()  # text: core metadata is never multipart
    if isinstance(body, str) and body and not message.get("Description"):
        fields.append(("description", body))
    sha256, blake2 = hashlib.sha256(), hashlib.blake2b(digest_size=32)
    with open(wheel, "rb") as fp:
        for chunk in iter(lambda: fp.read(1 << 20), b""):
            sha256.update(chunk)
            blake2.update(chunk)
    python_tag = wheel.name[:-4].split("-")[-3]
    fields += [
        ("filetype", "bdist_wheel"), ("pyversion", python_tag),
        ("sha256_digest", sha256.hexdigest()), ("blake2_256_digest", blake2.hexdigest()),
        (":action", "file_upload"), ("protocol_version", "1"),
    ]
    return fields


def upload(wheels: Iterable[Union[str, os.PathLike[str]]], url: str, username: Optional[str] = None,
           password: Optional[str] = None, session=None, timeout: float = 300) -> list[UploadResult]:
    """POST each wheel; returns one :class:`UploadResult` per wheel, in order (never raises for one file)."""
    import requests

    url, url_user, url_password = _split_credentials(url)
    username = username or url_user or os.environ.get("TWINE_USERNAME")
    password = password or url_password or os.environ.get("TWINE_PASSWORD")
    session = session or requests.Session()
    session.headers["User-Agent"] = f"egg-migrate/{__version__} (twine upload protocol)"
    auth = (username or "", password or "") if (username or password) else None
    results = []
    for wheel in wheels:
        wheel = Path(wheel)
        try:
            fields = form_fields(wheel)
        except (OSError, ValueError, zipfile.BadZipFile, InvalidWheelFilename) as exc:
            results.append(UploadResult(str(wheel), "failed", f"{wheel.name}: cannot read ({exc})"))
            continue
        try:
            with open(wheel, "rb") as fp:
                response = session.post(url, data=fields, files={"content": (wheel.name, fp, "application/octet-stream")},
                                        auth=auth, allow_redirects=False, timeout=timeout)
        except requests.RequestException as exc:
            results.append(UploadResult(str(wheel), "failed", f"{wheel.name}: {url}: {exc}"))
            continue
        results.append(_result(wheel, response))
    return results


def _result(wheel: Path, response) -> UploadResult:
    text = (response.text or "").strip()
    if response.status_code in (200, 201):
        return UploadResult(str(wheel), "uploaded")
    if response.status_code == 409 or (response.status_code == 400 and "exist" in text.lower()):
        return UploadResult(str(wheel), "exists", f"{wheel.name}: already on the server (not replaced)")
    if response.status_code in (301, 302, 303, 307, 308):
        where = response.headers.get("Location", "?")
        return UploadResult(str(wheel), "failed", f"{wheel.name}: HTTP {response.status_code} redirect to {where}; "
                            "give the upload URL itself (e.g. ending in /legacy/ for warehouse)")
    reason = text.splitlines()[0][:200] if text else response.reason
    return UploadResult(str(wheel), "failed", f"{wheel.name}: HTTP {response.status_code} {reason}")


def _split_credentials(url: str) -> tuple[str, Optional[str], Optional[str]]:
    """(the URL without user and password, user, password)."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https"):
        raise ValueError(f"--upload {url!r}: expected an http(s) URL")
    if not parsed.username:
        return url, None, None
    if not parsed.hostname:
        raise ValueError(f"--upload {url!r}: no host name after the credentials")
    netloc = parsed.hostname + (f":{parsed.port}" if parsed.port else "")
    return urlunparse(parsed._replace(netloc=netloc)), parsed.username, parsed.password
