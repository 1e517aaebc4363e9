"""Shared fixtures: the committed fixture eggs, converted once; real interpreters and venvs.

Tests that need an interpreter (to install a wheel with its stock pip and import it) skip
when this machine does not have it, and the session ends with a line saying so: several
bugs show only in the 2.7 install tests, so a run without 2.7 must not look like a full
pass. ``EGG_MIGRATE_TEST_REQUIRE=2.7,3.10`` turns those skips into failures. An
interpreter that is there but cannot make a venv is a failure, never a skip.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import posixpath
import re
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

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


def shared_tmp(tmp_path_factory) -> Path:
    """A folder all xdist workers of this session share (the pytest-xdist pattern: the basetemp's parent)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (made if need be): one worker builds, the others wait and reuse."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _template(root: Path, interp: interpreters.Interpreter) -> Path:
    """The session's one venv of ``interp``, made by ``interpreters.make_venv`` on first use by any worker."""
    key = f"{interp.python_tag}-{interp.abi}-{hashlib.sha256(interp.path.encode()).hexdigest()[:10]}"
    template, done = root / key, root / f"{key}.done"
    with file_lock(root / f"{key}.lock"):
        if not done.exists():  # made in place (its scripts name this folder), marked done once whole
            shutil.rmtree(template, ignore_errors=True)
            interpreters.make_venv(interp, template)
            done.touch()
    return template


def copy_venv(template: Path, dest: Path) -> Path:
    """A fresh venv that is a copy of ``template``; returns its python.

    Python finds a venv from ``bin/python``'s own path (``pyvenv.cfg`` beside it), so a copy
    is a venv of its own; the scripts pip and virtualenv wrote (``pip``, ``activate``) name
    the template's folder and are pointed at the copy's.
    """
    shutil.copytree(template, dest, symlinks=True)
    old, new = str(template).encode(), str(dest).encode()
    for path in [dest / "pyvenv.cfg", *(dest / "bin").iterdir()]:
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            if old in data and not data.startswith(b"\x7fELF"):
                path.write_bytes(data.replace(old, new))
    return dest / "bin" / "python"


@pytest.fixture(scope="session")
def make_venv(tmp_path_factory):
    """Factory: a fresh venv for a Python version (skips only when the interpreter is missing).

    Each call gets its own venv with the interpreter's stock pip: a copy of one template per
    interpreter that ``interpreters.make_venv`` makes once per session, shared by the workers
    (a venv takes seconds of CPU to make; a copy a fraction of one).
    """
    counter = [0]
    root = shared_tmp(tmp_path_factory) / "venv-templates"

    def make(version: str) -> Path:
        interp = require_interpreter(version)
        counter[0] += 1
        dest = tmp_path_factory.mktemp(f"venv{version.replace('.', '')}_{counter[0]}")
        try:
            return copy_venv(_template(root, interp), dest / "venv")
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


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the xdist_group marks
def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(SLOW_MODULES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: file order otherwise
    for item in items:
        if item.path.name in rank:
            item.add_marker(pytest.mark.xdist_group(item.path.name))
