"""Shared fixtures: the committed fixture eggs, converted once; real interpreters and venvs.

Tests that need an interpreter (to install a wheel with its stock pip and import it) skip
when this machine does not have it, and the session ends with a line saying so: several
bugs show only in the 2.7 install tests, so a run without 2.7 must not look like a full
pass. ``EGG_MIGRATE_TEST_REQUIRE=2.7,3.10`` turns those skips into failures. An
interpreter that is there but cannot make a venv is a failure, never a skip.
"""
from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from migrate import interpreters, mirror
from migrate.wheels.convert import convert_egg
from tests.runner import migrate_run
from tests.wheelmaker import SIX, good_wheels, make_wheel

FIXTURES = Path(__file__).parent / "fixtures" / "eggs"


def fixture_egg(name: str) -> Path:
    path = FIXTURES / name
    assert path.exists(), f"missing fixture {name}: run scripts/build-fixture-eggs"
    return path


MISSING = "no Python {} interpreter on this machine"
REQUIRE_ENV = "EGG_MIGRATE_TEST_REQUIRE"


def require_interpreter(version: str) -> interpreters.Interpreter:
    interp = interpreters.find(version)
    if interp is None:
        required = [v.strip() for v in os.environ.get(REQUIRE_ENV, "").split(",") if v.strip()]
        if version in required:
            pytest.fail(MISSING.format(version) + f" ({REQUIRE_ENV} requires it)", pytrace=False)
        pytest.skip(MISSING.format(version))
    return interp


def pytest_terminal_summary(terminalreporter):
    """Say loudly which interpreters were missing and how many tests did not run for want of them."""
    missing = {}
    for report in terminalreporter.stats.get("skipped", []):
        found = re.search(MISSING.format(r"(\d+\.\d+)"), str(report.longrepr))
        if found:
            missing[found[1]] = missing.get(found[1], 0) + 1
    for version, count in sorted(missing.items()):
        terminalreporter.write_sep(
            "!", f"NOT RUN: {count} {'tests need' if count > 1 else 'test needs'} Python {version}, which this machine lacks "
            f"(install it, e.g. with pyenv; {REQUIRE_ENV}={version} makes this a failure)", red=True, bold=True)


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


# Run by the venv's python (2.7 or 3.x): where a module was imported from, relative to the folder
# its top-level package is installed in, the RECORD that lists that file, and the module's folder.
_INSTALLED = r"""
import glob, json, os, sys
name = sys.argv[1]
__import__(name)
module, top = sys.modules[name], sys.modules[name.split('.')[0]]
site = os.path.dirname(os.path.abspath(top.__file__))
if os.path.basename(top.__file__).startswith('__init__.'):
    site = os.path.dirname(site)
rel = os.path.relpath(os.path.abspath(module.__file__), site).replace(os.sep, '/')
record = []
for path in glob.glob(os.path.join(site, '*.dist-info', 'RECORD')):
    rows = [line.split(',')[0] for line in open(path).read().splitlines()]
    if rel in rows:
        record = rows
folder = os.path.dirname(os.path.abspath(module.__file__))
print(json.dumps({'file': rel, 'record': record, 'folder': sorted(os.listdir(folder))}))
"""


def assert_extension_without_stub(python: Path, module: str) -> None:
    """``module`` is the installed extension, and no setuptools stub ``<name>.py`` was installed beside it.

    Checking ``__file__`` alone proves nothing: Python finds ``<name>.so`` before ``<name>.py``
    in the same folder, so a shipped stub would never be the one imported.
    """
    found = json.loads(run([python, "-c", _INSTALLED, module]).stdout)
    base = module.rsplit(".", 1)[-1]
    assert found["file"].endswith(".so"), found["file"]
    assert found["record"], f"{found['file']} is in no installed RECORD"
    stub = posixpath.join(posixpath.dirname(found["file"]), base + ".py")
    assert stub not in found["record"], f"the stub {stub} was installed"
    assert not {base + ".py", base + ".pyc"} & set(found["folder"]), found["folder"]


@pytest.fixture(scope="session")
def make_venv(tmp_path_factory):
    """Factory: a fresh venv for a Python version (skips only when the interpreter is missing)."""
    counter = [0]

    def make(version: str) -> Path:
        interp = require_interpreter(version)
        counter[0] += 1
        dest = tmp_path_factory.mktemp(f"venv{version.replace('.', '')}_{counter[0]}")
        try:
            return interpreters.make_venv(interp, dest / "venv")
        except interpreters.NoVenvTool as exc:  # the interpreter is there: this is a broken set-up, not a skip
            why = str(exc)
        pytest.fail(f"Python {version} is at {interp.path}, but {why}", pytrace=False)

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


@pytest.fixture(scope="session")
def published(fixture_wheels, tmp_path_factory):
    """Every converted fixture wheel plus a tiny py2-only ``six``, published once: (mirror, report, wheels)."""
    extra = tmp_path_factory.mktemp("extra-wheels")
    six = make_wheel(extra, "six", "1.16.0", SIX, requires_python=">=2.7, !=3.0.*")
    wheels = good_wheels(fixture_wheels) + [six]
    root = tmp_path_factory.mktemp("mirror") / "mirror"
    report = mirror.publish(wheels, root)
    assert report.ok, report.problems
    return root, report, wheels


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> Path:
    """``egg-migrate run`` on data/sample-repo once (exit 1: its one broken egg): the OUT folder."""
    out = tmp_path_factory.mktemp("sample-run") / "out"
    done = migrate_run(out)
    assert done.returncode == 1, done.stderr
    return out


# Modules whose tests build something expensive once per module (wheels broken on purpose and
# the reference tools' verdicts, venvs with pip installs, a whole run): all of a module's tests
# go to one xdist worker (``--dist loadgroup``, as scripts/test runs), so the module fixture is
# built once, not once per worker; and they start first, so the slowest work is not the tail.
SLOW_MODULES = (
    "test_check_tools.py", "test_binaries_install.py", "test_run_install.py", "test_install.py",
    "test_galaxy_e2e.py", "test_repair.py", "test_mirror_distro.py", "test_manifest.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(SLOW_MODULES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: file order otherwise
    for item in items:
        if item.path.name in rank:
            item.add_marker(pytest.mark.xdist_group(item.path.name))
