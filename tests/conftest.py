"""Shared fixtures: the committed fixture eggs, converted once; real interpreters and venvs.

Tests that need an interpreter (to install a wheel with its stock pip and import it) skip
when this machine does not have it, and the session ends with a line saying so: several
bugs show only in the 2.7 install tests, so a run without 2.7 must not look like a full
pass. ``EGG_MIGRATE_TEST_REQUIRE=2.7,3.10`` turns those skips into failures. An
interpreter that is there but cannot make a venv is a failure, never a skip.
"""
from __future__ import annotations

import compileall
import fcntl
import gc
import hashlib
import json
import os
import pickle
import posixpath
import re
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Optional, TypeVar

import pytest

from migrate import interpreters, mirror
from migrate.fsutil import linked_copy
from migrate.wheels.convert import convert_egg
from tests import installedwheels, madebinaries, nosync, venvs, warmup
from tests.runner import migrate_run
from tests.wheelmaker import SIX, good_wheels, make_wheel

FIXTURES = Path(__file__).parent / "fixtures" / "eggs"
PACKAGE = Path(__file__).resolve().parent.parent / "migrate"
T = TypeVar("T")


def fixture_egg(name: str) -> Path:
    path = FIXTURES / name
    assert path.exists(), f"missing fixture {name}: run scripts/build-fixture-eggs"
    return path


def pytest_configure(config):
    """Compile the package to bytecode once, before any worker starts, and let pytest keep its cache.

    The tests start ``python -m migrate`` (and code importing it) in many subprocesses. Where the environment says not to
    write bytecode (``PYTHONDONTWRITEBYTECODE``), each of those would compile every module it
    imports from source again: a third of the CPU of a small run. Likewise pytest would rewrite
    the asserts of every test module again in every worker of every session (4-5 s of CPU per
    worker; it reads its cache even then, but never writes it). Bytecode is only a cache (checked
    against the source's mtime and size), so this changes no behaviour. The controller also starts
    the process that makes Hypothesis's tables once for all workers (tests/warmup.py). ``os.fsync``
    checks its descriptor but waits for no disk (tests/nosync.py).
    """
    _write_bytecode()
    nosync.install()
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        compileall.compile_dir(str(PACKAGE), quiet=1)
    config.stash[_TABLES] = warmup.start_hypothesis_tables(config)


_TABLES = pytest.StashKey[Optional[subprocess.Popen]]()


def pytest_unconfigure(config):
    warmup.finish(config.stash.get(_TABLES, None))


def pytest_collection(session):
    """Before collecting, a worker imports the test modules in its own turn (tests/warmup.py)."""
    warmup.import_in_turn(session)


def pytest_collection_finish(session):
    """Once collected, what the process holds (modules, test functions, Hypothesis's tables) stays for
    the session: ``gc.freeze`` moves it out of the collector's sight. A full collection, a test's
    ``gc.collect()`` or the interpreter's own, then looks only at what tests made since: a test that
    collected 15 times took 3 s, most of it walking these objects. Reference counting still frees any of
    them; only a cycle among them would be kept, and the ``gc.collect()`` first clears those made so far."""
    gc.collect()
    gc.freeze()


def _write_bytecode() -> None:
    """In this process (the controller and each worker run ``pytest_configure`` before collecting)."""
    sys.dont_write_bytecode = False


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


# Run by a venv's python (2.7 or 3.x): "name==version" of every distribution installed in the venv
# (not the standard library's, not one in the folder the python was started in), a line each.
_DISTRIBUTIONS = r"""
import os, sys
prefix = os.path.realpath(sys.prefix) + os.sep
try:
    from importlib.metadata import distributions
    found = [(d.metadata["Name"], d.version, str(d.locate_file(""))) for d in distributions()]
except ImportError:  # 2.7 and 3.6 (their venvs have setuptools)
    import pkg_resources
    found = [(d.project_name, d.version, d.location) for d in pkg_resources.working_set]
for name, version, where in sorted(found):
    if os.path.realpath(where).startswith(prefix):
        print("%s==%s" % (name, version))
"""


