"""eggs.ini: parsed as Galaxy's ConfigParser did, bad files named by line, Galaxy's egg names."""
from __future__ import annotations

import pytest

from migrate.galaxy import eggsini
from migrate.galaxy.eggsini import EggTarget, InvalidEggsIni, InvalidTarget, parse_target, platform_note

# Galaxy 15.10's eggs.ini (abridged: every section, comments, a commented-out egg).
GALAXY_1510 = """\
;
; Galaxy egg version configuration
;
; This file is version controlled and should not be edited by hand!
; For more information, see:
;   https://wiki.galaxyproject.org/Admin/Config/Eggs
;

[general]
repository = http://eggs.galaxyproject.org
; these eggs must be scrambled for your local environment
no_auto = pbs_python

[eggs:platform]
bx_python = 0.7.2
MarkupSafe = 0.12
MySQL_python = 1.2.3c1
numpy = 1.6.0
pbs_python = 4.4.0
psycopg2 = 2.5.1
pysam = 0.4.2
python_lzo = 1.08_2.03_static
SQLAlchemy = 1.0.8
; msgpack_python = 0.2.4

[eggs:noplatform]
Mako = 0.4.1
repoze.lru = 0.6
WebError = 0.8a
Whoosh = 2.4.1

; extra version information
[tags]
psycopg2 = _9.2.4_static
MySQL_python = _5.1.41_static
pysam = _kanwei_b10f6e722e9a

; dependency source urls, necessary for scrambling.  for an explanation, see
; the wiki page above
[source]
MySQL_python = mysql-5.1.41
psycopg2 = postgresql-9.2.4
pysqlite = sqlite-amalgamation-3_6_17

[dependencies]
bx_python = numpy
"""


def test_galaxy_1510_file_parses_completely(tmp_path):
    path = tmp_path / "eggs.ini"
    path.write_text(GALAXY_1510)
    ini = eggsini.parse(path)
    assert ini.repository == "http://eggs.galaxyproject.org"
    assert ini.no_auto == ("pbs_python",)
    assert [p.key for p in ini.platform_eggs][:3] == ["bx_python", "MarkupSafe", "MySQL_python"]
    assert "msgpack_python" not in ini.eggs  # commented out
    assert ini.eggs["repoze.lru"].version == "0.6" and not ini.eggs["repoze.lru"].platform_specific
    assert ini.eggs["psycopg2"].full_version == "2.5.1_9.2.4_static"
    assert ini.tags["pysam"] == "_kanwei_b10f6e722e9a"
    assert ini.sources["psycopg2"] == ("postgresql-9.2.4",)
    assert ini.dependencies == {"bx_python": ("numpy",)}
    assert ini.eggs["psycopg2"].lineno == 20
    assert ini.problems == ()


def test_wanted_names_are_galaxys_for_ucs4_and_ucs2_side_by_side():
    ini = eggsini.parse_text(GALAXY_1510)
    ucs4, ucs2 = parse_target("2.7", "linux-x86_64-ucs4"), parse_target("2.7", "linux-x86_64-ucs2")
    wanted = ini.wanted([ucs4, ucs2])
    urls = [w.url(ini.repository) for w in wanted]
    assert ("http://eggs.galaxyproject.org/psycopg2/psycopg2-2.5.1_9.2.4_static-py2.7-linux-x86_64-ucs4.egg"
            in urls)
    assert ("http://eggs.galaxyproject.org/psycopg2/psycopg2-2.5.1_9.2.4_static-py2.7-linux-x86_64-ucs2.egg"
            in urls)
    assert "http://eggs.galaxyproject.org/Mako/Mako-0.4.1-py2.7.egg" in urls
    assert "http://eggs.galaxyproject.org/repoze.lru/repoze.lru-0.6-py2.7.egg" in urls
    assert "http://eggs.galaxyproject.org/pysam/pysam-0.4.2_kanwei_b10f6e722e9a-py2.7-linux-x86_64-ucs2.egg" in urls
    # pure eggs once per Python, platform eggs once per platform; no_auto left out
    assert sum(u.endswith("Mako-0.4.1-py2.7.egg") for u in urls) == 1
    assert not any("pbs_python" in u for u in urls)
    assert len(wanted) == 2 * 8 + 4
    with_no_auto = ini.wanted(ucs4, include_no_auto=True)
    assert "pbs_python-4.4.0-py2.7-linux-x86_64-ucs4.egg" in [w.filename for w in with_no_auto]


