"""publish --upload: twine against a real pypiserver, and a scripted index for retries and credentials."""
from __future__ import annotations

import base64
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from migrate import interpreters
from migrate.cli import main as cli
from migrate.mirror import UploadOptions, uploading
from tests.conftest import run

PYPI_SERVER = Path(sys.executable).with_name("pypi-server")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def pypiserver(tmp_path):
    """(upload URL, package folder) of a pypiserver started for this test; stopped after it."""
    if not PYPI_SERVER.exists():
        pytest.skip("pypiserver is not installed in this venv")
    packages = tmp_path / "served"
    packages.mkdir()
    port = _free_port()
    proc = subprocess.Popen([str(PYPI_SERVER), "run", "-p", str(port), "-i", "127.0.0.1", "-a", ".", "-P", ".",
                             "--disable-fallback", str(packages)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=interpreters.pip_env())
    deadline = time.monotonic() + 30
    while True:  # poll the port until the server listens (bounded)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"pypiserver did not start: {proc.stderr.read().decode()[-500:]}")
            time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/", packages
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def wheels_for(fixture_wheels, *eggs) -> list:
    return [Path(fixture_wheels[e].wheel) for e in eggs]


def test_upload_to_pypiserver_then_install_from_it(pypiserver, fixture_wheels, tmp_path, capsys):
    url, served = pypiserver
    wheels = wheels_for(fixture_wheels, "purepkg-1.0-py3.10.egg", "toolbox-0.5-py3.10.egg",
                        "cext-1.0_7b95ff194725-py2.7-linux-x86_64-ucs4.egg")
    folder = tmp_path / "w"
    folder.mkdir()
    for w in wheels:
        (folder / w.name).write_bytes(w.read_bytes())
    assert cli(["publish", str(folder), "--upload", url]) == 0
    assert capsys.readouterr().err.count("uploaded ") == 3
    for w in wheels:
        assert (served / w.name).read_bytes() == w.read_bytes()
    # a second upload: "already exists" is an error, one line per wheel, as twine says it ...
    assert cli(["publish", str(folder), "--upload", url]) == 1
    err = capsys.readouterr().err
    assert err.count("FAILED  ") == 3 and err.count("already on the server (HTTP 4") == 3
    assert err.count("; not replaced (--skip-existing skips it)\n") == 3
    # ... unless --skip-existing; the server keeps its files
    again = uploading.upload(wheels, url, UploadOptions(skip_existing=True))
    assert [r.status for r in again] == ["skipped"] * 3 and all(r.ok for r in again)
    # and stock pip installs from what the server now serves
    target = tmp_path / "site"
    run([sys.executable, "-m", "pip", "install", "--no-cache-dir", "--target", target, "--index-url",
         f"{url}simple/", "toolbox"])
    assert (target / "toolbox" / "__init__.py").exists() and (target / "purepkg" / "__init__.py").exists()


def test_upload_failures_are_one_line_per_wheel(pypiserver, tmp_path, capsys):
    url, served = pypiserver
    bad = tmp_path / "broken-1.0-py3-none-any.whl"
    bad.write_bytes(b"not a zip")
    (result,) = uploading.upload([bad], url)
    assert result.status == "failed" and result.message.startswith("broken-1.0-py3-none-any.whl: cannot read")
    assert list(served.iterdir()) == []
    closed = f"http://127.0.0.1:{_free_port()}/"
    assert cli(["publish", str(bad), "--upload", closed]) == 1
    err = capsys.readouterr().err
    assert "FAILED  broken-1.0-py3-none-any.whl" in err and "urllib3" not in err and err.count("\n") == 1
    with pytest.raises(uploading.UploadError, match="expected an http"):
        uploading.upload([bad], "ftp://user:secret@example.org/")
    try:
        uploading.upload([bad], "ftp://user:secret@example.org/")
    except uploading.UploadError as exc:
        assert "secret" not in str(exc)


def test_connection_refused_is_said_in_a_few_words(fixture_wheels, capsys):
    (wheel,) = wheels_for(fixture_wheels, "purepkg-1.0-py3.10.egg")
    closed = f"http://127.0.0.1:{_free_port()}/"
    (result,) = uploading.upload([wheel], closed, UploadOptions(retries=0))
    assert result.status == "failed"
    assert result.message == f"{wheel.name}: {closed}: cannot connect (connection refused)"


class _Index(BaseHTTPRequestHandler):
    """An upload endpoint that answers each POST with the next scripted (status, headers)."""

    script: list = []
    posts: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).posts.append((self.headers.get("Authorization"), body))
        status, headers = type(self).script.pop(0) if type(self).script else (200, {})
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def scripted():
    """(url, handler class) of a loopback upload endpoint; set ``script`` before uploading."""
    handler = type("Index", (_Index,), {"script": [], "posts": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)  # shutdown() waits one
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/legacy/", handler
    finally:
        server.shutdown()
        server.server_close()


def test_retry_after_is_honoured_on_429_and_503(scripted, fixture_wheels):
    url, index = scripted
    index.script = [(429, {"Retry-After": "7"}), (503, {"Retry-After": "2"}), (200, {})]
    (wheel,) = wheels_for(fixture_wheels, "purepkg-1.0-py3.10.egg")
    waits: list = []
    (result,) = uploading.upload([wheel], url, UploadOptions(sleep=waits.append))
    assert result.status == "uploaded"
    assert waits == [7.0, 2.0]
    assert len(index.posts) == 3 and all(wheel.read_bytes() in body for _, body in index.posts)


def test_5xx_backs_off_then_fails_in_one_line(scripted, fixture_wheels):
    url, index = scripted
    index.script = [(500, {})] * 4
    (wheel,) = wheels_for(fixture_wheels, "purepkg-1.0-py3.10.egg")
    waits: list = []
    (result,) = uploading.upload([wheel], url, UploadOptions(retries=2, sleep=waits.append))
    assert waits == [1.0, 2.0] and len(index.posts) == 3
    assert result.status == "failed" and result.message.startswith(f"{wheel.name}: HTTP 500")
    assert "\n" not in result.message
    # twine's own "Received 500 ... Retry 1 of 1" log lines are not shown (a process without pytest's log capture)
    index.script = [(500, {})] * 2
    code = ("import sys; from migrate.mirror import UploadOptions, upload; "
            "print(upload([sys.argv[1]], sys.argv[2], UploadOptions(retries=1, sleep=lambda s: None))[0].status)")
    proc = subprocess.run([sys.executable, "-c", code, str(wheel), url], capture_output=True, text=True, timeout=120)
    assert (proc.stdout, proc.stderr) == ("failed\n", "")


def test_credentials_from_pypirc_by_repository_name(scripted, fixture_wheels, tmp_path, monkeypatch):
    url, index = scripted
    monkeypatch.delenv("TWINE_USERNAME", raising=False)
    monkeypatch.delenv("TWINE_PASSWORD", raising=False)
    pypirc = tmp_path / ".pypirc"
    pypirc.write_text(f"[distutils]\nindex-servers = local\n\n[local]\nrepository = {url}\n"
                      "username = alice\npassword = s3cret\n")
    (wheel,) = wheels_for(fixture_wheels, "purepkg-1.0-py3.10.egg")
    (result,) = uploading.upload([wheel], "local", UploadOptions(config_file=str(pypirc)))
    assert result.status == "uploaded"
    assert index.posts[0][0] == "Basic " + base64.b64encode(b"alice:s3cret").decode()
    with pytest.raises(uploading.UploadError, match="nowhere"):
        uploading.upload([wheel], "nowhere", UploadOptions(config_file=str(pypirc)))


def test_without_twine_one_clear_line_and_nothing_published(fixture_wheels, tmp_path, capsys, monkeypatch):
    (wheel,) = wheels_for(fixture_wheels, "purepkg-1.0-py3.10.egg")
    monkeypatch.setitem(sys.modules, "twine", None)  # import twine -> ImportError
    out = tmp_path / "mirror"
    assert cli(["publish", str(wheel), "-o", str(out), "--upload", "http://127.0.0.1:9/"]) == 1
    err = capsys.readouterr().err
    assert err == "egg-migrate: uploading needs twine, which is not installed: pip install 'egg-migrate[upload]'\n"
    assert not out.exists()
