"""HTTP plumbing shared by listing and downloading: one pooled session, retries, one-line errors.

pip's conventions: ``--cert FILE`` is a CA bundle (PEM) used instead of the
bundled certifi store; by default (``trust_env``, as pip's session) requests reads
proxies, ``.netrc`` and ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` from the
environment, and ``SSL_CERT_FILE`` is used when neither of those is set;
``--no-trust-env`` makes a run independent of the caller's environment.
Redirects are followed by :mod:`migrate.fetch.redirects`, one checked hop at a time.
"""
from __future__ import annotations

import errno
import math
import os
import socket
import time
from dataclasses import dataclass, field
from typing import Iterator, Optional
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from migrate import __version__
from migrate.errors import MigrateError
from migrate.fetch.credentials import HostAuth, redact
from migrate.fetch.redirects import Permit, RedirectError, follow

USER_AGENT = f"egg-migrate/{__version__} (+fetch)"
# PEP 691: prefer JSON, accept HTML (PEP 503) and plain autoindex pages.
ACCEPT_LISTING = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1, */*;q=0.01"
JSON_LISTING = "application/vnd.pypi.simple.v1+json"
HTML_LISTING = "application/vnd.pypi.simple.v1+html"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class NetOptions:
    """How hard to try. Defaults suit a real server; tests shrink ``backoff``."""

    retries: int = 5  # extra attempts after the first
    backoff: float = 0.5  # seconds, doubled per attempt, capped at ``max_backoff``
    max_backoff: float = 10.0
    connect_timeout: float = 15.0
    read_timeout: float = 60.0
    cert: Optional[str] = None  # CA bundle, as pip --cert
    trust_env: bool = True  # proxies/.netrc/REQUESTS_CA_BUNDLE from the environment, as pip
    user: Optional[str] = None  # HTTP basic auth for the source's own host (--user, or the URL's)
    password: Optional[str] = field(default=None, repr=False)
    allow_hosts: tuple[str, ...] = ()  # hosts an autoindex or find-links page may link eggs on (--allow-host)
    deadline: Optional[float] = None  # seconds one download may take in all; None: 10 x read_timeout

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)

    @property
    def download_deadline(self) -> float:
        """The total time one egg's download may take, all attempts: a trickle cannot keep it alive."""
        if self.deadline is not None and math.isfinite(self.deadline) and self.deadline > 0:
            return self.deadline
        return 10 * self.read_timeout

    def pause(self, attempt: int) -> None:
        """Exponential backoff before retry number ``attempt`` (1-based)."""
        time.sleep(min(self.max_backoff, self.backoff * (2 ** (attempt - 1))))


class HTTPStatus(MigrateError):
    """A final, non-retryable HTTP status (404, 403...) or a 5xx that never went away."""

    def __init__(self, url: str, status: int, reason: str = ""):
        self.url, self.status = url, status
        super().__init__(f"{redact(url)}: HTTP {status} {reason}".rstrip())


class NetError(MigrateError):
    """Connection-level failure after retries; ``str()`` is one line for people."""


def make_session(jobs: int = 8, options: NetOptions = NetOptions(), source: str = "") -> requests.Session:
    """A session whose pool holds one connection per worker (keep-alive across eggs); with
    ``options.user``, basic auth for ``source``'s origin only."""
    session = requests.Session()
    if options.user is not None and source:
        session.auth = HostAuth(source, options.user, options.password or "")
    session.trust_env = options.trust_env
    if options.cert:
        session.verify = options.cert
    elif options.trust_env and not (os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")) \
            and os.path.isfile(os.environ.get("SSL_CERT_FILE", "")):
        session.verify = os.environ["SSL_CERT_FILE"]  # OpenSSL's variable: what curl and pip's truststore use
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(4, jobs * 2), max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def get_page(session: requests.Session, url: str, options: NetOptions, accept: str = ACCEPT_LISTING,
             max_bytes: int = 32 * 1024 * 1024, permit: Optional[Permit] = None) -> requests.Response:
    """GET a listing page with retries on connection errors and 5xx; body fully read.

    Every redirect hop must be ``permit`` ted (listings stay under their root).
    Raises :class:`HTTPStatus` for a final status >= 400 and :class:`NetError` when
    the server could not be reached or redirected somewhere not followed.
    """
    last: Optional[Exception] = None
    for attempt in range(options.retries + 1):
        if attempt:
            options.pause(attempt)
        try:
            resp = _request(session, url, accept, options, permit)
            try:
                if resp.status_code in RETRY_STATUSES:
                    last = HTTPStatus(url, resp.status_code, resp.reason or "")
                    continue
                return _read_whole(resp, url, max_bytes)
            finally:
                resp.close()
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                requests.exceptions.ChunkedEncodingError) as exc:
            last = exc
            if is_dns(exc):
                break
    if isinstance(last, HTTPStatus):
        raise last
    raise NetError(describe(last, url))


def _request(session: requests.Session, url: str, accept: str, options: NetOptions,
             permit: Optional[Permit]) -> requests.Response:
    """One GET with its redirects; NetError for what no retry fixes (TLS, a bad URL or redirect)."""
    try:
        return follow(session, url, {"Accept": accept}, options.timeout, permit)
    except requests.exceptions.SSLError as exc:
        raise NetError(describe(exc, url)) from None  # retrying will not fix a certificate
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout):
        raise
    except RedirectError as exc:
        raise NetError(str(exc)) from None
    except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema, ValueError) as exc:
        raise NetError(f"{redact(url)}: not a valid URL ({redact(str(exc))})") from None
    except requests.RequestException as exc:
        raise NetError(describe(exc, url)) from None


def _read_whole(resp: requests.Response, url: str, max_bytes: int) -> requests.Response:
    """``resp`` with its body read, unless its status is final (>= 400) or the body is over
    ``max_bytes`` (:class:`HTTPStatus` for both): a listing is never worth more."""
    if resp.status_code >= 400:
        raise HTTPStatus(url, resp.status_code, resp.reason or "")
    declared = resp.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise HTTPStatus(url, resp.status_code, f"listing of {declared} bytes is larger than {max_bytes}")
    body = bytearray()
    for chunk in resp.iter_content(65536):
        body += chunk
        if len(body) > max_bytes:
            raise HTTPStatus(url, resp.status_code, f"listing larger than {max_bytes} bytes")
    resp._content = bytes(body)
    return resp


def describe(exc: Optional[BaseException], url: str) -> str:
    """One line saying what went wrong talking to ``url`` and, where it helps, what to do."""
    url = redact(url)
    try:
        parts = urlsplit(url)
        host = parts.hostname or url
        where = f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        host = where = url
    if exc is None:
        return f"{url}: no response"
    if isinstance(exc, HTTPStatus):
        return str(exc)
    chain = list(_chain(exc))
    text = redact(" ".join(str(e) for e in chain))
    if isinstance(exc, requests.exceptions.SSLError) or any("SSL" in type(e).__name__ for e in chain):
        reason = "certificate verify failed" if "CERTIFICATE_VERIFY_FAILED" in text else _last_words(text)
        return (f"{url}: TLS error talking to {where}: {reason} (give the server's CA bundle with --cert FILE, "
                "or REQUESTS_CA_BUNDLE / SSL_CERT_FILE)")
    if is_dns(exc):
        return f"cannot resolve host {host!r} (DNS lookup failed): check the URL and your network"
    if isinstance(exc, requests.exceptions.Timeout):
        return f"{url}: timed out waiting for {where}"
    if any(isinstance(e, ConnectionRefusedError) or getattr(e, "errno", None) == errno.ECONNREFUSED
           for e in chain) or "Connection refused" in text:
        return f"cannot connect to {where}: connection refused (is the server running?)"
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError,)) or "IncompleteRead" in text:
        return f"{url}: connection broken mid-transfer"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return f"cannot connect to {where}: {_last_words(text)}"
    return f"{url}: {_last_words(text) or type(exc).__name__}"


def is_dns(exc: BaseException) -> bool:
    for e in _chain(exc):
        if isinstance(e, socket.gaierror) or type(e).__name__ == "NameResolutionError":
            return True
        if "Name or service not known" in str(e) or "nodename nor servname" in str(e) \
                or "Temporary failure in name resolution" in str(e):
            return True
    return False


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes and urllib3's nested ``reason``s, without loops."""
    seen: set[int] = set()
    todo: list[Optional[BaseException]] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [getattr(e, "reason", None) if isinstance(getattr(e, "reason", None), BaseException) else None,
                 e.__cause__, e.__context__]
        todo += [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]


def _last_words(text: str) -> str:
    """The most specific part of a nested urllib3 message: after the last ': ' or '('."""
    text = text.strip().rstrip(")")
    for sep in ("] ", ": "):
        if sep in text:
            text = text.rsplit(sep, 1)[-1]
    return text.strip("'\"() ")[:200]
