"""Hostile and real-world networks: each test reproduces one attack of issue 15 on loopback servers.

Never leak (passwords, control characters), stay where the user pointed (listings under
the root, off-host eggs only with a sha256 or --allow-host), work like pip with PyPI
(--project goes straight to the project page; files on another host; proxies and CA
bundles from the environment) and never die on one bad answer.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from migrate.cli import main
from migrate.fetch import httpsource
from migrate.fetch.fetching import FetchOptions, fetch
from migrate.fetch.net import NetOptions, make_session
from migrate.fetch.selection import Selection

try:
    from tests.routes import RouteServer, egg_file, html, pep691, redirect, sha
    from tests.servers import Faults, TreeServer, egg_bytes, galaxy_tree
except ImportError:  # tests/ run as a plain folder
    from routes import RouteServer, egg_file, html, pep691, redirect, sha
    from servers import Faults, TreeServer, egg_bytes, galaxy_tree

FAST = FetchOptions(net=NetOptions(backoff=0.001, retries=1, connect_timeout=5, read_timeout=5, trust_env=False))
EGG = "spam-1.0-py2.7.egg"
DATA = egg_bytes("spam", "1.0")


def every_file_text(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("latin-1") for p in sorted(folder.rglob("*")) if p.is_file())


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- never leak -----------------------------------------------------------------------------------
def test_password_in_the_url_is_used_but_never_written_or_shown(tmp_path, capsys):
    routes = {"/simple/": html('<a href="spam/">spam</a>'), "/simple/spam/": html(f'<a href="../../p/{EGG}">x</a>'),
              f"/p/{EGG}": egg_file(DATA)}
    with RouteServer(routes, auth=("bob", "hunter2")) as server:
        url = server.url().replace("http://", "http://bob:hunter2@") + "simple/"
        code, out, err = cli(capsys, "fetch", url, "-d", str(tmp_path / "eggs"), "--retries", "0", "--no-trust-env")
        run_code, run_out, run_err = cli(capsys, "run", url, "-o", str(tmp_path / "out"), "--no-trust-env")
    assert code == 0, err
    assert (tmp_path / "eggs" / EGG).read_bytes() == DATA
    assert (tmp_path / "out" / "eggs" / EGG).read_bytes() == DATA, run_err
    for text in (out, err, run_out, run_err, every_file_text(tmp_path)):
        assert "hunter2" not in text
    manifest = json.loads((tmp_path / "eggs" / "fetch-manifest.json").read_text())
    assert manifest["source"] == server.url() + "simple/"  # the URL, without its userinfo
    assert (tmp_path / "out" / "requirements.txt").is_file()


def test_user_option_takes_the_password_from_the_environment_and_sends_it_to_that_host_only(tmp_path, capsys,
                                                                                           monkeypatch):
    monkeypatch.setenv("EGG_MIGRATE_PASSWORD", "hunter2")
    with RouteServer({f"/p/{EGG}": egg_file(DATA)}) as files:
        page = html(f'<a href="{files.url("localhost")}p/{EGG}#sha256={sha(DATA)}">x</a>')
        with RouteServer({"/simple/spam/": page}, auth=("bob", "hunter2")) as index:
            code, _, err = cli(capsys, "fetch", index.url() + "simple/", "--project", "spam", "--user", "bob",
                               "-d", str(tmp_path / "eggs"), "--no-trust-env")
        sent = [s.headers.get("Authorization") for s in files.log]
    assert code == 0, err
    assert (tmp_path / "eggs" / EGG).read_bytes() == DATA
    assert sent == [None]  # the file host never saw the password


def test_netrc_is_read_by_default(tmp_path, capsys, monkeypatch):
    routes = {"/simple/spam/": html(f'<a href="../../p/{EGG}">x</a>'), f"/p/{EGG}": egg_file(DATA)}
    with RouteServer(routes, auth=("bob", "hunter2")) as server:
        netrc = tmp_path / "netrc"
        netrc.write_text("machine 127.0.0.1 login bob password hunter2\n")
        netrc.chmod(0o600)
        monkeypatch.setenv("NETRC", str(netrc))
        code, _, err = cli(capsys, "fetch", server.url() + "simple/", "--project", "spam", "-d", str(tmp_path / "e"))
        refused, _, _ = cli(capsys, "fetch", server.url() + "simple/", "--project", "spam", "--no-trust-env",
                            "-d", str(tmp_path / "e2"), "--retries", "0")
    assert code == 0, err
    assert refused == 1


def test_control_characters_from_a_server_are_escaped_on_the_terminal_and_in_the_report(tmp_path, capsys):
    evil = "x\x1b]0;owned\x07\x1b[2J"
    routes = {"/repo/": html(f'<a href="{evil}/">evil</a><a href="spam/">spam</a>'),
              "/repo/spam/": html(f'<a href="{EGG}">{EGG}</a>'), f"/repo/spam/{EGG}": egg_file(DATA)}
    with RouteServer(routes) as server:
        code, out, err = cli(capsys, "fetch", server.url() + "repo/", "-d", str(tmp_path / "eggs"), "--retries", "0")
        run_code, run_out, run_err = cli(capsys, "run", server.url() + "repo/", "-o", str(tmp_path / "out"),
                                         "--retries", "0")
    assert code == 1 and run_code == 1
    for text in (out, err, run_out, run_err, (tmp_path / "out" / "report.txt").read_text()):
        assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b]0;owned" in err and "\\x1b]0;owned" in run_err
    assert (tmp_path / "eggs" / EGG).read_bytes() == DATA  # the rest went on


# -- stay where the user pointed ------------------------------------------------------------------
def test_pep691_project_names_that_are_urls_or_paths_are_refused_and_never_requested(tmp_path):
    with RouteServer() as other:
        root = {"meta": {"api-version": "1.0"},
                "projects": [{"name": other.url()}, {"name": "/outside-root"}, {"name": "spam"}]}
        routes = {"/simple/": pep691(root), "/simple/spam/": html(f'<a href="../../p/{EGG}">x</a>'),
                  f"/p/{EGG}": egg_file(DATA), "/outside-root/": html(f'<a href="/p/{EGG}">x</a>')}
        with RouteServer(routes) as server:
            report = fetch(server.url() + "simple/", tmp_path / "eggs", options=FAST)
            asked = server.paths()
        assert other.paths() == []
    assert "/outside-root/" not in asked
    assert [r.filename for r in report.results] == [EGG]
    reasons = {s.url: s.reason for s in report.skipped_links}
    assert "is a URL or a path" in reasons["/outside-root"] and "is a URL or a path" in reasons[other.url()]


def test_a_project_folder_redirecting_to_another_host_is_not_read_as_its_listing(tmp_path):
    with RouteServer({"/spam/": html(f'<a href="{EGG}">x</a>'), f"/spam/{EGG}": egg_file(DATA)}) as other:
        routes = {"/repo/": html('<a href="spam/">spam</a><a href="ham/">ham</a>'),
                  "/repo/spam/": redirect(other.url() + "spam/"),
                  "/repo/ham/": html('<a href="ham-1.0-py2.7.egg">h</a>'),
                  "/repo/ham/ham-1.0-py2.7.egg": egg_file(egg_bytes("ham", "1.0"))}
        with RouteServer(routes) as server:
            report = fetch(server.url() + "repo/", tmp_path / "eggs", options=FAST)
        assert other.paths() == []  # not even one request to the other host
    assert [r.filename for r in report.results] == ["ham-1.0-py2.7.egg"]
    assert any("outside the repository root" in e for e in report.errors), report.errors


def pair_routes(files_url: str, with_sha: bool) -> dict:
    fragment = f"#sha256={sha(DATA)}" if with_sha else ""
    return {"/simple/": html('<a href="spam/">spam</a>'),
            "/simple/spam/": html(f'<a href="{files_url}p/{EGG}{fragment}">x</a>'),
            "/links.html": html(f'<a href="{files_url}p/{EGG}{fragment}">x</a>')}


@pytest.mark.parametrize("with_sha", [True, False])
def test_index_project_pages_may_link_eggs_on_another_host_with_a_sha256(tmp_path, with_sha):
    with RouteServer({f"/p/{EGG}": egg_file(DATA)}) as files:
        files_url = files.url("localhost")
        with RouteServer(pair_routes(files_url, with_sha)) as index:
            report = fetch(index.url() + "simple/", tmp_path / "eggs", options=FAST)
    if with_sha:
        assert [(r.filename, r.status, r.url) for r in report.results] == [(EGG, "downloaded", f"{files_url}p/{EGG}")]
    else:
        assert not report.ok and not (tmp_path / "eggs" / EGG).exists()
        assert [s.reason for s in report.skipped_links] == [
            f"leaves the source host 127.0.0.1:{index.port} for localhost without a sha256 to check it against; "
            "--allow-host localhost follows such links"]


def test_find_links_pages_need_allow_host_for_eggs_elsewhere(tmp_path, capsys):
    with RouteServer({f"/p/{EGG}": egg_file(DATA)}) as files:
        with RouteServer(pair_routes(files.url("localhost"), with_sha=True)) as index:
            refused = fetch(index.url() + "links.html", tmp_path / "a", options=FAST)
            code, _, err = cli(capsys, "fetch", index.url() + "links.html", "-d", str(tmp_path / "b"),
                               "--allow-host", "localhost", "--no-trust-env")
    assert [s.reason.rsplit("; ", 1)[-1] for s in refused.skipped_links] == ["--allow-host localhost follows such links"]
    assert code == 0, err
    assert (tmp_path / "b" / EGG).read_bytes() == DATA


def test_manifest_records_the_final_url_after_redirects(tmp_path):
    with RouteServer({f"/p/{EGG}": egg_file(DATA)}) as files:
        final = f"{files.url('localhost')}p/{EGG}"
        routes = {"/simple/spam/": html(f'<a href="/dl/{EGG}#sha256={sha(DATA)}">x</a>'),
                  f"/dl/{EGG}": redirect(final)}
        with RouteServer(routes) as index:
            report = fetch(index.url() + "simple/", tmp_path / "eggs", Selection(projects=("spam",)), options=FAST)
            again = fetch(index.url() + "simple/", tmp_path / "eggs", Selection(projects=("spam",)), options=FAST)
    manifest = json.loads((tmp_path / "eggs" / "fetch-manifest.json").read_text())
    assert [r.url for r in report.results] == [final] and manifest["eggs"][0]["url"] == final
    assert [(r.status, r.url) for r in again.results] == [("already-verified", final)]


def test_a_redirect_to_another_host_without_a_sha256_is_not_followed(tmp_path):
    with RouteServer({f"/p/{EGG}": egg_file(DATA)}) as files:
        routes = {"/simple/spam/": html(f'<a href="/dl/{EGG}">x</a>'),
                  f"/dl/{EGG}": redirect(f"{files.url('localhost')}p/{EGG}")}
        with RouteServer(routes) as index:
            report = fetch(index.url() + "simple/", tmp_path / "eggs", Selection(projects=("spam",)), options=FAST)
        assert files.paths() == []
    assert [r.status for r in report.results] == ["failed"]
    assert "no sha256 to check the egg against" in report.results[0].reason


# -- PyPI ---------------------------------------------------------------------------------------------
def test_project_goes_straight_to_the_project_page_like_pip_with_files_on_another_host(tmp_path, capsys):
    """PyPI's shape: a huge root never read, PEP 691 project pages, every file on files.pythonhosted.org."""
    with RouteServer({f"/packages/ab/{EGG}": egg_file(DATA)}) as files:
        page = {"meta": {"api-version": "1.1"}, "name": "spam", "files": [
            {"filename": EGG, "url": f"{files.url('localhost')}packages/ab/{EGG}", "hashes": {"sha256": sha(DATA)}},
            {"filename": "spam-1.0.tar.gz", "url": f"{files.url('localhost')}packages/ab/spam-1.0.tar.gz",
             "hashes": {"sha256": "0" * 64}}]}
        with RouteServer({"/simple/spam/": pep691(page), "/simple/": (500, {}, b"never read me")}) as index:
            code, out, err = cli(capsys, "fetch", index.url() + "simple/", "--project", "Spam", "--python", "2.7",
                                 "-d", str(tmp_path / "eggs"), "--no-trust-env")
            asked = index.paths()
    assert code == 0, err
    assert "/simple/" not in asked and "/simple/spam/" in asked
    assert (tmp_path / "eggs" / EGG).read_bytes() == DATA


