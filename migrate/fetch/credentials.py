"""Passwords stay in memory: a URL's ``user:password@`` is taken out before it is shown or stored.

The user name and password go to :class:`HostAuth`, which adds them to requests for
the repository's own origin only (scheme, host, port): never to a file host, never
after a redirect to another host. Every URL kept in a manifest, journal, state file,
report or message is the URL without its userinfo (:func:`redact`).
"""
from __future__ import annotations

import re
from typing import Optional
from urllib.parse import unquote, urlsplit, urlunsplit

import requests
from requests.auth import AuthBase, HTTPBasicAuth

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s?#]*@")

Credentials = tuple[str, Optional[str]]  # (user, password or None: ask)


def split_userinfo(url: str) -> tuple[str, Optional[Credentials]]:
    """(the URL without ``user:password@``, (user, password) or None)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact(url), None
    if "@" not in parts.netloc:
        return url, None
    userinfo, host = parts.netloc.rsplit("@", 1)
    user, sep, password = userinfo.partition(":")
    bare = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return bare, (unquote(user), unquote(password) if sep else None)


def redact(text: str) -> str:
    """``text`` with the userinfo of every URL in it removed (``http://bob:pw@host/`` -> ``http://host/``)."""
    return _USERINFO.sub(r"\1", text)


def origin(url: str) -> tuple[str, str]:
    """(scheme, host[:port]) lowercased, the unit credentials and listings are bound to."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return ("", "")
    return (parts.scheme.lower(), f"{host}:{port}" if port else host)


class HostAuth(AuthBase):
    """HTTP basic auth for one origin; requests elsewhere go without it."""

    def __init__(self, url: str, user: str, password: str):
        self.origin = origin(url)
        self._basic = HTTPBasicAuth(user, password)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if origin(request.url or "") == self.origin and "Authorization" not in request.headers:
            return self._basic(request)
        return request

    def __repr__(self) -> str:
        return f"HostAuth({self.origin!r})"
