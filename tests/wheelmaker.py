"""Small valid wheels and a loopback static server, for the mirror and pin tests (the ``published`` mirror: conftest)."""
from __future__ import annotations

import base64
import functools
import hashlib
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SIX = {"six.py": "PY2 = True\nPY3 = False\n__version__ = '1.16.0'\n"}


def make_wheel(dest: Path, name: str, version: str, files: dict, requires=(), tag="py2.py3-none-any",
               requires_python=None, metadata_name=None) -> Path:
    """A small, valid wheel written with zipfile (METADATA, WHEEL, RECORD)."""
    dist = f"{name.replace('-', '_')}-{version}.dist-info"
    meta = ["Metadata-Version: 2.1", f"Name: {metadata_name or name}", f"Version: {version}"]
    if requires_python:
        meta.append(f"Requires-Python: {requires_python}")
    meta += [f"Requires-Dist: {r}" for r in requires]
    members = dict(files)
    members[f"{dist}/METADATA"] = "\n".join(meta) + "\n\n"
    members[f"{dist}/WHEEL"] = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n" + "".join(
        f"Tag: {py}-{abi}-{plat}\n" for py in tag.split("-")[0].split(".") for abi in tag.split("-")[1].split(".")
        for plat in tag.split("-")[2].split(".")) + "\n"
    rows = []
    for arc, text in members.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        rows.append(f"{arc},sha256={digest},{len(data)}")
    rows.append(f"{dist}/RECORD,,")
    members[f"{dist}/RECORD"] = "\n".join(rows) + "\n"
    path = Path(dest) / f"{name.replace('-', '_')}-{version}-{tag}.whl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for arc, text in members.items():
            zf.writestr(zipfile.ZipInfo(arc, (2020, 1, 1, 0, 0, 0)), text)
    return path


class Served:
    """A loopback static HTTP server over a folder that records every request path."""

    def __init__(self, root: Path):
        self.requests = []
        log = self.requests

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, fmt, *args):  # quiet, but remembered
                log.append(self.path)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # shutdown() waits for the loop to look up: every 0.05 s, not the default 0.5 s
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def good_wheels(fixture_wheels) -> list:
    return sorted(Path(r.wheel) for r in fixture_wheels.values() if r.ok)


def links(page: Path) -> list[dict]:
    """(href, attributes) of every <a> on a page."""
    from html.parser import HTMLParser

    found = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "a":
                found.append(dict(attrs))

    P().feed(page.read_text("utf-8"))
    return found