def test_a_pep691_project_page_as_source_follows_its_files_on_another_host(tmp_path):
    """``fetch https://pypi.org/simple/netifaces/``: the page is the source, every file elsewhere."""
    with RouteServer({f"/packages/{EGG}": egg_file(DATA)}) as files:
        page = {"meta": {"api-version": "1.0"}, "name": "spam", "files": [
            {"filename": EGG, "url": f"{files.url('localhost')}packages/{EGG}", "hashes": {"sha256": sha(DATA)}}]}
        with RouteServer({"/simple/spam/": pep691(page)}) as index:
            report = fetch(index.url() + "simple/spam/", tmp_path / "eggs", options=FAST)
    assert [(r.filename, r.status) for r in report.results] == [(EGG, "downloaded")]


PEP629 = '<meta name="pypi:repository-version" content="1.1">'
HTML_INDEX = "application/vnd.pypi.simple.v1+html"


@pytest.mark.parametrize("declared", ["meta", "content-type", "no"])
def test_an_html_project_page_as_source_follows_its_files_on_another_host_with_a_sha256(tmp_path, capsys, declared):
    """``fetch https://pypi.org/simple/netifaces/`` in its HTML form: a page that says it is an index
    (PEP 629's meta, or PEP 691's HTML content type) is an index project page, like the JSON one:
    files elsewhere are followed with a sha256, checked while streaming; without one they need
    --allow-host, and each is reported with its reason. An undeclared page is a find-links page."""
    other = "spam-2.0-py2.7.egg"
    with RouteServer({f"/packages/{EGG}": egg_file(DATA), f"/packages/{other}": egg_file(egg_bytes("spam", "2.0"))}) \
            as files:
        where = files.url("localhost") + "packages/"
        body = (f"{PEP629 if declared == 'meta' else ''}<a href=\"{where}{EGG}#sha256={sha(DATA)}\">{EGG}</a>"
                f'<a href="{where}{other}">{other}</a><a href="{where}spam-1.0.tar.gz#sha256={"0" * 64}">sdist</a>')
        page = html(body)
        if declared == "content-type":
            page = (200, {"Content-Type": HTML_INDEX}, page[2])
        with RouteServer({"/simple/spam/": page}) as index:
            code, _, err = cli(capsys, "fetch", index.url() + "simple/spam/", "-d", str(tmp_path / "eggs"),
                               "--no-trust-env")
            manifest = json.loads((tmp_path / "eggs" / "fetch-manifest.json").read_text())
    skipped = {s["url"].rsplit("/", 1)[-1]: s["reason"] for s in manifest["skipped_links"]}
    host = f"127.0.0.1:{index.port}"
    if declared == "no":
        assert code == 1 and not (tmp_path / "eggs" / EGG).exists()
        assert skipped[EGG] == f"leaves the source host {host} for localhost; --allow-host localhost follows such links"
        return
    assert code == 0, err
    assert (tmp_path / "eggs" / EGG).read_bytes() == DATA and not (tmp_path / "eggs" / other).exists()
    assert [e["url"] for e in manifest["eggs"]] == [where + EGG]
    assert skipped == {other: f"leaves the source host {host} for localhost without a sha256 to check it "
                              "against; --allow-host localhost follows such links", "spam-1.0.tar.gz": "not an egg"}
    assert f"{where}{other} not followed: leaves the source host" in err, err  # the egg link, with its reason
    assert "spam-1.0.tar.gz" not in err  # not an egg: in the manifest only (and under -v)


