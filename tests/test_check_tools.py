"""Our checks against the reference tools' command lines, run on the same wheels.

For every deliberately broken wheel (test_check_broken.BROKEN) and every fixture
wheel from the converter: whatever ``twine check`` rejects, or
``check-wheel-contents`` reports as an invalid wheel (or crashes on), we flag
as an error; whatever check-wheel-contents' style checks (W001...) report, we
flag at least as a warning.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from migrate.checks.check import check_wheel
from tests.conftest import build_once
from tests.consoletools import ToolRun, run_tool
from tests.test_check_broken import BROKEN
from tests.test_check_wheelmaker import VENV_BIN

TOOLS_PRESENT = (VENV_BIN / "twine").exists() and (VENV_BIN / "check-wheel-contents").exists()
pytestmark = pytest.mark.skipif(not TOOLS_PRESENT, reason="twine / check-wheel-contents not installed beside pytest")


@dataclass(frozen=True)
class Verdict:
    twine_error: bool
    cwc_error: bool  # "invalid wheel", bad file name, or a crash
    cwc_flagged: bool  # any failure, including its style checks
    output: str


def _verdicts(wheels: dict) -> dict:
    """{key: Verdict} for {key: wheel}: each tool run once per wheel, all in one process per tool."""
    paths = list(wheels.values())
    with ThreadPoolExecutor(max_workers=2) as pool:
        twine_runs = pool.submit(run_tool, "twine", [["check", w] for w in paths])
        cwc_runs = pool.submit(run_tool, "check-wheel-contents", [["--no-config", w] for w in paths])
        runs = zip(twine_runs.result(), cwc_runs.result())
    return {key: _verdict(twine, cwc) for key, (twine, cwc) in zip(wheels, runs)}


def _verdict(twine: ToolRun, cwc: ToolRun) -> Verdict:
    cwc_error = cwc.code != 0 and any(s in cwc.output for s in ("invalid wheel", "invalid filename", "Traceback"))
    return Verdict(twine.code != 0, cwc_error, cwc.code != 0,
                   f"twine: {twine.output}\ncheck-wheel-contents: {cwc.output}")


def _build_broken(root: Path) -> tuple[dict, dict]:
    wheels = {code: build(root / code) for code, build in BROKEN.items()}
    return wheels, _verdicts(wheels)


@pytest.fixture(scope="session")
def broken(tmp_path_factory):
    """The broken wheels and the tools' verdicts on them, made once for both workers: (wheels, verdicts)."""
    return build_once(tmp_path_factory, "broken-wheels-and-verdicts", _build_broken)


@pytest.mark.parametrize("code", sorted(BROKEN))
def test_what_the_tools_reject_we_reject(broken, code):
    wheels, verdicts = broken
    verdict = verdicts[code]
    result = check_wheel(wheels[code])
    if verdict.twine_error or verdict.cwc_error:
        assert result.errors, f"{code}: the tools reject it, we do not\n{verdict.output}"
    if verdict.cwc_flagged:
        assert result.errors or result.warnings, f"{code}: check-wheel-contents flags it, we do not\n{verdict.output}"


def test_the_tools_reject_a_good_share_of_the_broken_wheels(broken):
    """The comparison means something only if the tools do reject some of them."""
    _wheels, verdicts = broken
    assert sum(v.twine_error for v in verdicts.values()) >= 8
    assert sum(v.cwc_error for v in verdicts.values()) >= 12


# Deliberate exceptions to check-wheel-contents' style checks: bytecode-only eggs keep .pyc (W001, W010);
# namespace wheels carry top_level.txt and namespace_packages.txt with the same text (W002), as bdist_wheel's do.
ALLOWED = {"nosrc": "W001,W010", "nsdemo": "W002"}


def test_fixture_wheels_pass_the_tools_and_us(fixture_wheels):
    """Every fixture wheel: we find no problem; ``twine check`` passes it, and with ``--strict`` finds no
    error (its warnings then fail the run: the only ones are the missing descriptions, as the fixture
    eggs have none); check-wheel-contents passes it but for ALLOWED. Each tool is started once."""
    wheels = {egg: Path(r.wheel) for egg, r in fixture_wheels.items() if r.ok}
    assert len(wheels) == len(fixture_wheels), [r.reason for r in fixture_wheels.values() if not r.ok]
    paths = list(wheels.values())
    ignored = [next((["--ignore", codes] for prefix, codes in ALLOWED.items() if w.name.startswith(prefix)), []) for w in paths]
    with ThreadPoolExecutor(max_workers=2) as pool:
        twine_runs = pool.submit(run_tool, "twine", [["check", w] for w in paths] + [["check", "--strict", *paths]])
        cwc_runs = pool.submit(run_tool, "check-wheel-contents", [["--no-config", w, *i] for w, i in zip(paths, ignored)])
        *twine, strict = twine_runs.result()
        cwc = cwc_runs.result()
    assert "ERROR" not in strict.output, strict.output
    for (egg, wheel), twined, checked in zip(wheels.items(), twine, cwc):
        result = check_wheel(wheel)
        assert result.problems == (), (egg, [str(p) for p in result.problems])
        assert twined.code == 0, (egg, twined.output)
        assert checked.code == 0, (egg, checked.output)
