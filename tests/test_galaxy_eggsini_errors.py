"""A bad eggs.ini given to ``egg-migrate run``: one line naming the file, the line and the problem; exit 1."""
from __future__ import annotations

from pathlib import Path

import pytest

from migrate.cli import main

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample-repo"

GOOD_HEAD = """\
; Galaxy egg version configuration
[general]
repository = http://eggs.galaxyproject.org
no_auto = pbs_python
"""

# (name, file text, line named, words the message must have)
BAD = [
    ("pin before any section", "bx_python = 0.7.2\n[eggs:platform]\n", 1, "before any [section]"),
    ("no '=' or ':'", GOOD_HEAD + "[eggs:platform]\nbx_python 0.7.2\n", 6, "neither 'name = value'"),
    ("no version", GOOD_HEAD + "[eggs:noplatform]\nMako =\n", 6, "Mako: no version"),
    ("version with a space", GOOD_HEAD + "[eggs:platform]\npysam = 0.4.2 kanwei\n", 6, "has a space"),
    ("tag with '-'", GOOD_HEAD + "[eggs:platform]\npysam = 0.4.2\n[tags]\npysam = -kanwei\n", 8, "tag '-kanwei'"),
    ("indented line glued to the version", GOOD_HEAD + "[eggs:noplatform]\nMako = 0.4.1\n  Paste = 1.6\n", 6,
     "goes on over the next, indented line"),
    ("lone %", GOOD_HEAD + "[eggs:noplatform]\nMako = 0.4%\n", 6, "'%' must be followed by"),
    ("%(name)s loop", GOOD_HEAD + "[eggs:noplatform]\na = %(b)s\nb = %(a)s\n", 6, "nest too deep"),
    ("egg name with a slash", GOOD_HEAD + "[eggs:noplatform]\n../Mako = 0.4.1\n", 6, "has a space or '/'"),
    ("dependency that is not a project", GOOD_HEAD + "[eggs:platform]\nbx_python = 0.7.2\n"
     "[dependencies]\nbx_python = num(py\n", 8, "'num(py' is not a project name"),
    ("binary junk", GOOD_HEAD + "[eggs:platform]\nbx_python = 0.7.2\x00\n", 6, "NUL byte"),
    ("repository with spaces", "[general]\nrepository = http://eggs.example.org/a b\n[eggs:platform]\nx = 1\n", 2,
     "has spaces"),
]


@pytest.mark.parametrize("text,line,words", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_eggs_ini_is_one_line_naming_the_line(tmp_path, capsys, text, line, words):
    ini = tmp_path / "eggs.ini"
    ini.write_bytes(text.encode())
    out = tmp_path / "out"
    assert main(["run", "--eggs-ini", str(ini), str(SAMPLE), "-o", str(out)]) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"egg-migrate run: {ini}:{line}: "), lines[0]
    assert words in lines[0]
    assert captured.out == ""
    # nothing was fetched or written for a file that was never read
    written = [p for p in out.rglob("*") if p.is_file() and ".state" not in p.parts] if out.exists() else []
    assert written == []


def test_not_a_galaxy_eggs_ini_names_the_file(tmp_path, capsys):
    ini = tmp_path / "setup.cfg"
    ini.write_text("[metadata]\nname = foo\n")
    assert main(["run", "--eggs-ini", str(ini), str(SAMPLE), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (f"egg-migrate run: {ini}: no [eggs:platform] or [eggs:noplatform] section: "
                   "not a Galaxy eggs.ini")


def test_missing_eggs_ini_names_the_file(tmp_path, capsys):
    ini = tmp_path / "nowhere" / "eggs.ini"
    # docs/run.rst, "Exit status": an --eggs-ini that does not exist is a usage error (2); a file that
    # is there but wrong (the tests above) fails the run (1).
    assert main(["run", "--eggs-ini", str(ini), str(SAMPLE), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("egg-migrate run: ") and str(ini) in err and "\n" not in err
