"""Pre-releases as pip takes them, a requirements header that names the file and no absolute
``file://`` path, "1 project"/"2 projects", and pin bars that move while resolving; in
``pin`` and in ``run``'s pin stage. Against a small mirror of real wheels made here.
"""
from __future__ import annotations

import json
import sys
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

import migrate.run as run_package
from migrate import interpreters, mirror
from migrate.cli import main as cli
from migrate.commands import progress as progress_module
from migrate.errors import MigrateError
from migrate.pins.prereleases import allowed, names_prerelease, narrow
from migrate.run import pinning
from migrate.run.stage import RunContext, RunOptions, RunReport
from tests.conftest import run
from tests.consoletools import run_tool
from tests.wheelmaker import make_wheel

# requirements -> (without --pre, with --pre): what pip picks from the mirror below
CASES = {
    "puredep": ("0.9", "1.0rc2"),
    "puredep>=1.0b1": ("1.0rc2", "1.0rc2"),  # the specifier names a pre-release
    "puredep==1.0rc2": ("1.0rc2", "1.0rc2"),
    "puredep!=1.0rc1": ("0.9", "1.0rc2"),  # != names one but does not ask for it
    "onlypre": ("2.0b1", "2.0b1"),  # nothing final: pip takes the pre-release
}


@pytest.fixture(scope="module")
def prerelease_mirror(tmp_path_factory) -> Path:
    made = tmp_path_factory.mktemp("made")
    wheels = [make_wheel(made, "puredep", "0.9", {"puredep.py": "V = '0.9'\n"}),
              make_wheel(made, "puredep", "1.0rc2", {"puredep.py": "V = '1.0rc2'\n"}),
              make_wheel(made, "onlypre", "2.0b1", {"onlypre.py": ""}),
              make_wheel(made, "app", "1.0", {"app.py": ""}, requires=["puredep"])]
    root = tmp_path_factory.mktemp("pre") / "mirror"
    assert mirror.publish(wheels, root).ok
    return root


def pin_json(root: Path, requirement: str, *options: str) -> dict:
    return {p["name"]: p["version"] for p in _cli_json(["pin", requirement, "--mirror", str(root), "--target-python", "3.11",
                                                         "--json", *options])["pins"]}


def _cli_json(args) -> dict:
    out = StringIO()
    with redirect_stdout(out):
        assert cli(args) == 0
    return json.loads(out.getvalue())


@pytest.mark.parametrize("requirement", sorted(CASES))
def test_pre_releases_only_when_asked_or_named(prerelease_mirror, requirement):
    default, pre = CASES[requirement]
    name = requirement.split("=")[0].split(">")[0].split("!")[0]
    assert pin_json(prerelease_mirror, requirement)[name] == default
    assert pin_json(prerelease_mirror, requirement, "--pre")[name] == pre


def test_a_dependency_follows_the_same_rule(prerelease_mirror):
    assert pin_json(prerelease_mirror, "app") == {"app": "1.0", "puredep": "0.9"}
    assert pin_json(prerelease_mirror, "app", "--pre") == {"app": "1.0", "puredep": "1.0rc2"}


def test_pip_picks_the_same_versions(prerelease_mirror, tmp_path):
    """The host's pip, asked to resolve each case against the same mirror, agrees with ``pin``.

    Each case is one ``pip install --dry-run --report`` command line; the ten run in one process
    (tests/consoletools.py: pip's console-script function once per command line)."""
    cases = []
    for requirement, (default, pre) in sorted(CASES.items()):
        for options, expected in (([], default), (["--pre"], pre)):
            cases.append((requirement, options, expected, tmp_path / f"report-{len(cases)}.json"))
    argvs = [["install", "--dry-run", "--ignore-installed", "--no-deps", "-q", "--report", report,
              "--index-url", mirror.index_url(prerelease_mirror), requirement, *options]
             for requirement, options, _, report in cases]
    for (requirement, options, expected, report), pip in zip(cases, run_tool("pip", argvs)):
        assert pip.code == 0, (requirement, options, pip.output)
        (item,) = json.loads(report.read_text())["install"]
        assert (requirement, options, item["metadata"]["version"]) == (requirement, options, expected)
        name = requirement.split("=")[0].split(">")[0].split("!")[0]
        assert pin_json(prerelease_mirror, requirement, *options)[name] == expected


def test_the_header_names_the_file_and_installs_from_its_folder(prerelease_mirror, tmp_path, capsys):
    folder = tmp_path / "deploy"
    folder.mkdir()
    out = folder / "pins-3.11.txt"
    assert cli(["pin", "app", "--mirror", str(prerelease_mirror), "--target-python", "3.11", "-o", str(out)]) == 0
    assert capsys.readouterr().err.strip().startswith("pinned 2 projects for CPython 3.11")
    text = out.read_text()
    assert "file:///" not in text and str(tmp_path) not in text.split("#    egg-migrate")[0]
    (line,) = [x for x in text.splitlines() if "pip install" in x]
    assert " -r pins-3.11.txt " in line
    words = line.lstrip("# ").split()
    words = [w.replace("$PWD", str(folder)) for w in words[words.index("install") + 1:]]
    download = tmp_path / "dl"
    run([sys.executable, "-m", "pip", "download", "-q", "-d", download, *words], env=interpreters.pip_env(), cwd=folder)
    assert sorted(p.name for p in download.iterdir()) == ["app-1.0-py2.py3-none-any.whl",
                                                          "puredep-0.9-py2.py3-none-any.whl"]
    assert cli(["pin", "onlypre", "--mirror", str(prerelease_mirror), "--target-python", "3.11", "-o", str(out)]) == 0
    assert capsys.readouterr().err.strip().startswith("pinned 1 project for CPython 3.11")


