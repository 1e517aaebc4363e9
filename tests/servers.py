"""Loopback HTTP servers for tests and benchmarks: a static tree, autoindex pages, faults.

``TreeServer(root, faults)`` serves ``root`` on 127.0.0.1 (a free port) from a
thread, HTTP/1.1 keep-alive, with:

- Apache-style autoindex pages for folders without ``index.html`` (with the
  sort links and "Parent Directory" link real ones have);
- PEP 691 JSON: a folder's ``index.json`` answers ``Accept:
  application/vnd.pypi.simple.v1+json`` (the nginx/Apache mapping a real mirror needs);
- ``Range``/``If-Range`` (single ranges), ``ETag``, ``Last-Modified``;
- fault injection per path (:class:`Faults`): latency, 503s, connections dropped
  mid-body, truncated bodies with a full ``Content-Length``, a slow trickle,
  no Range support; deterministic counters, or a seeded random 503 rate;
- a request log (:attr:`TreeServer.log`) and :meth:`TreeServer.wait_for` to
  wait on it with a deadline instead of sleeping.

Also here: :func:`make_egg` / :func:`galaxy_tree` build small eggs and a Galaxy-layout
repository (``<root>/<name>/<egg>``) for tests.
"""
from __future__ import annotations

import hashlib
import html
import io
import json
import random
import socket
import sys
import threading
import time
import zipfile
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import quote, unquote, urlsplit

JSON_TYPE = "application/vnd.pypi.simple.v1+json"


