"""Push wheels to an existing index (pypiserver, devpi, a warehouse) with twine.

twine is the upload tool Python users know, so it does the parts they know: the
repository from ``~/.pypirc`` (a name instead of a URL), credentials from it, from
``keyring`` or from ``TWINE_USERNAME``/``TWINE_PASSWORD``, the upload form itself and
PyPI's "already exists" check. It is the ``upload`` extra
(``pip install 'egg-migrate[upload]'``); without it :func:`upload` raises one line.

What is ours: one :class:`UploadResult` per wheel, never an exception for one file
and never urllib3's text; "already exists" is a failure unless ``skip_existing``
(twine's rule); a 429 or 503 answer is retried after its ``Retry-After`` (parsed by
urllib3's ``Retry``, as pip's and twine's sessions do for GETs), other 5xx after a
short backoff, ``retries`` times.
"""
from __future__ import annotations

import contextlib
import io
import logging
import os
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Union
from urllib.parse import urlparse, urlunparse

from migrate.errors import MigrateError

INSTALL_HINT = "pip install 'egg-migrate[upload]'"
RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_WAIT = 120.0  # seconds: a longer Retry-After is cut to this


class UploadError(MigrateError, ValueError):
    """The upload as a whole cannot start: twine missing, a bad URL, a .pypirc without the repository."""


@dataclass(frozen=True)
class UploadResult:
    wheel: str
    status: str  # uploaded | skipped (already on the server) | conflict (already there: an error) | failed
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("uploaded", "skipped")

    def as_dict(self) -> dict[str, str]:
        return {"wheel": self.wheel, "status": self.status, "message": self.message}


@dataclass(frozen=True)
class UploadOptions:
    skip_existing: bool = False  # a wheel the server already has is skipped, not a failure
    username: Optional[str] = None
    password: Optional[str] = None
    cert: Optional[str] = None  # CA bundle for the index's TLS certificate
    client_cert: Optional[str] = None
    config_file: Optional[str] = None  # default: ~/.pypirc
    retries: int = 3  # per wheel, on 429 and 5xx
    sleep: Callable[[float], None] = time.sleep


def upload(wheels: Iterable[Union[str, os.PathLike[str]]], repository: str,
           options: UploadOptions = UploadOptions()) -> list[UploadResult]:
    """Upload each wheel to ``repository`` (a URL, or a repository name in .pypirc).

    One :class:`UploadResult` per wheel, in order; raises :class:`UploadError` only when
    nothing can be uploaded at all.
    """
    twine = _twine()
    quiet = logging.getLogger("twine")  # its "Received 503 ... Retry 1 of 1" lines: our result says it once
    if not quiet.handlers:
        quiet.addHandler(logging.NullHandler())
    repo = _repository(twine, repository, options)
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # twine prints "Uploading NAME" on stdout
            return [_upload_one(twine, repo, Path(w), options) for w in wheels]
    finally:
        repo.close()


def check_twine() -> None:
    """Raises :class:`UploadError` (how to install it) when twine is not installed."""
    _twine()


def _twine() -> Any:
    """twine's modules, or :class:`UploadError` saying how to get them."""
    try:
        from twine import exceptions, package, repository, settings
        from twine.commands import upload as command
    except ImportError:
        raise UploadError(f"uploading needs twine, which is not installed: {INSTALL_HINT}") from None
    return _Twine(exceptions, package, repository, settings, command)


@dataclass(frozen=True)
class _Twine:
    exceptions: Any
    package: Any
    repository: Any
    settings: Any
    command: Any


def _repository(twine: _Twine, repository: str, options: UploadOptions) -> Any:
    """twine's Repository for a URL or a .pypirc name, with the credentials twine would find."""
    url, url_user, url_password = split_credentials(repository)
    username = options.username or url_user or os.environ.get("TWINE_USERNAME")
    password = options.password or url_password or os.environ.get("TWINE_PASSWORD")
    where: dict[str, Any] = {"repository_url": url} if url else {"repository_name": repository}
    if options.config_file:
        where["config_file"] = options.config_file
    try:
        settings = twine.settings.Settings(
            username=username, password=password, non_interactive=True, skip_existing=options.skip_existing,
            cacert=options.cert, client_cert=options.client_cert, disable_progress_bar=True, **where)
        username = _or_none(twine, lambda: settings.username)  # .pypirc, then keyring
        password = _or_none(twine, lambda: settings.password) if username else None
        repo = twine.repository.Repository(settings.repository_config["repository"], username, password,
                                                     disable_progress_bar=True)
    except twine.exceptions.TwineException as exc:
        raise UploadError(f"{url or repository}: {_first_line(str(exc))}") from None
    repo.set_certificate_authority(settings.cacert)
    repo.set_client_certificate(settings.client_cert)
    return repo