def test_an_index_page_link_whose_bytes_differ_from_its_sha256_is_refused(tmp_path):
    """The sha256 that lets a link leave the host is checked while streaming: other bytes fail."""
    with RouteServer({f"/packages/{EGG}": egg_file(DATA + b"tampered")}) as files:
        link = f'<a href="{files.url("localhost")}packages/{EGG}#sha256={sha(DATA)}">x</a>'
        with RouteServer({"/simple/spam/": html(PEP629 + link)}) as index:
            report = fetch(index.url() + "simple/spam/", tmp_path / "eggs", options=FAST)
    assert [(r.filename, r.status) for r in report.results] == [(EGG, "failed")]
    assert "sha256" in report.results[0].reason and not (tmp_path / "eggs" / EGG).exists()


def test_proxies_from_the_environment_are_used_by_default_as_pip_does(tmp_path, capsys, monkeypatch):
    """The proxy gets the absolute URL of a host it alone can reach; --no-trust-env goes direct."""
    with RouteServer() as proxy:
        proxy.routes["http://eggs.invalid/simple/spam/"] = html(f'<a href="/p/{EGG}">x</a>')
        proxy.routes[f"http://eggs.invalid/p/{EGG}"] = egg_file(DATA)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy.url())
        code, _, err = cli(capsys, "fetch", "http://eggs.invalid/simple/", "--project", "spam", "-d",
                           str(tmp_path / "eggs"))
        asked = proxy.paths()
        direct, _, direct_err = cli(capsys, "fetch", "http://eggs.invalid/simple/", "--project", "spam", "-d",
                                    str(tmp_path / "e2"), "--no-trust-env", "--retries", "0")
    assert code == 0, err
    assert "http://eggs.invalid/simple/spam/" in asked and len(proxy.paths()) == len(asked)
    assert direct == 1 and "cannot resolve host 'eggs.invalid'" in direct_err


