"""``OUT/report.html``: self-contained, escaped, deterministic, and working in a real browser.

The browser test runs Debian's headless Chromium (skipped when it is absent) on the page
a real run wrote: the filter from the URL hides the other rows, and every link into the
mirror leads to a file that is there.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from migrate import problems as P
from migrate.records import FAILED, ChosenTags, EggRecord, Source, WheelFile
from migrate.run.htmlreport import render_html
from tests.runner import migrate_main

HOSTILE = '<script>alert("x")</script>&\x1b[31m'


class _Page(HTMLParser):
    """The page's tags and attributes, and its text, as a browser's parser sees them."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def _hostile_record() -> EggRecord:
    tags = ChosenTags("py2-none-any", "py2", "none", "any", {"python": HOSTILE})
    wheel = WheelFile(f"x{HOSTILE}.whl", "/w/x.whl", "0" * 64, 1, tags)
    return EggRecord(egg=f"/eggs/{HOSTILE}.egg", source=Source(f"/eggs/{HOSTILE}.egg"), status=FAILED,
                     reason=HOSTILE, project=HOSTILE, wheel=wheel, external_libraries=(HOSTILE,),
                     problems=(P.error("C001", HOSTILE),))


def test_remote_text_is_escaped_everywhere(tmp_path):
    text = render_html([_hostile_record()], tmp_path, mirror=tmp_path / "mirror")
    page = _parse(text)
    scripts = [t for t, _ in page.tags if t == "script"]
    assert len(scripts) == 1, "only the page's own script may be a <script>"
    assert "<script>alert" not in text
    assert HOSTILE in "".join(page.text), "the text is shown, escaped, not dropped"


def test_the_page_is_self_contained_and_deterministic(tmp_path):
    records = [_hostile_record()]
    text = render_html(records, tmp_path, mirror=tmp_path / "mirror")
    assert text == render_html(records, tmp_path, mirror=tmp_path / "mirror")
    for tag, attrs in _parse(text).tags:
        for key in ("src", "href"):
            assert not re.match(r"^[a-z]+:", attrs.get(key) or ""), (tag, attrs)  # nothing off the page's folder
    assert not any(t in ("link", "img", "iframe") for t, _ in _parse(text).tags)


def test_run_writes_the_page_with_every_egg_and_live_links(sample_run: Path):
    text = (sample_run / "report.html").read_text(encoding="utf-8")
    page = _parse(text)
    rows = [a for t, a in page.tags if t == "tr" and "data-status" in a]
    assert len(rows) == 15 and sum(a["data-status"] == "failed" for a in rows) == 1
    assert sum(t == "svg" for t, _ in page.tags) == 3  # outcomes, ABIs, platforms
    links = [a["href"] for t, a in page.tags if t == "a"]
    assert any(h.startswith("mirror/simple/") for h in links)
    for href in links:
        assert (sample_run / unquote(href)).is_file(), href


def test_a_rerun_leaves_the_page_byte_for_byte(sample_run):
    before = (sample_run / "report.html").read_bytes()
    assert migrate_main(sample_run).returncode == 1
    assert (sample_run / "report.html").read_bytes() == before


def test_chromium_filters_the_table_from_the_url(sample_run):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    url = (sample_run / "report.html").as_uri() + "#status=failed"
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", url],
                         capture_output=True, text=True, timeout=120).stdout
    rows = re.findall(r'<tr data-status="(\w+)"( style="display: none;")?>', dom)
    assert len(rows) == 15, dom[:500]
    shown = [status for status, hidden in rows if not hidden]
    assert shown == ["failed"], rows