class RecordingBar:
    """A stage bar that remembers every call (the command layer's bars draw these on a terminal)."""

    made: list = []

    def __init__(self, stage: str, total: int, unit: str):
        self.calls = [("new", stage, total)]
        RecordingBar.made.append(self)

    def add_total(self, n: int) -> None:
        self.calls.append(("add_total", n))

    def update(self, n: int = 1) -> None:
        self.calls.append(("update", n))

    def close(self) -> None:
        self.calls.append(("close",))


def moved(calls: list) -> tuple:
    """(total at the end, done at the end, how many updates)."""
    total = calls[0][2] + sum(c[1] for c in calls if c[0] == "add_total")
    updates = [c[1] for c in calls if c[0] == "update"]
    return total, sum(updates), len(updates)


def test_standalone_pin_draws_a_bar_that_moves_with_each_pin(prerelease_mirror, monkeypatch, capsys):
    RecordingBar.made.clear()
    monkeypatch.setattr(progress_module, "on_terminal", lambda: True)
    monkeypatch.setattr(progress_module, "StageBar", RecordingBar)
    assert cli(["pin", "app", "onlypre", "--mirror", str(prerelease_mirror), "--target-python", "3.11", "--json"]) == 0
    (bar,) = RecordingBar.made
    assert bar.calls[0] == ("new", "pin", 0) and bar.calls[-1] == ("close",)
    assert moved(bar.calls) == (3, 3, 3)  # app and onlypre known first, puredep when app is pinned


def stage_context(root: Path, out: Path, **options) -> RunContext:
    """A run whose publish stage left ``root`` as OUT/mirror, at its pin stage."""
    out.mkdir()
    (out / "mirror").symlink_to(root, target_is_directory=True)
    report = RunReport(out=out, published=4)
    lines: list = []
    return RunContext(RunOptions(out=out, target_python="3.11", **options), None, out, report, lines.append,
                      bars=RecordingBar)


@pytest.mark.parametrize("pre, expected", [(False, "0.9"), (True, "1.0rc2")])
def test_the_run_pin_stage_takes_pre_and_moves_its_bar(prerelease_mirror, tmp_path, pre, expected):
    RecordingBar.made.clear()
    ctx = stage_context(prerelease_mirror, tmp_path / "out", pin=("app",), pre=pre)
    pinning.pin_requirements(ctx)
    text = (ctx.out / "requirements.txt").read_text()
    assert f"\npuredep=={expected} \\\n" in text and ctx.report.pins_count == 2
    assert ("--pre" in text.split("#    egg-migrate run")[1].splitlines()[0]) == pre
    assert "-r requirements.txt --index-url file://$PWD/mirror/simple/" in text and "file:///" not in text
    (bar,) = RecordingBar.made
    assert moved(bar.calls) == (2, 2, 2)  # one project asked, its dependency found: each pin moves the bar


def test_run_passes_pre_to_its_pin_stage(monkeypatch, tmp_path, capsys):
    """``run --pre`` reaches RunOptions (the stage's use of it is tested above)."""
    seen = []

    def fake_run(options, **_):
        seen.append(options)
        raise MigrateError("stopped by the test")

    monkeypatch.setattr(run_package, "run", fake_run)
    for extra, pre in (([], False), (["--pre"], True)):
        assert cli(["run", str(tmp_path), "-o", str(tmp_path / "out"), *extra]) == 1
        assert seen.pop().pre is pre
    assert "stopped by the test" in capsys.readouterr().err


@pytest.mark.parametrize("specs", [[""], [">=1.0"], [">=1.0b1"], ["==1.0rc2"], ["!=1.0rc2"], [">2"], ["<1.0", ">=0.1"],
                                   [">=0.5", "<=2.0rc1"], ["<0.5"], ["~=1.0rc1"], ["==1.*"], [">=1.0", "!=1.1.dev1"]])
@pytest.mark.parametrize("pre", [False, True])
def test_the_rule_in_two_parts_is_packagings_filter(specs, pre):
    """Narrowing one requirement at a time, then :func:`allowed`, gives what pip's call gives:
    ``SpecifierSet(all of them).filter(versions, prereleases=True if --pre else None)``."""
    versions = [Version(v) for v in ("2.1", "2.0rc1", "1.1.dev1", "1.1", "1.0", "1.0rc2", "0.9", "0.1a1")]
    requirements = [Requirement(f"p{s}") for s in specs]
    matching = tuple(versions)
    for r in requirements:
        matching = narrow(matching, r)
    merged = SpecifierSet(",".join(s for s in specs if s))
    expected = list(merged.filter(versions, prereleases=True if pre else None))
    assert list(allowed(matching, any(names_prerelease(r) for r in requirements), pre)) == expected
