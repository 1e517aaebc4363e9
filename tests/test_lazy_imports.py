"""Start-up cost: the command line loads only what the subcommand being run needs.

Checked by what ``sys.modules`` holds in a fresh interpreter, not by timing: ``requests``,
``resolvelib`` and pyelftools' parser cost tens of milliseconds each to import, and
``egg-migrate --version`` or a conversion of ordinary eggs needs none of them.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EGGS = Path(__file__).parent / "fixtures" / "eggs"
HEAVY = ("requests", "resolvelib", "elftools.elf", "urllib3", "tqdm")


def _loaded_after(code: str) -> set[str]:
    script = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def _heavy(modules: set[str]) -> set[str]:
    return {m for m in modules if m.startswith(HEAVY)}


def test_importing_the_cli_loads_nothing_heavy():
    loaded = _loaded_after("import migrate.cli")
    assert "migrate.cli" in loaded
    assert _heavy(loaded) == set()
    assert not any(m.startswith("migrate.commands.") for m in loaded)


def test_version_and_help_load_no_subcommand():
    for flag in ("--version", "--help"):
        loaded = _loaded_after(f"import contextlib, io, migrate.cli\nwith contextlib.redirect_stdout(io.StringIO()):\n"
                               f"    try:\n        migrate.cli.main([{flag!r}])\n    except SystemExit:\n        pass")
        assert not any(m.startswith("migrate.commands.") for m in loaded), flag
        assert _heavy(loaded) == set(), flag


def test_converting_eggs_with_extensions_needs_neither_the_network_nor_pyelftools(tmp_path):
    eggs = [str(EGGS / "cext-1.0-py3.10-linux-x86_64.egg"), str(EGGS / "xmlext-1.0-py3.10-linux-x86_64.egg"),
            str(EGGS / "purepkg-1.0-py2.7.egg")]
    loaded = _loaded_after(f"import contextlib, io, migrate.cli\nwith contextlib.redirect_stderr(io.StringIO()):\n"
                           f"    assert migrate.cli.main(['convert', *{eggs!r}, '-d', {str(tmp_path)!r}, '-j', '1']) == 0")
    assert len(list(tmp_path.glob("*.whl"))) == 3
    assert "migrate.binaries.elftables" in loaded
    assert _heavy(loaded) == set()


def test_converting_with_one_job_loads_no_pool_nor_email_parser(tmp_path):
    """-j 1 makes no process pool, and PKG-INFO is read without ``email`` (pkginfo only for odd forms)."""
    eggs = [str(EGGS / "toolbox-0.5-py3.10.egg"), str(EGGS / "cpkg-2.0-py3.10-linux-x86_64.egg")]
    loaded = _loaded_after(f"import contextlib, io, migrate.cli\nwith contextlib.redirect_stderr(io.StringIO()):\n"
                           f"    assert migrate.cli.main(['convert', *{eggs!r}, '-d', {str(tmp_path)!r}, '-j', '1']) == 0")
    assert len(list(tmp_path.glob("*.whl"))) == 2
    assert "migrate.eggs.pkginfotext" in loaded
    assert {m for m in loaded if m.startswith(("concurrent", "multiprocessing", "pkginfo", "email.parser"))} == set()


def test_version_is_answered_before_argparse_formats_anything():
    """``--version`` alone prints the version without building the parser: argparse's formatter
    (textwrap, shutil for the terminal size) is never loaded, which keeps the answer under 60 ms."""
    script = ("import contextlib, io, sys, migrate.cli\nout = io.StringIO()\n"
              "with contextlib.redirect_stdout(out):\n    code = migrate.cli.main(['--version'])\n"
              "print(repr(out.getvalue()), code)")
    loaded = _loaded_after(script)
    assert {"textwrap", "shutil"} & loaded == set()
    shown = subprocess.run([sys.executable, "-m", "migrate", "--version"], check=True, capture_output=True, text=True)
    assert shown.stdout.startswith("egg-migrate ") and shown.stdout.count("\n") == 1


def test_eggs_without_requirements_load_no_requirement_parser(tmp_path):
    """packaging's requirement, marker and tag modules (a fifth of a small conversion's start-up) are
    loaded only when an egg has a requirement to parse; then they are."""
    script = ("import contextlib, io, migrate.cli\nwith contextlib.redirect_stderr(io.StringIO()):\n"
              "    assert migrate.cli.main(['convert', {egg!r}, '-d', {out!r}, '-j', '1']) == 0")
    plain = _loaded_after(script.format(egg=str(EGGS / "cext-1.0-py3.10-linux-x86_64.egg"), out=str(tmp_path / "a")))
    assert {m for m in plain if m.startswith(("packaging.requirements", "packaging.markers", "packaging.tags",
                                               "packaging.utils", "configparser"))} == set()
    assert "migrate.wheels.distinfo" in plain
    needing = _loaded_after(script.format(egg=str(EGGS / "toolbox-0.5-py3.10.egg"), out=str(tmp_path / "b")))
    assert {"packaging.requirements", "packaging.markers"} <= needing


def test_plain_entry_points_and_no_clash_load_neither_configparser_nor_zipfile(tmp_path):
    """entry_points.txt as setuptools writes it is checked without configparser, and ``zipfile`` is
    loaded only to compare two eggs that claim one wheel name."""
    eggs = [str(EGGS / "toolbox-0.5-py3.10.egg"), str(EGGS / "cext-1.0-py3.10-linux-x86_64.egg")]
    loaded = _loaded_after(f"import contextlib, io, migrate.cli\nwith contextlib.redirect_stderr(io.StringIO()):\n"
                           f"    assert migrate.cli.main(['convert', *{eggs!r}, '-d', {str(tmp_path)!r}, '-j', '1']) == 0")
    assert len(list(tmp_path.glob("*.whl"))) == 2
    assert {"configparser", "zipfile"} & loaded == set()


# Values a conversion hands between stages and that the run layer rebuilds with dataclasses.replace.
# Creating a frozen dataclass generates and compiles five or six methods (about 4 M instructions,
# 1 ms, on Python 3.11), so the values made in bulk or only inside one module are NamedTuples.
CONVERT_DATACLASSES = {
    "migrate.binaries.elfsymbols.DynamicSymbols", "migrate.binaries.facts.BinaryFacts", "migrate.binaries.machpe._Thin",
    "migrate.eggs.egginfo.EggInfo", "migrate.eggs.egginfo.Metadata", "migrate.eggs.names.EggName",
    "migrate.problems.Problem", "migrate.wheels.collisions._Kept", "migrate.wheels.convert.ConvertOptions",
    "migrate.wheels.convert.ConvertResult", "migrate.wheels.convert.EggFacts", "migrate.wheels.tags.values.TagOptions",
    "migrate.wheels.tags.values.WheelTags",
}


def test_a_conversion_makes_no_more_dataclasses_than_these(tmp_path):
    eggs = [str(EGGS / "toolbox-0.5-py3.10.egg"), str(EGGS / "cext-1.0-py3.10-linux-x86_64.egg")]
    script = (f"import contextlib, dataclasses, io, migrate.cli\nwith contextlib.redirect_stderr(io.StringIO()):\n"
              f"    assert migrate.cli.main(['convert', *{eggs!r}, '-d', {str(tmp_path)!r}, '-j', '1']) == 0\n"
              "made = sorted(f'{n}.{k}' for n, m in list(sys.modules.items()) if n.startswith('migrate')\n"
              "              for k, v in vars(m).items() if isinstance(v, type) and v.__module__ == n\n"
              "              and dataclasses.is_dataclass(v))\n"
              "print(json.dumps(made))")
    out = subprocess.run([sys.executable, "-c", "import json, sys\n" + script], check=True, capture_output=True,
                         text=True).stdout
    assert set(json.loads(out.splitlines()[-1])) <= CONVERT_DATACLASSES