@dataclass
class Faults:
    """What goes wrong, per URL path (``/psycopg2/psycopg2-...egg``). Counters count down."""

    latency: float = 0.0  # seconds added before every response
    fail_503: dict[str, int] = field(default_factory=dict)  # path -> how many 503s before serving
    drop_after: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> (bytes, times): close after N body bytes
    truncate: dict[str, int] = field(default_factory=dict)  # path -> times (-1: always): half the body, full length
    trickle: Optional[tuple[int, float]] = None  # (bytes, seconds): send egg bodies in slices this slowly
    random_503: float = 0.0  # probability of a 503 for any file request (seeded)
    seed: int = 5
    ranges: bool = True  # honour Range requests
    missing: set[str] = field(default_factory=set)  # paths answered 404 although present

    def __post_init__(self):
        self._lock = threading.Lock()
        self._random = random.Random(self.seed)

    def take(self, table: dict[str, Any], path: str) -> bool:
        """Consume one occurrence of a counted fault for ``path``."""
        with self._lock:
            value = table.get(path)
            if value is None:
                return False
            count = value[1] if isinstance(value, tuple) else value
            if count == 0:
                return False
            if count > 0:
                table[path] = (value[0], count - 1) if isinstance(value, tuple) else count - 1
            return True

    def roll_503(self) -> bool:
        with self._lock:
            return self.random_503 > 0 and self._random.random() < self.random_503


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    range: Optional[str]
    status: int
    sent: int  # body bytes written


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """Quiet when a client drops a keep-alive connection (a session closed between requests):
        socketserver's traceback on stderr would land in the output a test checks."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Loopback:
    """A server (``httpd``) run by a thread (``thread``) while the context manager is open."""

    httpd: ThreadingHTTPServer
    thread: threading.Thread

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


class TreeServer(Loopback):
    """A threaded static server over ``root``; use as a context manager."""

    def __init__(self, root: Path, faults: Optional[Faults] = None, host: str = "127.0.0.1"):
        self.root = Path(root)
        self.faults = faults or Faults()
        self.log: list[Request] = []
        self._log_lock = threading.Condition()
        handler = _make_handler(self)
        self.httpd = _Server((host, 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def record(self, request: Request) -> None:
        with self._log_lock:
            self.log.append(request)
            self._log_lock.notify_all()

    def requests_for(self, path: str) -> list[Request]:
        with self._log_lock:
            return [r for r in self.log if r.path == path]

    def wait_for(self, predicate: Callable[[list[Request]], bool], timeout: float = 20.0) -> bool:
        """Block until ``predicate(log)`` holds or the deadline passes; returns whether it held."""
        deadline = time.monotonic() + timeout
        with self._log_lock:
            while not predicate(list(self.log)):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._log_lock.wait(min(left, 0.2))
        return True


class _Handler(BaseHTTPRequestHandler):
    """Serves the tree of one :class:`TreeServer` (``tree``, set by :func:`_make_handler`) with its faults."""

    protocol_version = "HTTP/1.1"
    tree: TreeServer

    def setup(self):
        super().setup()
        # as Apache and nginx do: no Nagle delay between the headers and the body
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):  # keep test output clean
        pass

    def do_HEAD(self):
        self._serve(head=True)

    def do_GET(self):
        self._serve(head=False)

    def _serve(self, head: bool):
        faults = self.tree.faults
        if faults.latency:
            time.sleep(faults.latency)
        path = unquote(urlsplit(self.path).path)
        rng = self.headers.get("Range")
        target = (self.tree.root / path.lstrip("/")).resolve()
        root = self.tree.root.resolve()
        if ".." in path.split("/") or not (target == root or root in target.parents):
            return self._simple(404, b"not here", path, rng)
        if path in faults.missing:
            return self._simple(404, b"not found", path, rng)
        if target.exists() and faults.take(faults.fail_503, path):  # a listing page or a file
            return self._simple(503, b"busy", path, rng)
        if target.is_dir():
            if not path.endswith("/"):
                return self._empty(301, path, rng, Location=quote(path) + "/")
            return self._folder(target, path, head, rng)
        if not target.is_file():
            return self._simple(404, b"not found", path, rng)
        if faults.roll_503():
            return self._simple(503, b"busy", path, rng)
        return self._file(target, path, head, rng)

    def _simple(self, status: int, body: bytes, path: str, rng):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.tree.record(Request(self.command, path, rng, status, len(body)))

    def _empty(self, status: int, path: str, rng, **headers: str):
        """A response without a body: a redirect, an unsatisfiable range."""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.tree.record(Request(self.command, path, rng, status, 0))

    def _folder(self, folder: Path, path: str, head: bool, rng):
        accept = self.headers.get("Accept", "")
        if JSON_TYPE in accept and (folder / "index.json").is_file():
            body, ctype = (folder / "index.json").read_bytes(), JSON_TYPE
        elif (folder / "index.html").is_file():
            body, ctype = (folder / "index.html").read_bytes(), "text/html"
        else:
            body, ctype = autoindex(folder, path).encode("utf-8"), "text/html;charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)
        self.tree.record(Request(self.command, path, rng, 200, 0 if head else len(body)))

    def _file(self, target: Path, path: str, head: bool, rng):
        faults = self.tree.faults
        data = target.read_bytes()
        st = target.stat()
        etag = f'"{st.st_size:x}-{st.st_mtime_ns:x}"'
        first = self._range_first(rng, etag, st.st_mtime) if rng and faults.ranges else None
        if first is not None and (first >= len(data) or first < 0):
            return self._empty(416, path, rng, Content_Range=f"bytes */{len(data)}")
        start, status = (0, 200) if first is None else (first, 206)
        body = data[start:]
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", formatdate(st.st_mtime, usegmt=True))
        if faults.ranges:
            self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        cut = None if head else self._cut(path, len(body))
        if cut is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        if head:
            return self.tree.record(Request(self.command, path, rng, status, 0))
        sent = self._send(body if cut is None else body[:cut], path)
        self.tree.record(Request(self.command, path, rng, status, sent))
        if cut is not None:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _range_first(self, rng: str, etag: str, mtime: float) -> Optional[int]:
        """The first byte ``Range`` asks for (-1 when it does not parse); None when ``If-Range`` names
        another version of the file, so the whole file is sent."""
        if_range = self.headers.get("If-Range")
        if if_range is not None and if_range not in (etag, formatdate(mtime, usegmt=True)):
            return None
        try:
            spec = rng.split("=", 1)[1]
            return int(spec.split("-", 1)[0])
        except (IndexError, ValueError):
            return -1

    def _cut(self, path: str, size: int) -> Optional[int]:
        """How many body bytes go out before the connection drops (a fault for ``path``); None: all."""
        faults = self.tree.faults
        if faults.take(faults.drop_after, path):
            return min(size, faults.drop_after[path][0])
        if faults.take(faults.truncate, path):
            return size // 2
        return None

    def _send(self, payload: bytes, path: str) -> int:
        """Write the body (in slow slices when ``trickle`` is set for eggs); the bytes that went out."""
        faults = self.tree.faults
        sent = 0
        try:
            if faults.trickle and path.endswith(".egg"):
                step, pause = faults.trickle
                for i in range(0, len(payload), step):
                    self.wfile.write(payload[i:i + step])
                    self.wfile.flush()
                    sent += len(payload[i:i + step])
                    time.sleep(pause)
            else:
                self.wfile.write(payload)
                sent = len(payload)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass
        return sent


def _make_handler(server: TreeServer) -> type[_Handler]:
    class Handler(_Handler):
        tree = server

    return Handler


def autoindex(folder: Path, path: str) -> str:
    """An Apache 2.2-style "Index of" page (sort links, Parent Directory, folders end in /)."""
    rows = ['<tr><th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th></tr>',
            '<tr><td><a href="/">Parent Directory</a></td></tr>' if path == "/" else
            f'<tr><td><a href="{html.escape(quote(path.rstrip("/").rsplit("/", 1)[0] + "/"))}">Parent Directory</a></td></tr>']
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        name = entry.name + ("/" if entry.is_dir() else "")
        rows.append(f'<tr><td><a href="{html.escape(quote(name))}">{html.escape(name)}</a></td></tr>')
    title = html.escape(f"Index of {path}")
    return (f"<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n<html><head><title>{title}</title></head>"
            f"<body><h1>{title}</h1><table>{''.join(rows)}</table></body></html>\n")


# -- test eggs ------------------------------------------------------------------
def egg_bytes(project: str, version: str, payload: int = 0, seed: int = 0, extra: dict = None) -> bytes:
    """A small zipped egg: EGG-INFO/PKG-INFO, a module, and ``payload`` random (stored) bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("EGG-INFO/PKG-INFO", f"Metadata-Version: 1.0\nName: {project}\nVersion: {version}\n"
                                         f"Summary: test egg\n")
        zf.writestr("EGG-INFO/top_level.txt", f"{project.lower()}\n")
        zf.writestr(f"{project.lower()}/__init__.py", f"VERSION = {version!r}\n")
        if payload:
            data = random.Random(f"{project}-{version}-{seed}").randbytes(payload)
            zf.writestr(zipfile.ZipInfo(f"{project.lower()}/blob.bin"), data, compress_type=zipfile.ZIP_STORED)
        for name, content in (extra or {}).items():
            zf.writestr(name, content)
    return buf.getvalue()