def installed_distributions(python: Path) -> str:
    """What ``pip list --format=freeze`` prints, read from the installed metadata by the venv's own
    python: starting pip only to list costs about a second of CPU (pip 20 on 2.7), this a tenth."""
    return run([python, "-c", _DISTRIBUTIONS]).stdout


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
    """A folder all xdist workers of this session share (the pytest-xdist pattern: the basetemp's parent).

    Only a real worker's basetemp (``.../pytest-N/popen-gwK``) counts: a pytest started by a test
    inherits ``PYTEST_XDIST_WORKER`` and must not share a folder with other sessions."""
    base = tmp_path_factory.getbasetemp()
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return base.parent if worker and base.name == f"popen-{worker}" else base


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


def build_once(tmp_path_factory, name: str, build: Callable[[Path], T]) -> T:
    """``build(folder)`` run once per session, by whichever xdist worker asks first; every other call
    (either worker, any module) waits for it and gets its result back (pickled beside the folder).

    Module fixtures would build once per worker at best, and again each time a worker comes back to
    the module (``--dist load`` interleaves modules); what is built here is built once. A build that
    raises leaves nothing behind, and the next call tries again.
    """
    root = shared_tmp(tmp_path_factory) / "built-once"
    folder, result = root / name, root / f"{name}.pickle"
    with file_lock(root / f"{name}.lock"):
        if not result.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            value = build(folder)
            result.write_bytes(pickle.dumps(value))
            return value
    return pickle.loads(result.read_bytes())


def venv_template(tmp_path_factory, interp: interpreters.Interpreter) -> Path:
    """The session's one venv of ``interp``, made in place (its scripts name it) by ``venvs.make_stock_venv``
    (the venv ``python -m venv`` makes, for half the CPU; looked up when called, so a test can replace it)."""
    def make(folder: Path) -> Path:
        venvs.make_stock_venv(interp, folder)
        return folder

    key = f"venv-{interp.python_tag}-{interp.abi}-{hashlib.sha256(interp.path.encode()).hexdigest()[:10]}"
    return build_once(tmp_path_factory, key, make)


def copy_venv(template: Path, dest: Path) -> Path:
    """A fresh venv that is a copy of ``template``; returns its python.

    Python finds a venv from ``bin/python``'s own path (``pyvenv.cfg`` beside it), so a copy
    is a venv of its own; the scripts pip and virtualenv wrote (``pip``, ``activate``) name
    the template's folder and are pointed at the copy's. Its files are hard links to the
    template's (``fsutil.linked_copy``): pip and Python's bytecode cache replace a file (unlink
    or rename over it), never write into one, and the scripts changed here are new files.
    """
    linked_copy(template, dest)
    old, new = str(template).encode(), str(dest).encode()
    for path in [dest / "pyvenv.cfg", *(dest / "bin").iterdir()]:
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            if old in data and not data.startswith(b"\x7fELF"):
                mode = path.stat().st_mode
                path.unlink()  # the template's file stays as it is
                path.write_bytes(data.replace(old, new))
                path.chmod(mode)
    return dest / "bin" / "python"


@pytest.fixture(scope="session")
def make_venv(tmp_path_factory):
    """Factory: a fresh venv for a Python version (skips only when the interpreter is missing).

    Each call gets its own venv with the interpreter's stock pip: a copy of one template per
    interpreter that ``venvs.make_stock_venv`` makes once per session, shared by the workers
    (a venv takes seconds of CPU to make; a copy a fraction of one).
    """
    counter = [0]

    def make(version: str, dest: Optional[Path] = None) -> Path:
        """The python of a new venv at ``dest`` (default: a new temp folder)."""
        interp = require_interpreter(version)
        if dest is None:
            counter[0] += 1
            dest = tmp_path_factory.mktemp(f"venv{version.replace('.', '')}_{counter[0]}") / "venv"
        try:
            return copy_venv(venv_template(tmp_path_factory, interp), dest)
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
def made_wheels(tmp_path_factory) -> dict:
    """The eggs tests/madebinaries.py makes from committed binaries, converted once per session: {egg name: ConvertResult}."""
    return build_once(tmp_path_factory, "made-wheels", madebinaries.convert_made_eggs)