def test_ssl_cert_file_is_the_ca_bundle_when_requests_has_none(tmp_path, monkeypatch):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    assert make_session(1, NetOptions()).verify == str(bundle)
    assert make_session(1, NetOptions(trust_env=False)).verify is True
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/elsewhere.pem")  # requests' own variable wins, as in pip
    assert make_session(1, NetOptions()).verify is True


# -- never die on one bad answer ------------------------------------------------------------------------
BAD_ANSWERS = {
    "loop": redirect("/simple/loop/"),
    "hops": redirect("/simple/hops/"),  # a loop through a second URL
    "to-file": redirect("file:///etc/passwd"),
    "to-ftp": redirect("ftp://127.0.0.1/x/"),
    "bad-location": redirect("http://[::1/"),
    "bad-port": redirect("http://127.0.0.1:99999/"),
    "meta-string": pep691({"meta": "1.0", "files": []}),
    "files-int": pep691({"meta": {"api-version": "1.0"}, "files": 3}),
    "url-int": pep691({"meta": {"api-version": "1.0"}, "files": [{"url": 5, "filename": EGG}]}),
    "deep": (200, {"Content-Type": "application/vnd.pypi.simple.v1+json"}, b"[" * 100_000),
}


def test_each_bad_answer_is_one_failed_item_and_the_rest_goes_on(tmp_path, capsys):
    routes = {f"/simple/{name}/": answer for name, answer in BAD_ANSWERS.items()}
    routes["/simple/hops/"] = redirect("/simple/hops2/")
    routes["/simple/hops2/"] = redirect("/simple/hops/")
    routes["/simple/spam/"] = html(f'<a href="/p/{EGG}">x</a>')
    routes[f"/p/{EGG}"] = egg_file(DATA)
    projects = [*BAD_ANSWERS, "spam"]
    with RouteServer(routes) as server:
        argv = ["fetch", server.url() + "simple/", "-d", str(tmp_path / "eggs"), "--no-trust-env", "--retries", "0"]
        code, out, err = cli(capsys, *argv, *(a for p in projects for a in ("--project", p)))
    assert code == 1
    assert (tmp_path / "eggs" / EGG).read_bytes() == DATA
    lines = err.strip().splitlines()
    assert "Traceback" not in err
    for name in BAD_ANSWERS:
        assert any(f"/simple/{name}/" in line or f"{name}:" in line for line in lines), (name, err)
    assert "redirect loop" in err and "only http and https are followed" in err and "malformed redirect" in err
    assert "'meta' is not an object" in err and "'files' is not a list" in err


