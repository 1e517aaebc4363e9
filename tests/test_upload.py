"""publish --upload: twine's upload protocol against a real pypiserver on loopback."""
from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from migrate import interpreters
from migrate.cli import main as cli
from migrate.mirror import uploading
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


def test_form_fields_are_twines(fixture_wheels):
    (toolbox,) = wheels_for(fixture_wheels, "toolbox-0.5-py3.10.egg")
    fields = uploading.form_fields(toolbox)
    one = dict(fields)
    assert one[":action"] == "file_upload" and one["protocol_version"] == "1"
    assert (one["name"], one["version"], one["filetype"], one["pyversion"]) == ("toolbox", "0.5", "bdist_wheel", "py3")
    assert one["sha256_digest"] == hashlib.sha256(toolbox.read_bytes()).hexdigest()
    assert one["metadata_version"] == "2.1"
    assert [v for k, v in fields if k == "requires_dist"] == [
        "purepkg>=1.0", 'six; python_version < "3"', 'purepkg; python_version >= "3" and extra == "docs"',
        'cext>=1.0; extra == "fast"']
    assert sorted(v for k, v in fields if k == "provides_extra") == ["docs", "fast"]


def test_upload_to_pypiserver_then_install_from_it(pypiserver, fixture_wheels, tmp_path, capsys):
    url, served = pypiserver
    wheels = wheels_for(fixture_wheels, "purepkg-1.0-py3.10.egg", "toolbox-0.5-py3.10.egg",
                        "cext-1.0_7b95ff194725-py2.7-linux-x86_64-ucs4.egg")
    folder = tmp_path / "w"
    folder.mkdir()
    for w in wheels:
        (folder / w.name).write_bytes(w.read_bytes())
    assert cli(["publish", str(folder), "--upload", url]) == 0
    assert "uploaded" in capsys.readouterr().err
    for w in wheels:
        assert (served / w.name).read_bytes() == w.read_bytes()
    # a second upload: the server keeps its files and says so; not a failure
    again = uploading.upload(wheels, url)
    assert [r.status for r in again] == ["exists"] * 3 and all(r.ok for r in again)
    # and stock pip installs from what the server now serves
    target = tmp_path / "site"
    run([sys.executable, "-m", "pip", "install", "--no-cache-dir", "--target", target, "--index-url",
         f"{url}simple/", "toolbox"])
    assert (target / "toolbox" / "__init__.py").exists() and (target / "purepkg" / "__init__.py").exists()


def test_upload_failures_are_named(pypiserver, tmp_path, capsys):
    url, served = pypiserver
    bad = tmp_path / "broken-1.0-py3-none-any.whl"
    bad.write_bytes(b"not a zip")
    (result,) = uploading.upload([bad], url)
    assert result.status == "failed" and result.message.startswith("broken-1.0-py3-none-any.whl: cannot read")
    assert list(served.iterdir()) == []
    closed = f"http://127.0.0.1:{_free_port()}/"
    assert cli(["publish", str(bad), "--upload", closed]) == 1
    assert "FAILED  broken-1.0-py3-none-any.whl" in capsys.readouterr().err
    with pytest.raises(ValueError):
        uploading.upload([bad], "ftp://example.org/")
