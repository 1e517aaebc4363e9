"""The suite's own rules for missing interpreters (tests/conftest.py), run on a throwaway test file:
a missing interpreter is a skip that the session summary names; EGG_MIGRATE_TEST_REQUIRE makes it
a failure; an interpreter that is there but cannot make a venv is a failure, never a skip.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from migrate import interpreters

ROOT = Path(__file__).resolve().parent.parent

CONFTEST = "from tests.conftest import make_venv, pytest_terminal_summary  # noqa: F401\n"
NEEDS_MISSING = """\
from tests.conftest import require_interpreter

def test_one():
    require_interpreter("1.9")

def test_two():
    require_interpreter("1.9")

def test_plain():
    pass
"""
BROKEN_VENV = """\
from migrate import interpreters

def test_venv(make_venv, monkeypatch):
    def refuse(interp, dest):
        raise interpreters.NoVenvTool("cannot make a Python venv: simulated")
    monkeypatch.setattr(interpreters, "make_venv", refuse)
    make_venv("{version}")
"""


def run_pytest(folder: Path, test: str, **env) -> subprocess.CompletedProcess:
    (folder / "conftest.py").write_text(CONFTEST)
    (folder / "test_it.py").write_text(test)
    environ = interpreters.pip_env()
    environ.pop("EGG_MIGRATE_TEST_REQUIRE", None)  # this session's own setting must not leak in
    environ.update(PYTHONPATH=str(ROOT), **env)
    # plugins the throwaway file does not use stay out (hypothesis alone takes a second to import)
    quiet = ["-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:xdist"]
    return subprocess.run([sys.executable, "-m", "pytest", *quiet, "-rs", "test_it.py"],
                          capture_output=True, text=True, cwd=folder, env=environ, timeout=300, check=False)


def test_a_missing_interpreter_is_a_skip_the_summary_names(tmp_path):
    result = run_pytest(tmp_path, NEEDS_MISSING)
    assert result.returncode == 0, result.stdout
    assert "1 passed, 2 skipped" in result.stdout
    assert "NOT RUN: 2 tests need Python 1.9, which this machine lacks" in result.stdout, result.stdout


def test_required_interpreters_fail_when_missing(tmp_path):
    result = run_pytest(tmp_path, NEEDS_MISSING, EGG_MIGRATE_TEST_REQUIRE="3.99, 1.9")
    assert result.returncode == 1, result.stdout
    assert "2 failed, 1 passed" in result.stdout
    assert "no Python 1.9 interpreter on this machine (EGG_MIGRATE_TEST_REQUIRE requires it)" in result.stdout


def test_an_interpreter_that_cannot_make_a_venv_fails(tmp_path):
    found = interpreters.discover()
    if not found:
        pytest.skip("no interpreter on this machine at all")
    result = run_pytest(tmp_path, BROKEN_VENV.format(version=found[0].short))
    assert result.returncode == 1, result.stdout
    assert "1 failed" in result.stdout and "skipped" not in result.stdout, result.stdout
    assert f"Python {found[0].short} is at {found[0].path}, but cannot make a Python venv: simulated" in result.stdout
