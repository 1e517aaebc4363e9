"""Start-up work that every xdist worker of a fresh clone's session would otherwise do for itself, done once.

Both are caches on disk, so a worker that gets there first simply does the work as before:
what a test sees never changes, only who pays for it.

- pytest rewrites the asserts of each test module when it is first imported and keeps the
  result in ``tests/__pycache__`` (3-4 s of CPU for the whole suite). Every worker collects
  every module in the same order, so on a fresh clone each rewrote all of them. Worker k of n
  now first imports the test modules starting k/n of the way down the list: the workers rewrite
  different modules at the same time and each finds the others' work cached.
- Hypothesis builds its Unicode tables (the character categories and the characters UTF-8
  encodes: ~3 s of CPU) and reads the constants of the project's modules (~1 s) the first time
  a test draws text, and keeps both in its storage folder (``.hypothesis``). The controller
  starts one process that draws text once while the workers start and collect.
"""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

TESTS = Path(__file__).resolve().parent

# Run by the controller's python in the background: import the whole package (whose modules'
# constants Hypothesis reads), then draw text as the property tests do.
_DRAW_TEXT = """
import importlib, pkgutil
import migrate
for info in pkgutil.walk_packages(migrate.__path__, "migrate."):
    if not info.name.endswith("__main__"):
        importlib.import_module(info.name)
from hypothesis import given, settings, strategies as st
@settings(database=None, max_examples=50, deadline=None)
@given(st.text())
def draw(text):
    pass
draw()
"""


def start_hypothesis_tables(config: pytest.Config) -> Optional[subprocess.Popen]:
    """In the controller of an xdist session whose Hypothesis folder has no Unicode tables yet:
    the process that makes them (the caller waits for it at the end), else None."""
    if os.environ.get("PYTEST_XDIST_WORKER") or not config.pluginmanager.has_plugin("hypothesispytest"):
        return None
    if not getattr(config.option, "numprocesses", None):
        return None
    from hypothesis.configuration import storage_directory

    folder = storage_directory(intent_to_write=False).path.resolve()
    if (folder / "unicode_data").exists():
        return None
    env = dict(os.environ, HYPOTHESIS_STORAGE_DIRECTORY=str(folder))
    return subprocess.Popen([sys.executable, "-c", _DRAW_TEXT], cwd=str(TESTS.parent), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def finish(process: Optional[subprocess.Popen]) -> None:
    if process is not None:
        if process.poll() is None:  # a session that ended early (an error, -x, Ctrl-C) does not wait
            process.kill()
        process.wait()


def import_in_turn(session: pytest.Session) -> None:
    """In xdist worker k of n: import the test modules this session collects, starting k/n of the way down."""
    worker, count = os.environ.get("PYTEST_XDIST_WORKER", ""), int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if not worker.startswith("gw") or count < 2 or session.config.getoption("importmode") != "prepend":
        return
    modules = _collected_modules(session.config)
    start = len(modules) * int(worker[2:]) // count
    for path in modules[start:] + modules[:start]:
        try:
            importlib.import_module(f"{TESTS.name}.{path.stem}")
        except (Exception, pytest.skip.Exception):  # collection imports it again and reports what is wrong
            pass


def _collected_modules(config: pytest.Config) -> list[Path]:
    """The test modules of ``tests/`` that the command line's paths cover, in file order."""
    targets = [(config.invocation_params.dir / arg.split("::")[0]).resolve() for arg in config.args]
    return [path for path in sorted(TESTS.glob("test_*.py"))
            if any(path == target or target in path.parents for target in targets)]