def test_wanted_projects_match_loosely():
    ini = eggsini.parse_text(GALAXY_1510)
    names = [w.filename for w in ini.wanted(EggTarget(), projects=["mysql-python", "REPOZE_LRU"])]
    assert names == ["MySQL_python-1.2.3c1_5.1.41_static-py2.7-linux-x86_64-ucs4.egg", "repoze.lru-0.6-py2.7.egg"]


def test_configparser_era_spacing_comments_and_continuations():
    text = (
        "# hash comment\n"
        "rem a REM comment, as ConfigParser allowed\n"
        "[general]\n"
        "repository=http://eggs.example.org/new/   \n"
        "no_auto = pbs_python\n"
        "   DRMAA_python\n"  # continuation line
        "[eggs:platform]\n"
        "pysam :0.4.2\n"
        "psycopg2\t=\t2.5.1 ; inline comment after whitespace\n"
        "  ; an indented comment\n"
        "[eggs:noplatform]\n"
        "Paste = 1.7.5.1\n"
        "[tags]\n"
        "psycopg2 = %(static)s\n"
        "static = _9.2.4_static\n"
        "percent = 100%%\n"
    )
    ini = eggsini.parse_text(text)
    assert ini.repository == "http://eggs.example.org/new"
    assert ini.no_auto == ("pbs_python", "DRMAA_python")
    assert ini.eggs["pysam"].version == "0.4.2"
    assert ini.eggs["psycopg2"].version == "2.5.1" and ini.eggs["psycopg2"].tag == "_9.2.4_static"
    assert ini.tags["percent"] == "100%"
    assert "Paste" in ini.eggs  # keys keep their case...
    with pytest.raises(InvalidEggsIni):  # ...and ';' without whitespace before it is part of the value
        eggsini.parse_text("[eggs:noplatform]\nPaste = 1.7.5.1;x y\n")
    codes = {p.code for p in ini.problems}
    assert "eggsini-unused-tag" in codes  # [tags] static / percent name no egg


def test_keys_are_case_sensitive_and_repeats_warn():
    ini = eggsini.parse_text("[eggs:noplatform]\nmako = 0.3\nMako = 0.4.1\nMako = 0.4.2\n")
    assert ini.eggs["mako"].version == "0.3"
    assert ini.eggs["Mako"].version == "0.4.2"  # the later one wins, as in Python 2
    assert any(p.code == "eggsini-repeated-key" and ":4:" in p.message for p in ini.problems)


def test_both_sections_noplatform_wins_like_galaxy():
    ini = eggsini.parse_text("[eggs:platform]\nfoo = 1.0\n[eggs:noplatform]\nfoo = 2.0\n")
    assert ini.eggs["foo"].version == "2.0" and not ini.eggs["foo"].platform_specific
    assert [w.filename for w in ini.wanted(EggTarget())] == ["foo-2.0-py2.7.egg"]
    assert any(p.code == "eggsini-both-sections" for p in ini.problems)