def make_egg(path: Path, payload: int = 0, seed: int = 0) -> Path:
    """Write an egg named ``path`` (project and version read from the name)."""
    path = Path(path)
    project, version = path.name.split("-")[:2]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(egg_bytes(project, version, payload, seed))
    return path


def galaxy_tree(root: Path, filenames, payload: int = 0) -> dict:
    """``<root>/<project>/<egg>`` for each egg file name; returns {filename: sha256}."""
    out = {}
    for name in filenames:
        project = name.split("-")[0]
        path = make_egg(Path(root) / project / name, payload)
        out[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def simple_index(root: Path, eggs: dict, json_too: bool = True) -> None:
    """A PEP 503 index (+ PEP 691 index.json) at ``root/simple/`` for {filename: bytes}; files in ``packages/``."""
    from packaging.utils import canonicalize_name

    projects: dict = {}
    for name, data in eggs.items():
        (root / "packages").mkdir(parents=True, exist_ok=True)
        (root / "packages" / name).write_bytes(data)
        projects.setdefault(canonicalize_name(name.split("-")[0]), []).append((name, hashlib.sha256(data).hexdigest()))
    simple = root / "simple"
    simple.mkdir(parents=True, exist_ok=True)
    links = "".join(f'<a href="{p}/">{p}</a>\n' for p in sorted(projects))
    (simple / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")
    if json_too:
        (simple / "index.json").write_text(json.dumps({"meta": {"api-version": "1.0"},
                                                       "projects": [{"name": p} for p in sorted(projects)]}))
    for project, files in projects.items():
        folder = simple / project
        folder.mkdir(exist_ok=True)
        anchors = "".join(f'<a href="../../packages/{quote(n)}#sha256={h}">{html.escape(n)}</a>\n' for n, h in files)
        (folder / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{anchors}</body></html>\n")
        if json_too:
            (folder / "index.json").write_text(json.dumps({
                "meta": {"api-version": "1.0"}, "name": project,
                "files": [{"filename": n, "url": f"../../packages/{quote(n)}", "hashes": {"sha256": h}}
                          for n, h in files]}))


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


__all__ = ["TreeServer", "Faults", "Request", "autoindex", "egg_bytes", "make_egg", "galaxy_tree", "simple_index",
           "sha256_file"]
