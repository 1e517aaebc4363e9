"""Redirects followed by hand, each hop checked before it is requested.

requests would follow a redirect to any host on its own; a listing must stay under
its root and a file download must stay where its link was allowed to lead. So every
request goes out with ``allow_redirects=False`` and :func:`follow` walks the hops:
at most :data:`MAX_REDIRECTS`, never twice to one URL, only to ``http``/``https``,
and only where ``permit`` says yes. Each refusal is one :class:`RedirectError` line.
"""
from __future__ import annotations

from typing import Callable, Mapping, Optional
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests

from migrate.errors import MigrateError
from migrate.fetch.credentials import redact

MAX_REDIRECTS = 10

Permit = Callable[[str], Optional[str]]  # a URL -> why it may not be requested, or None


class RedirectError(MigrateError):
    """A redirect that is not followed: a loop, too many, a bad ``Location``, another scheme or place."""


def follow(session: requests.Session, url: str, headers: Mapping[str, str], timeout, permit: Optional[Permit] = None,
        stream: bool = True) -> requests.Response:
    """The final response of GET ``url``; ``resp.url`` is where it came from at last."""
    seen = {url}
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        resp = session.get(current, headers=dict(headers), timeout=timeout, stream=stream, allow_redirects=False)
        if not resp.is_redirect:
            return resp
        location = session.get_redirect_target(resp)
        resp.close()
        target = next_hop(current, location)
        if target in seen:
            raise RedirectError(f"{redact(url)}: redirect loop at {redact(target)}")
        reason = permit(target) if permit else None
        if reason:
            raise RedirectError(f"{redact(url)}: redirected to {redact(target)}, {reason}")
        seen.add(target)
        current = target
    raise RedirectError(f"{redact(url)}: more than {MAX_REDIRECTS} redirects")


def next_hop(current: str, location: Optional[str]) -> str:
    """The absolute URL a ``Location`` names (fragment and userinfo dropped); RedirectError when unusable."""
    if not location or any(ord(c) < 32 or c == "\x7f" for c in location):
        raise RedirectError(f"{redact(current)}: malformed redirect Location {location!r}")
    try:
        parts = urlsplit(urljoin(current, location.strip()))
        host, _port = parts.hostname, parts.port
    except ValueError as exc:
        raise RedirectError(f"{redact(current)}: malformed redirect Location {redact(location)!r} ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise RedirectError(f"{redact(current)}: redirected to a {parts.scheme or 'relative'}: URL "
                            f"{redact(location)!r} (only http and https are followed)")
    if not host:
        raise RedirectError(f"{redact(current)}: malformed redirect Location {redact(location)!r} (no host)")
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
