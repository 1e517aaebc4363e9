"""A loopback HTTP (or HTTPS, given an ``ssl.SSLContext``) server that answers from a table: ``{path: (status, headers, body)}``.

For the network attack tests: redirects anywhere (loops, ``file:``, malformed
``Location``), hostile JSON and HTML, ``Content-Encoding``, basic auth, and an HTTP
proxy (a request line with an absolute URL is logged with that URL as its path).
Every request is logged with its headers (:attr:`RouteServer.log`).
"""
from __future__ import annotations

import base64
import hashlib
import json
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional, Union

try:
    from tests.servers import JSON_TYPE, Loopback
except ImportError:  # tests/ run as a plain folder
    from servers import JSON_TYPE, Loopback

Answer = tuple[int, dict[str, str], bytes]


@dataclass(frozen=True)
class Seen:
    path: str  # as requested (an absolute URL when the server is used as a proxy)
    headers: dict[str, str]


def html(body: str) -> Answer:
    return 200, {"Content-Type": "text/html"}, f"<!DOCTYPE html><html><body>\n{body}</body></html>\n".encode()


def pep691(data: Any) -> Answer:
    return 200, {"Content-Type": JSON_TYPE}, json.dumps(data).encode()


def redirect(location: str, status: int = 302) -> Answer:
    return status, {"Location": location}, b""


def egg_file(data: bytes, **headers: str) -> Answer:
    return 200, {"Content-Type": "application/octet-stream", **headers}, data


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class RouteServer(Loopback):
    """Serves ``routes`` on 127.0.0.1 (any other path: 404) from a thread; a context manager."""

    def __init__(self, routes: Optional[dict[str, Answer]] = None, auth: Optional[tuple[str, str]] = None,
                 tls: Optional[ssl.SSLContext] = None):
        self.routes: dict[str, Answer] = dict(routes or {})
        self.auth = auth
        self.log: list[Seen] = []
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.scheme = "https" if tls is not None else "http"
        if tls is not None:  # HTTPS: each accepted connection does the TLS handshake with this context
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def url(self, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}/"

    def paths(self) -> list[str]:
        with self._lock:
            return [s.path for s in self.log]

    def answer(self, path: str, headers: dict[str, str]) -> Answer:
        with self._lock:
            self.log.append(Seen(path, headers))
        if self.auth is not None:
            want = "Basic " + base64.b64encode(":".join(self.auth).encode()).decode()
            if headers.get("Authorization") != want:
                return 401, {"WWW-Authenticate": 'Basic realm="eggs"'}, b"who are you?"
        return self.routes.get(path.split("?")[0], (404, {}, b"not found"))


def _handler(server: RouteServer) -> type:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Union[str, int]) -> None:
            pass

        def do_GET(self) -> None:
            status, headers, body = server.answer(self.path, dict(self.headers.items()))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_HEAD = do_GET

    return Handler
