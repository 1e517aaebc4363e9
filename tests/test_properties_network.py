"""Property tests for the parsers that read what a server or a deployment hands us.

eggs.ini, autoindex/PEP 503 HTML pages and PEP 691 JSON: for any input, a clear
error (a ``MigrateError``) or a valid result, never another exception; and what comes
out obeys the listing rules (safe egg names, listings under the root, off-host eggs
only with a sha256 from an index project page).
"""
from __future__ import annotations

import json
from urllib.parse import urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migrate.errors import MigrateError
from migrate.fetch.listing import check_filename
from migrate.fetch.pages import Scope, html_page, json_files, json_projects
from migrate.galaxy import eggsini

ROOT = "http://eggs.test:8080/simple/"
SCOPE = Scope.of(ROOT)
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

pieces = st.sampled_from([
    "spam-1.0-py2.7.egg", "../x-1.0.egg", "/abs-1.0.egg", "http://other:1/a-1.0-py2.7.egg", "http://[::1",
    "http://eggs.test:8080/simple/b-2.0-py2.6-linux-x86_64.egg#sha256=" + "a" * 64, "#top", "?C=N", "x\x1b[2J/",
    "https://files.example/h-1.0.egg#sha256=" + "b" * 64, "file:///etc/passwd", "sub/", "..", "%2e%2e/", "a b.egg",
    "http://u:p@eggs.test:8080/c-1.0.egg", "http://eggs.test:99999/d.egg", "javascript:x", "\x00", "é-1.0.egg",
])
text = st.text(max_size=40)


def hrefs():
    return st.lists(st.one_of(pieces, text, st.builds(lambda a, b: a + b, pieces, pieces)), max_size=8)


class Resp:
    """Enough of a requests.Response for the JSON readers."""

    def __init__(self, body: bytes, url: str = ROOT):
        self.content, self.url = body, url
        self.headers = {"Content-Type": "application/vnd.pypi.simple.v1+json"}


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
                           max_leaves=20)
field = st.one_of(json_values, pieces)
entries = st.lists(st.fixed_dictionaries({}, optional={"url": field, "filename": field, "hashes": st.one_of(
    field, st.fixed_dictionaries({"sha256": st.one_of(field, st.just("c" * 64))})), "size": field, "name": field}),
    max_size=5)
documents = st.one_of(
    json_values,
    st.fixed_dictionaries({}, optional={"meta": st.one_of(field, st.fixed_dictionaries(
        {}, optional={"api-version": field})), "files": st.one_of(field, entries), "projects": st.one_of(field, entries)}),
)


@FAST
@given(hrefs(), st.one_of(st.none(), st.just("spam")), text)
def test_an_html_page_gives_safe_links_or_says_why_not(links, project, noise):
    page = noise + "".join(f'<a href="{h}">{h}</a>' for h in links) + noise
    listing, folders = html_page(SCOPE, ROOT + "spam/", page, project)
    for link in listing.links:
        assert check_filename(link.filename) is None
        parts = urlsplit(link.url)
        assert "@" not in parts.netloc and parts.scheme in ("http", "https")
        assert SCOPE.elsewhere(parts) is None or (project and link.sha256)
    for url, _ in folders:
        assert SCOPE.outside(url) is None


@FAST
@given(documents)
def test_pep691_json_gives_a_listing_or_a_clear_error(document):
    body = json.dumps(document).encode()
    try:
        projects, refused = json_projects(SCOPE, Resp(body))
    except MigrateError:
        projects = []
    for _name, url in projects:
        assert SCOPE.outside(url) is None
    listing = json_files(SCOPE, Resp(body, ROOT + "spam/"), "spam")
    for link in listing.links:
        assert check_filename(link.filename) is None
        assert SCOPE.elsewhere(urlsplit(link.url)) is None or link.sha256


@FAST
@given(st.binary(max_size=200))
def test_pep691_bytes_that_are_not_json_are_a_clear_error(body):
    try:
        json_projects(SCOPE, Resp(body))
    except MigrateError:
        pass
    json_files(SCOPE, Resp(body), "spam")


ini_lines = st.sampled_from([
    "[general]", "repository = http://eggs.test/", "no_auto = pysam", "[eggs:platform]", "[eggs:noplatform]",
    "[tags]", "[source]", "[dependencies]", "psycopg2 = 2.5.1", "psycopg2 = _9.2.4_static", "bx_python = numpy",
    "= 1", "x =", "[eggs:platform", "  continued", "%(x)s = 1", "a = %(b)s", "[DEFAULT]", "k: v", "; c", "\x00",
])


@FAST
@given(st.lists(st.one_of(ini_lines, text), max_size=12))
def test_eggs_ini_parses_or_names_the_problem(lines):
    try:
        ini = eggsini.parse_text("\n".join(lines))
    except MigrateError as exc:
        assert "\n" not in str(exc).strip()
        return
    for pin in ini.platform_eggs + ini.noplatform_eggs:
        assert pin.key and pin.version