def test_an_egg_redirected_to_file_or_in_a_loop_fails_alone(tmp_path):
    ok = "ham-1.0-py2.7.egg"
    routes = {"/simple/spam/": html(f'<a href="/dl/a/{EGG}">x</a><a href="/dl/{ok}">y</a>'),
              f"/dl/a/{EGG}": redirect(f"/dl/b/{EGG}"), f"/dl/b/{EGG}": redirect(f"/dl/a/{EGG}"),
              f"/dl/{ok}": egg_file(egg_bytes("ham", "1.0"))}
    with RouteServer(routes) as server:
        report = fetch(server.url() + "simple/spam/", tmp_path / "eggs", options=FAST)
        routes[f"/dl/a/{EGG}"] = redirect("file:///etc/passwd")
        server.routes.update(routes)
        again = fetch(server.url() + "simple/spam/", tmp_path / "eggs2", options=FAST)
    by_name = {r.filename: r for r in report.results}
    assert by_name[ok].status == "downloaded" and by_name[EGG].status == "failed"
    assert "redirect loop" in by_name[EGG].reason
    assert "only http and https" in {r.filename: r for r in again.results}[EGG].reason


def test_a_gzip_encoded_egg_is_refused_not_inflated(tmp_path):
    import gzip

    routes = {"/links/": html(f'<a href="{EGG}">x</a>'),
              f"/links/{EGG}": egg_file(gzip.compress(DATA), **{"Content-Encoding": "gzip"})}
    with RouteServer(routes) as server:
        report = fetch(server.url() + "links/", tmp_path / "eggs", options=FAST)
        accept = [s.headers.get("Accept-Encoding") for s in server.log if s.path.endswith(".egg")]
    assert [r.status for r in report.results] == ["failed"]
    assert "gzip-encoded" in report.results[0].reason
    assert accept == ["identity"] and not [p for p in (tmp_path / "eggs").glob("*.egg*") if not p.name.startswith(".")]