@pytest.fixture(scope="session")
def installed_venvs(make_venv, fixture_wheels, made_wheels, tmp_path_factory):
    """Factory: (version, python) of the venv of a Python version with every wheel meant for it
    (tests/installedwheels.py) installed by one pip run, made once per session; the tests only read it."""

    def install(version: str, folder: Path) -> Path:
        python = make_venv(version, folder / "venv")
        # --no-deps: toolbox needs six on 2.7, which is not a fixture; everything else is here.
        pip_install(python, "--no-deps", *installedwheels.wheels_for(version, fixture_wheels, made_wheels))
        return python

    def get(version: str):
        return version, build_once(tmp_path_factory, f"installed-fixtures-{version}", lambda f: install(version, f))

    return get


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
    """``egg-migrate run`` on data/sample-repo once per session, for every worker (exit 1: its one
    broken egg): the OUT folder. Tests only read it, or re-run it to see that nothing changes."""
    return build_once(tmp_path_factory, "sample-run", _sample_run)


@pytest.fixture(scope="session")
def sample_first_run(sample_run) -> Path:
    """``sample_run``'s OUT as the run left it, copied before any test could re-run into it: a test that
    writes into it (a re-run) copies it first."""
    return sample_run.parent / "as-first-run"


def _sample_run(folder: Path) -> Path:
    done = migrate_run(folder / "out")
    assert done.returncode == 1, done.stderr
    shutil.copytree(folder / "out", folder / "as-first-run", symlinks=True)
    return folder / "out"


# The order tests are handed out in (scripts/test: ``--dist load --maxschedchunk 1``, so a worker
# takes the next test when it is nearly done): the slowest work first, so it is not the tail of
# the run. FIRST: single tests that take seconds (a PyPy venv, a venv template made by the first
# test that needs it, many pip runs, a wait), longest first as measured; then every test of the
# modules with many slow ones (venvs and pip installs, whole runs), then the rest in file order.
FIRST = (
    "test_pypy.py::test_real_pypy_egg_converts_installs_and_runs",
    "test_smoke.py::test_fixture_wheels_install_and_import",
    "test_pins_prereleases.py::test_pip_picks_the_same_versions",
    "test_binaries_install.py::test_py310_wheels_install_and_work",
    "test_smoke.py::test_pip_check_complaints_other_than_missing_dependencies",
    "test_attacks_network.py::test_a_trickle_cannot_keep_a_download_alive_past_its_deadline",
    "test_run.py::test_killed_again_and_again",
    "test_install.py::test_pip_accepts_and_imports_everything[3.6]",
)
SLOW_MODULES = (
    "test_run.py", "test_smoke.py", "test_install.py", "test_run_install.py", "test_galaxy_e2e.py",
    "test_pins.py", "test_collisions.py", "test_run_failures.py", "test_binaries_install.py",
    "test_mirror_distro.py", "test_namespace_code.py", "test_repair.py", "test_check_tools.py",
    "test_interpreter_skips.py", "test_egginfo_parsed.py",
)


def pytest_collection_modifyitems(config, items):
    """FIRST, then the first test of each of SLOW_MODULES, then their other tests, then the rest.

    A slow module's first test builds what its tests share (``build_once``): handed out next to
    its siblings, the other worker took the second test and waited for the build, idle (3-4 s a
    run in all). Handed out among the other modules' first tests, each build runs beside other work."""
    rank = {name: i for i, name in enumerate(SLOW_MODULES)}
    opening = {}
    for item in items:
        opening.setdefault(item.path.name, item)

    def order(item) -> tuple[int, int]:
        name = f"{item.path.name}::{item.name}"
        first = next((i for i, prefix in enumerate(FIRST) if name.startswith(prefix)), None)
        if first is not None:
            return (0, first)
        module = rank.get(item.path.name, len(rank))
        return (1 if module < len(rank) and opening[item.path.name] is item else 2, module)

    items.sort(key=order)  # stable: file order otherwise
