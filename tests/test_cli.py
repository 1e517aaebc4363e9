"""The command line as a pip/twine user meets it: one name one meaning, usage errors, -q/-v, docs/cli.rst."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from migrate import pins
from migrate.cli import build_parser
from migrate.cli import main as cli
from migrate.commands import SUMMARY
from migrate.galaxy import eggsini
from tests.conftest import fixture_egg

DOCS = Path(__file__).resolve().parents[1] / "docs" / "cli.rst"


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return [o for a in parser._actions if a.help != argparse.SUPPRESS for o in a.option_strings if o != "-h"
            and o != "--help"]


REQUIRED = {"inspect": ["x.egg"], "convert": ["x.egg", "-d", "w"], "check": ["x.whl"], "fetch": ["-d", "e"],
            "publish": ["w"], "pin": ["--mirror", "m"], "run": ["-o", "out"]}


@pytest.mark.parametrize("name", list(SUMMARY))
def test_a_mistyped_option_prints_that_subcommands_usage(name, capsys):
    with pytest.raises(SystemExit) as exit:
        cli([name, *REQUIRED[name], "--no-such-option"])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: egg-migrate {name} ")
    assert f"egg-migrate {name}: error: " in err and "--no-such-option" in err


@pytest.mark.parametrize("name", list(SUMMARY))
def test_every_subcommand_has_q_and_v_and_its_options_in_docs_cli(name):
    parser = _subparsers()[name]
    options = _options(parser)
    assert {"-q", "--quiet", "-v", "--verbose"} <= set(options)
    text = DOCS.read_text("utf-8")
    section = text.split(f"\negg-migrate {name}\n")[1].split("\negg-migrate ")[0]
    shared = text.split("\nOptions of several subcommands\n")[1].split("\negg-migrate ")[0]
    missing = [o for o in options if f"``{o}" not in section and f"``{o}" not in shared]
    assert missing == []


def test_one_name_one_meaning_across_subcommands():
    """An option spelled the same in two subcommands is the same option (one helper adds it to both)."""
    parsers = _subparsers()
    for option in ("--target-python", "--target-abi", "--target-platform", "--upload", "--skip-existing"):
        kinds = {(a.dest, a.metavar, type(a).__name__, a.help.split(" (")[0])
                 for p in parsers.values() for a in p._actions if option in a.option_strings}
        assert len(kinds) == 1, option
    targets = [n for n, p in parsers.items() if "--target-python" in _options(p)]
    assert targets == ["pin", "run"]
    assert "--python" not in _options(parsers["pin"])  # the old name is hidden, still accepted


def test_pin_old_python_option_still_works_with_one_warning(published, capsys):
    root, _, _ = published
    assert cli(["pin", "purepkg", "--mirror", str(root), "--target-python", "3.10"]) == 0
    new = capsys.readouterr()
    assert cli(["pin", "purepkg", "--mirror", str(root), "--python", "3.10", "--platform",
                "manylinux_2_17_x86_64"]) == 0
    old = capsys.readouterr()
    assert old.out == new.out and "purepkg==" in old.out
    warnings = [line for line in old.err.splitlines() if "deprecated" in line]
    assert warnings == ["egg-migrate pin: warning: --python is deprecated; use --target-python",
                        "egg-migrate pin: warning: --platform is deprecated; use --target-platform"]


def test_pin_target_errors_name_the_option(published, capsys):
    root, _, _ = published
    with pytest.raises(SystemExit) as exit:
        cli(["pin", "purepkg", "--mirror", str(root)])
    assert exit.value.code == 2
    assert capsys.readouterr().err == ("egg-migrate pin: error: the following arguments are required: "
                                       "--target-python (see egg-migrate pin --help)\n")
    assert cli(["pin", "purepkg", "--mirror", str(root), "--target-python", "two"]) == 2
    assert capsys.readouterr().err == ("egg-migrate: --target-python: Python version 'two': expected X.Y or "
                                       "X.Y.Z, like 2.7\n")
    assert cli(["pin", "purepkg", "--mirror", str(root), "--target-python", "2.7",
                "--target-platform", "manylinux_x"]) == 2
    assert "egg-migrate: --target-platform: platform 'manylinux_x'" in capsys.readouterr().err


def test_library_errors_name_the_value_not_a_flag():
    with pytest.raises(pins.BadTarget) as bad:
        pins.Target.make("two")
    assert bad.value.part == "python" and "--" not in str(bad.value)
    with pytest.raises(eggsini.InvalidTarget) as invalid:
        eggsini.parse_target("2.7", "linux")
    assert invalid.value.part == "platform" and "--" not in str(invalid.value)


def test_quiet_and_verbose(published, capsys):
    root, _, _ = published
    assert cli(["pin", "purepkg", "--mirror", str(root), "--target-python", "3.10", "-v"]) == 0
    assert re.search(r"^  purepkg==\S+ via ", capsys.readouterr().err, re.M)
    assert cli(["pin", "purepkg", "--mirror", str(root), "--target-python", "3.10", "-q"]) == 0
    quiet = capsys.readouterr().err.splitlines()
    assert len(quiet) == 1 and quiet[0].startswith("pinned 1 ")


def test_convert_quiet_says_only_the_final_line_and_verbose_the_reasons(tmp_path, capsys):
    egg = str(fixture_egg("cext-1.0-py3.10-linux-x86_64.egg"))
    assert cli(["convert", egg, "-d", str(tmp_path / "a"), "-q"]) == 0
    quiet = capsys.readouterr()
    assert quiet.out == "" and quiet.err.startswith("converted 1 of 1 eggs") and quiet.err.count("\n") == 1
    assert cli(["convert", egg, "-d", str(tmp_path / "b")]) == 0
    normal = capsys.readouterr().out
    assert normal.startswith("ok      cext-1.0-py3.10-linux-x86_64.egg -> ") and "platform:" not in normal
    assert cli(["convert", egg, "-d", str(tmp_path / "c"), "-v"]) == 0
    verbose = capsys.readouterr().out
    assert "        python: " in verbose and "        platform: " in verbose


def test_publish_quiet_and_verbose(fixture_wheels, tmp_path, capsys):
    wheel = Path(fixture_wheels["purepkg-1.0-py3.10.egg"].wheel)
    assert cli(["publish", str(wheel), "-o", str(tmp_path / "m"), "-v"]) == 0
    verbose = capsys.readouterr().err
    assert f"  read    {wheel.name}\n" in verbose and "use it: pip install" in verbose
    assert cli(["publish", str(wheel), "-o", str(tmp_path / "q"), "-q"]) == 0
    quiet = capsys.readouterr().err.splitlines()
    assert len(quiet) == 1 and quiet[0].startswith("published 1 wheels")


def test_fetch_quiet_and_verbose(tmp_path, capsys):
    sample = Path(__file__).resolve().parents[1] / "data" / "sample-repo"
    assert cli(["fetch", str(sample), "-d", str(tmp_path / "v"), "--project", "sampledep", "-v"]) == 0
    verbose = capsys.readouterr()
    assert "egg-migrate fetch: sampledep-1.0-py2.7.egg: downloaded\n" in verbose.err
    assert cli(["fetch", str(sample), "-d", str(tmp_path / "q"), "--project", "sampledep", "-q"]) == 0
    quiet = capsys.readouterr()
    assert quiet.err == "" and quiet.out.startswith("2 eggs in ") and quiet.out.count("\n") == 1


def test_check_quiet_shows_only_wheels_with_errors(fixture_wheels, tmp_path, capsys):
    good = Path(fixture_wheels["purepkg-1.0-py3.10.egg"].wheel)
    bad = tmp_path / "broken-1.0-py3-none-any.whl"
    bad.write_bytes(b"not a zip")
    assert cli(["check", str(good), str(bad), "-q"]) == 1
    quiet = capsys.readouterr()
    assert quiet.out.startswith("ERRORS 1") and good.name not in quiet.out
    assert quiet.err.startswith("checked 2 wheels: 1 ok")
    assert cli(["check", str(good), str(bad)]) == 1
    assert good.name in capsys.readouterr().out


def test_no_progress_bars_under_quiet(monkeypatch):
    from migrate.commands import common, progress

    monkeypatch.setattr(progress.sys.stderr, "isatty", lambda: True)
    try:
        common.set_verbosity(common.QUIET)
        assert not progress.on_terminal() and progress.stage_bars() is None
        common.set_verbosity(common.NORMAL)
        assert progress.on_terminal()
    finally:
        common.set_verbosity(common.NORMAL)
