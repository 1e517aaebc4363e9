"""HTTPS like pip (issue 15): an index host and a file host on loopback, both with
certificates of a test CA (``trustme``), the shape of PyPI behind a company's TLS proxy.

The CA is given the ways pip takes it from the environment: ``REQUESTS_CA_BUNDLE`` or
``SSL_CERT_FILE``, with no ``--trust-env`` (the default trusts the environment, as pip
does). Without it, fetch fails with one line naming the URL and the TLS reason.
"""
from __future__ import annotations

import ssl

import pytest

from migrate.cli import main

try:
    from tests.routes import RouteServer, egg_file, pep691, sha
    from tests.servers import egg_bytes
except ImportError:  # tests/ run as a plain folder
    from routes import RouteServer, egg_file, pep691, sha
    from servers import egg_bytes

trustme = pytest.importorskip("trustme")

EGG = "spam-1.0-py2.7.egg"
DATA = egg_bytes("spam", "1.0")
# Every variable that could name a CA bundle or a proxy: each test starts from none of them.
ENVIRONMENT = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "https_proxy",
               "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    """(server context, CA bundle path): one test CA that signed 127.0.0.1 and localhost."""
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    bundle = tmp_path_factory.mktemp("ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    return context, bundle


@pytest.fixture
def clean_env(monkeypatch):
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _pair(context: ssl.SSLContext):
    """An HTTPS index host whose PEP 691 project page links the egg on an HTTPS file host."""
    files = RouteServer({f"/packages/{EGG}": egg_file(DATA)}, tls=context)
    url = f"{files.url('localhost')}packages/{EGG}"
    page = {"meta": {"api-version": "1.0"}, "name": "spam",
            "files": [{"filename": EGG, "url": url, "hashes": {"sha256": sha(DATA)}}]}
    return files, RouteServer({"/simple/spam/": pep691(page)}, tls=context)


def _fetch(capsys, index: RouteServer, dest) -> tuple[int, str]:
    code = main(["fetch", index.url() + "simple/", "--project", "spam", "-d", str(dest), "--retries", "0"])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"])
def test_the_ca_bundle_from_the_environment_is_trusted_for_the_index_and_the_file_host(
        ca, clean_env, capsys, tmp_path, variable):
    context, bundle = ca
    clean_env.setenv(variable, str(bundle))
    files, index = _pair(context)
    with files, index:
        code, err = _fetch(capsys, index, tmp_path / "eggs")
        asked = index.paths() + files.paths()
    assert code == 0, err
    assert asked == ["/simple/spam/", f"/packages/{EGG}"]
    assert (tmp_path / "eggs" / EGG).read_bytes() == DATA


def test_without_the_ca_fetch_fails_in_one_line_naming_the_url_and_the_tls_reason(ca, clean_env, capsys, tmp_path):
    context, _ = ca
    files, index = _pair(context)
    with files, index:
        code, err = _fetch(capsys, index, tmp_path / "eggs")
    assert code == 1, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert f"{index.url()}simple/spam/" in err and "certificate verify failed" in err, err
    assert not (tmp_path / "eggs" / EGG).exists()
