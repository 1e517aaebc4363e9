"""The suite's own rules for missing interpreters (tests/conftest.py), run on a throwaway test file:
a missing interpreter is a skip that the session summary names; EGG_MIGRATE_TEST_REQUIRE makes it
a failure; an interpreter that is there but cannot make a venv is a failure, never a skip.

One throwaway session holds every case (a pytest process costs a second of CPU), run once and
shared by the tests below, each of which reads its own tests' outcomes from it.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from migrate import interpreters
from tests.conftest import build_once

ROOT = Path(__file__).resolve().parent.parent

CONFTEST = "from tests.conftest import make_venv, pytest_terminal_summary  # noqa: F401\n"
SESSION = """\
from migrate import interpreters
from tests import venvs
from tests.conftest import require_interpreter

def test_one():
    require_interpreter("1.9")

def test_two():
    require_interpreter("1.9")

def test_required():
    require_interpreter("1.8")

def test_plain():
    pass

def test_venv(make_venv, monkeypatch):
    def refuse(interp, dest):
        raise interpreters.NoVenvTool("cannot make a Python venv: simulated")
    monkeypatch.setattr(venvs, "make_stock_venv", refuse)
    make_venv("{version}")
"""
REQUIRE = "3.99, 1.8"  # 1.8 is required and missing; 3.99 is required but no test asks for it


def run_session(folder: Path, version: str) -> subprocess.CompletedProcess:
    (folder / "conftest.py").write_text(CONFTEST)
    (folder / "test_it.py").write_text(SESSION.format(version=version))
    environ = interpreters.pip_env()
    for name in list(environ):  # this session's own settings must not leak in (an xdist worker's name, the REQUIRE list)
        if name.startswith("PYTEST_") or name == "EGG_MIGRATE_TEST_REQUIRE":
            del environ[name]
    environ.update(PYTHONPATH=str(ROOT), EGG_MIGRATE_TEST_REQUIRE=REQUIRE)
    # plugins the throwaway file does not use stay out (hypothesis alone takes a second to import);
    # its own basetemp, so it never cleans up other sessions' folders in the shared pytest-of-<user>
    quiet = ["-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:xdist", "--basetemp", str(folder / "tmp")]
    return subprocess.run([sys.executable, "-m", "pytest", *quiet, "-v", "-rs", "test_it.py"],
                          capture_output=True, text=True, cwd=folder, env=environ, timeout=300, check=False)


@pytest.fixture
def session(tmp_path_factory) -> tuple[interpreters.Interpreter, subprocess.CompletedProcess]:
    """The throwaway session, run once (the first interpreter found is the one that cannot make a venv)."""
    found = interpreters.discover()
    if not found:
        pytest.skip("no interpreter on this machine at all")
    return found[0], build_once(tmp_path_factory, "interpreter-skips", lambda folder: run_session(folder, found[0].short))


def outcomes(result: subprocess.CompletedProcess) -> dict[str, str]:
    return dict(re.findall(r"^test_it\.py::(\w+) (PASSED|FAILED|SKIPPED|ERROR)", result.stdout, re.M))


def test_a_missing_interpreter_is_a_skip_the_summary_names(session):
    _, result = session
    assert outcomes(result)["test_one"] == outcomes(result)["test_two"] == "SKIPPED", result.stdout
    assert outcomes(result)["test_plain"] == "PASSED", result.stdout
    assert "NOT RUN: 2 tests need Python 1.9, which this machine lacks" in result.stdout, result.stdout
    assert "need Python 1.8" not in result.stdout and "needs Python 1.8" not in result.stdout, "a failure is not a skip"


def test_required_interpreters_fail_when_missing(session):
    _, result = session
    assert outcomes(result)["test_required"] == "FAILED", result.stdout
    assert "no Python 1.8 interpreter on this machine (EGG_MIGRATE_TEST_REQUIRE requires it)" in result.stdout
    assert result.returncode == 1, result.stdout


def test_an_interpreter_that_cannot_make_a_venv_fails(session):
    interp, result = session
    assert outcomes(result)["test_venv"] == "FAILED", result.stdout
    assert f"Python {interp.short} is at {interp.path}, but cannot make a Python venv: simulated" in result.stdout
    assert "2 failed, 1 passed, 2 skipped" in result.stdout, result.stdout