@pytest.mark.parametrize("text, lineno, words", [
    ("bx_python = 0.7.2\n[eggs:platform]\n", 1, "before any [section]"),
    ("[general]\nrepository = x\n[eggs:platform]\nthis line has no equals sign\n", 4, "neither 'name = value'"),
    ("[eggs:platform]\npsycopg2 =\n", 2, "no version"),
    ("[eggs:platform]\npsycopg2 = 2.5.1 beta\n", 2, "has a space"),
    ("[eggs:platform]\npsycopg2 = 2.5-1\n", 2, "'-'"),
    ("[eggs:noplatform]\nbad name = 1.0\n", 2, "egg name 'bad name'"),
    ("[eggs:noplatform]\na/b = 1.0\n", 2, "egg name 'a/b'"),
    ("[eggs:noplatform]\n.. = 1.0\n", 2, "egg name '..' starts with '.'"),
    ("[eggs:platform]\npsycopg2 = 2.5.1\n[tags]\npsycopg2 = _9.2.4 static\n", 4, "tag"),
    ("[eggs:platform]\npsycopg2 = 2.5.1\n[tags]\npsycopg2 = 50%\n", 4, "'%' must be followed"),
    ("[eggs:platform]\npsycopg2 = %(nothere)s\n", 2, "%(nothere)s names no key"),
    ("[eggs:platform]\na = %(b)s\nb = %(a)s\n", 2, "nest too deep"),
    ("[general]\nrepository = http://x y\n[eggs:platform]\n", 2, "has spaces"),
    ("[eggs:platform]\nfoo = 1.0\x00\n", 2, "NUL"),
    ("[eggs:platform]\npysam = 0.4.2\n  psycopg2 = 2.5.1\n", 2, "indented"),
])
def test_bad_files_get_one_line_naming_the_line(tmp_path, text, lineno, words):
    path = tmp_path / "eggs.ini"
    path.write_text(text)
    with pytest.raises(InvalidEggsIni) as info:
        eggsini.parse(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:{lineno}: "), message
    assert words in message
    assert info.value.lineno == lineno


def test_not_an_eggs_ini_and_unreadable(tmp_path):
    path = tmp_path / "setup.cfg"
    path.write_text("[metadata]\nname = foo\n")
    with pytest.raises(InvalidEggsIni, match=r"setup.cfg: no \[eggs:platform\] or \[eggs:noplatform\]"):
        eggsini.parse(path)
    with pytest.raises(InvalidEggsIni, match="cannot read"):
        eggsini.parse(tmp_path / "missing.ini")


def test_latin1_and_bom_files_read(tmp_path):
    path = tmp_path / "eggs.ini"
    path.write_bytes(b"\xef\xbb\xbf; caf\xc3\xa9\n[eggs:noplatform]\nMako = 0.4.1\n")
    assert eggsini.parse(path).eggs["Mako"].version == "0.4.1"
    path.write_bytes(b"; caf\xe9 (latin-1)\n[eggs:noplatform]\nMako = 0.4.1\n")
    assert eggsini.parse(path).eggs["Mako"].version == "0.4.1"


def test_targets_normalised_as_galaxy_did():
    assert parse_target("2.7", "linux-x86_64-ucs4") == EggTarget("2.7", "linux-x86_64-ucs4")
    assert parse_target(None, "py2.6-linux-i686-ucs2") == EggTarget("2.6", "linux-i686-ucs2")
    assert parse_target("2.7", "linux-x86_64").platform == "linux-x86_64-ucs4"  # Linux default
    # macOS: < 10.6 -> 10.6; i386/x86_64/universal -> intel; python.org builds are UCS2
    assert parse_target("2.7", "macosx-10.9-x86_64").platform == "macosx-10.9-intel-ucs2"
    assert parse_target("2.7", "macosx-10.4-universal-ucs2").platform == "macosx-10.6-intel-ucs2"
    assert parse_target("3.6", "linux-x86_64").platform == "linux-x86_64"  # no UCS split on Python 3
    assert str(EggTarget("2.7", "linux-x86_64-ucs4")) == "py2.7-linux-x86_64-ucs4"
    for bad in [("2.7", "py2.6-linux-x86_64"), ("two", "linux-x86_64"), ("2.7", "linux"),
                ("2.7", "macosx-x-intel")]:
        with pytest.raises(InvalidTarget):
            parse_target(*bad)


def test_platform_compatibility_is_pkg_resources_as_patched_by_galaxy():
    assert platform_note("linux-x86_64-ucs4", "linux-x86_64-ucs4") == ""
    assert "backward compatible" in platform_note("macosx-10.6-intel-ucs2", "macosx-10.9-intel-ucs2")
    assert platform_note("macosx-10.9-intel-ucs2", "macosx-10.6-intel-ucs2") is None  # newer never on older
    assert platform_note("macosx-10.6-intel-ucs4", "macosx-10.9-intel-ucs2") is None
    assert platform_note("linux-i686-ucs4", "linux-x86_64-ucs4") is None  # 32-bit code in 64-bit Python
    assert platform_note("linux-x86_64-ucs2", "linux-x86_64-ucs4") is None