def _or_none(twine: _Twine, read: Callable[[], Optional[str]]) -> Optional[str]:
    """A credential twine finds without asking, else None (an index without login, as pypiserver -a .)."""
    import requests

    try:
        return read()
    except (twine.exceptions.NonInteractive, requests.RequestException):  # (PyPI's trusted publishing)
        return None


def _upload_one(twine: _Twine, repo: Any, wheel: Path, options: UploadOptions) -> UploadResult:
    import requests

    try:
        package = twine.package.PackageFile.from_filename(str(wheel), None)
    except (twine.exceptions.TwineException, OSError, ValueError, zipfile.BadZipFile) as exc:
        return UploadResult(str(wheel), "failed", f"{wheel.name}: cannot read ({_first_line(str(exc))})")
    try:
        if options.skip_existing and repo.package_is_uploaded(package):
            return UploadResult(str(wheel), "skipped", f"{wheel.name}: already on the server")
        response = _post(repo, package, options)
    except requests.RequestException as exc:
        return UploadResult(str(wheel), "failed", f"{wheel.name}: {repo.url}: {network_reason(exc)}")
    return _result(twine, wheel, package, response, options)


def _post(repo: Any, package: Any, options: UploadOptions) -> Any:
    """The upload's response, after waiting out 429/5xx answers (``Retry-After`` first) ``retries`` times."""
    from urllib3.util import Retry

    for attempt in range(options.retries + 1):
        response = repo.upload(package, max_redirects=1)  # one try: the waiting between tries is ours
        if response.status_code not in RETRY_STATUSES or attempt == options.retries:
            return response
        wait = None
        if response.status_code in (429, 503) and response.headers.get("Retry-After"):
            with contextlib.suppress(Exception):  # urllib3's InvalidHeader: fall back to the backoff
                wait = Retry().parse_retry_after(response.headers["Retry-After"])
        options.sleep(min(MAX_WAIT, 2.0 ** attempt if wait is None else wait))
    raise AssertionError("unreachable")


def _result(twine: _Twine, wheel: Path, package: Any, response: Any, options: UploadOptions) -> UploadResult:
    status = response.status_code
    if status in (200, 201):
        return UploadResult(str(wheel), "uploaded")
    if response.is_redirect:
        where = response.headers.get("Location", "?")
        return UploadResult(str(wheel), "failed", f"{wheel.name}: HTTP {status} redirect to {where}; "
                            "give the upload URL itself (e.g. ending in /legacy/ for warehouse)")
    if twine.command.skip_upload(response, options.skip_existing, package):
        return UploadResult(str(wheel), "skipped", f"{wheel.name}: already on the server")
    if twine.command.skip_upload(response, True, package):
        return UploadResult(str(wheel), "conflict", f"{wheel.name}: already on the server (HTTP {status}); "
                            "not replaced")
    text = (response.text or "").strip()
    reason = _first_line(text)[:200] if text and "<" not in text[:1] else response.reason
    return UploadResult(str(wheel), "failed", f"{wheel.name}: HTTP {status} {reason}")


def network_reason(exc: BaseException) -> str:
    """What went wrong on the wire, in a few words (not urllib3's nested repr)."""
    import requests

    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error (the server's certificate was not accepted)"
    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.ConnectionError):
        root = exc
        while root.__context__ is not None and root.__context__ is not root:
            root = root.__context__  # type: ignore[assignment]
        if isinstance(root, ConnectionRefusedError):
            return "cannot connect (connection refused)"
        return f"cannot connect ({type(root).__name__})"
    return type(exc).__name__


def split_credentials(url: str) -> tuple[Optional[str], Optional[str], Optional[str]]:
    """(the URL without user and password, user, password); (None, None, None) for a .pypirc name."""
    parsed = urlparse(url)
    if "://" not in url:
        return None, None, None
    if parsed.scheme not in ("http", "https"):
        raise UploadError(f"{_shown(parsed)}: expected an http(s) URL or a repository name from .pypirc")
    if not parsed.username:
        return url, None, None
    if not parsed.hostname:
        raise UploadError(f"{_shown(parsed)}: no host name after the credentials")
    netloc = parsed.hostname + (f":{parsed.port}" if parsed.port else "")
    return urlunparse(parsed._replace(netloc=netloc)), parsed.username, parsed.password


def _shown(parsed) -> str:
    """The URL for a message: never its password."""
    host = parsed.hostname or ""
    return urlunparse(parsed._replace(netloc=host + (f":{parsed.port}" if parsed.port else "")))


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""