def test_a_trickle_cannot_keep_a_download_alive_past_its_deadline(tmp_path):
    """One byte at a time keeps every read under --timeout; the total deadline ends it."""
    galaxy_tree(tmp_path / "repo", [EGG])
    options = FetchOptions(net=NetOptions(retries=3, backoff=0.001, read_timeout=5, deadline=0.5, trust_env=False))
    with TreeServer(tmp_path / "repo", Faults(trickle=(1, 0.02))) as server:
        started = time.monotonic()
        report = fetch(server.url, tmp_path / "eggs", options=options)
        took = time.monotonic() - started
    [result] = report.results
    assert result.status == "failed" and "took more than 0.5 s in all" in result.reason
    # the whole egg trickles out in about 9 s: the deadline must end it long before, not at the
    # end of a 64 KB read that the trickle keeps open
    assert took < 4, f"the download lived {took:.1f} s past a 0.5 s deadline"
    assert not list((tmp_path / "eggs").glob("*.part"))


def test_listing_pages_per_run_are_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(httpsource, "MAX_PAGES", 3)
    galaxy_tree(tmp_path / "repo", [f"p{i}-1.0-py2.7.egg" for i in range(6)])
    with TreeServer(tmp_path / "repo") as server:
        report = fetch(server.url, tmp_path / "eggs", options=FAST)
        pages = [r for r in server.log if r.path.endswith("/")]
    assert len(pages) == 3
    assert sum("3 listing pages read already" in e for e in report.errors) == 4
    assert len([r for r in report.results if r.status == "downloaded"]) == 2


@pytest.mark.parametrize("argv", [
    ["fetch", "SRC", "-d", "D", "-j", "0"], ["fetch", "SRC", "-d", "D", "-j", "-3"],
    ["fetch", "SRC", "-d", "D", "--timeout", "0"], ["fetch", "SRC", "-d", "D", "--timeout", "nan"],
    ["fetch", "http://[::1", "-d", "D"], ["run", "http://[::1", "-o", "D"], ["run", "-o", "D", "-j", "0"],
    ["run", "-o", "D", "--timeout", "nan"], ["run", "-o", "D", "--retries", "-1"], ["convert", "-j", "-3", "x.egg"],
    ["check", "-j", "0", "x.whl"], ["publish", "-j", "0", "W", "-o", "D"], ["publish", "W", "--upload", "http://[::1"],
    ["pin", "x", "--mirror", "http://[::1", "--python", "2.7"], ["publish", "W", "-o", "D", "--base-url", "http://h:x/"],
])
def test_bad_numbers_and_urls_are_usage_errors_in_one_line(tmp_path, capsys, argv):
    argv = [str(tmp_path / a) if a in ("D", "W", "SRC") else a for a in argv]
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert len(err.strip().splitlines()) == 1 and "error:" in err and "Traceback" not in err
