"""Shared fixtures: the committed fixture eggs, converted once; real interpreters and venvs.

Tests that need an interpreter (to install a wheel with its stock pip and import it)
skip cleanly when this machine does not have it.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from migrate import interpreters
from migrate.wheels.convert import convert_egg

FIXTURES = Path(__file__).parent / "fixtures" / "eggs"


def fixture_egg(name: str) -> Path:
    path = FIXTURES / name
    assert path.exists(), f"missing fixture {name}: run scripts/build-fixture-eggs"
    return path


def require_interpreter(version: str) -> interpreters.Interpreter:
    interp = interpreters.find(version)
    if interp is None:
        pytest.skip(f"no Python {version} interpreter on this machine")
    return interp


def run(cmd, **kw) -> subprocess.CompletedProcess:
    """Run a command with an isolated pip environment; fail with its output on error."""
    kw.setdefault("env", interpreters.pip_env())
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600, **kw)
    assert result.returncode == 0, f"{cmd} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result


def pip_install(python: Path, *args) -> subprocess.CompletedProcess:
    return run([python, "-m", "pip", "install", "--no-index", "--disable-pip-version-check", *args])


def py(python: Path, code: str) -> str:
    return run([python, "-c", code]).stdout.strip()


@pytest.fixture(scope="session")
def make_venv(tmp_path_factory):
    """Factory: a fresh venv for a Python version (skips when the interpreter is missing)."""
    counter = [0]

    def make(version: str) -> Path:
        interp = require_interpreter(version)
        counter[0] += 1
        dest = tmp_path_factory.mktemp(f"venv{version.replace('.', '')}_{counter[0]}")
        try:
            return interpreters.make_venv(interp, dest / "venv")
        except interpreters.NoVenvTool as exc:
            pytest.skip(str(exc))

    return make


@pytest.fixture(scope="session")
def fixture_wheels(tmp_path_factory) -> dict:
    """Every committed fixture egg converted once: {egg name: ConvertResult}."""
    out = tmp_path_factory.mktemp("fixture-wheels")
    results = {}
    for egg in sorted(FIXTURES.iterdir()):
        if egg.name.endswith(".egg"):
            source = egg
            if egg.is_dir():  # never let imports write into the committed folder egg
                source = tmp_path_factory.mktemp("folder-egg") / egg.name
                shutil.copytree(egg, source)
            results[egg.name] = convert_egg(source, out)
    return results
