"""The PKG-INFO reader (eggs/pkginfotext.py) against pkginfo, the oracle: the same fields from
every PKG-INFO at hand (fixture eggs, data/sample-repo, the real PyPI eggs of scripts/real-eggs and
the benchmark's sdist eggs when their caches are there) and from generated texts; the forms it hands
to pkginfo (carriage returns, form feeds, ``From `` lines, a Content-Type) give pkginfo's answer too."""
from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pkginfo.distribution import Distribution

from migrate.eggs import pkginfotext
from migrate.eggs.egginfo import parse_pkg_info
from migrate.eggs.pkginfotext import read_pkg_info

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path.home() / ".cache" / "egg-migrate"


def oracle(text: str) -> dict[str, object]:
    dist = Distribution()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unknown Metadata-Version: pkginfo warns and reads no field
        dist.parse(text.encode("utf-8"))
    return dict(vars(dist))


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _pkg_infos() -> list[tuple[str, str]]:
    eggs = sorted((ROOT / "tests" / "fixtures" / "eggs").glob("*.egg")) + sorted((ROOT / "data").rglob("*.egg"))
    for cached in ("real-eggs", "bench-eggs"):
        eggs += sorted((CACHE / cached).glob("*.egg"))
    found = []
    for egg in eggs:
        if egg.is_dir():
            info = egg / "EGG-INFO" / "PKG-INFO"
            if info.is_file():
                found.append((egg.name, _decoded(info.read_bytes())))
            continue
        try:
            with zipfile.ZipFile(egg) as z:
                found.append((egg.name, _decoded(z.read("EGG-INFO/PKG-INFO"))))
        except (KeyError, zipfile.BadZipFile):
            continue
    return found


PKG_INFOS = _pkg_infos()


def test_there_are_pkg_infos_to_compare():
    assert len(PKG_INFOS) >= 15


@pytest.mark.parametrize("name, text", PKG_INFOS, ids=[n for n, _ in PKG_INFOS])
def test_every_pkg_info_at_hand_reads_as_pkginfo_reads_it(name, text):
    assert pkginfotext._read(text) is not None, "a real PKG-INFO takes the fast path"
    assert read_pkg_info(text) == oracle(text)


CASES = {
    "plain": "Metadata-Version: 1.1\nName: a\nVersion: 1.0\nClassifier: X\nClassifier: Y\n",
    "1.0 reads no Classifier": "Metadata-Version: 1.0\nName: a\nClassifier: X\nRequires-Dist: b\n",
    "unknown version reads nothing": "Metadata-Version: 1.3\nName: a\nVersion: 1\n",
    "no version reads nothing": "Name: a\nVersion: 1\n",
    "a later version reads as the newest": "Metadata-Version: 9.1\nName: a\nLicense-Expression: MIT\nImport-Name: b\n",
    "not a number": "Metadata-Version: x.y\nName: a\n",
    "body wins over Description": "Metadata-Version: 2.1\nName: a\nDescription: head\n\nbody line\n\nmore\n",
    "folded description": "Metadata-Version: 1.0\nName: a\nDescription: one\n        two\n        |three\n",
    "no blank line before the body": "Metadata-Version: 1.0\nName: a\nnot a header line\nSummary: s\n",
    "space before the colon": "Metadata-Version: 1.0\nName : a\nSummary: s\n",
    "no name": "Metadata-Version: 1.0\n: a\n  cont\nSummary: s\n",
    "first line continued": "  lead\nMetadata-Version: 1.0\nName: a\n",
    "names without case": "metadata-version: 1.2\nNAME: a\nrequires-dist: b\nREQUIRES-DIST: c\n",
    "UNKNOWN": "Metadata-Version: 1.0\nName: a\nSummary: UNKNOWN\nPlatform: UNKNOWN\n",
    "tabs and trailing": "Metadata-Version:\t1.0 \nName:\ta  \n\tb\nSummary:   x\n",
    "no final newline": "Metadata-Version: 1.0\nName: a",
    "only a body": "\nbody\n",
    "empty": "",
    "Windows line ends": "Metadata-Version: 1.0\r\nName: a\r\n  b\r\nDescription: x\r\n        y\r\n\r\nbody\r\n",
    "non-ASCII": "Metadata-Version: 1.0\nName: a\nAuthor: Jos\u00e9 \u00c9\nSummary: \u2603\n",
}
# handed to pkginfo
FALLBACKS = {
    "lone carriage returns": "Metadata-Version: 1.0\rName: a\r\rbody\r",
    "form feed": "Metadata-Version: 1.0\nName: a\nSummary: x\x0cy\n",
    "unix from": "From someone\nMetadata-Version: 1.0\nName: a\n",
    "a Content-Type": "Metadata-Version: 1.0\nName: a\nContent-Type: text/plain\n\nbody\n",
    "line separator": "Metadata-Version: 1.0\nName: a\u2028b\n",
}


@pytest.mark.parametrize("text", list(CASES.values()), ids=list(CASES))
def test_forms_read_as_pkginfo_reads_them(text):
    assert pkginfotext._read(text) is not None
    assert read_pkg_info(text) == oracle(text)


@pytest.mark.parametrize("text", list(FALLBACKS.values()), ids=list(FALLBACKS))
def test_other_forms_go_to_pkginfo(text):
    assert pkginfotext._read(text) is None
    assert read_pkg_info(text) == oracle(text)


def test_the_fields_follow_the_metadata_version():
    assert read_pkg_info(CASES["1.0 reads no Classifier"]) == {"metadata_version": "1.0", "name": "a"}
    assert read_pkg_info(CASES["unknown version reads nothing"]) == {"metadata_version": "1.3"}
    assert read_pkg_info(CASES["body wins over Description"])["description"] == "body line\n\nmore\n"


LINES = st.sampled_from([
    "Metadata-Version: 1.0\n", "Metadata-Version: 1.1\n", "Metadata-Version: 2.1\n", "Metadata-Version: 2.4\n",
    "Metadata-Version: 3.0\n", "Metadata-Version: 1.x\n", "Name: a\n", "name:b\n", "Version: 1.0\n",
    "Summary: UNKNOWN\n", "Summary:  s  t \n", "Classifier: C :: D\n", "Requires-Dist: x (>1)\n",
    "Provides-Extra: e\n", "Description: d\n", "Description: \n", "        |more\n", "  cont\n", "\tcont\n",
    "\n", " \n", ": x\n", "x y: z\n", "Keywords: a b\n", "Home-page: h\n", "Home-Page: H\n", "body text\n",
    "License-Expression: MIT\n", "Description-Content-Type: text/markdown\n", "Platform: any\n", "\u00e9: x\n",
    "Author: \u00e9\u2603\n", "X-Other:\n", "Summary: no newline", "Name: crlf\r\n", "\r\n", "  c\r\n",
])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINES, max_size=14), st.text(max_size=20))
def test_generated_texts_read_as_pkginfo_reads_them(lines, tail):
    text = "".join(lines) + tail
    assert read_pkg_info(text) == oracle(text)


def test_a_multipart_body_is_no_description():
    """pkginfo hands back a list of MIME parts as the description: the egg is read without one."""
    text = "Metadata-Version: 1.0\nName: a\nContent-Type: multipart/mixed; boundary=x\n\n--x\n\nhi\n--x--\n"
    assert parse_pkg_info(text).name == "a"
    assert parse_pkg_info(text).description is None
