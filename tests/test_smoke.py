"""``check --smoke``: real interpreters, real venvs, their stock pip; skips are skips."""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

import pytest

from migrate import interpreters
from migrate import problems as P
from migrate.checks import smoke
from migrate.checks import smoke_batch as B
from migrate.checks.smoke import FAILED, PASSED, SKIPPED, import_names, pick_interpreter, smoke_test
from migrate.cli import main
from tests.conftest import build_once, copy_venv, require_interpreter, shared_tmp, venv_template
from tests.test_check_wheelmaker import build_wheel, standard_files


@pytest.fixture(autouse=True)
def bases_from_templates(monkeypatch, tmp_path_factory):
    """The base venvs the tool makes (interpreters.make_venv) are copies of the session's templates,
    the venvs ``python -m venv`` makes (tests/venvs.py): made once per session, not once per test."""
    def copy_of_template(interp: interpreters.Interpreter, dest: Path) -> Path:
        return copy_venv(venv_template(tmp_path_factory, interp), dest)

    monkeypatch.setattr(interpreters, "make_venv", copy_of_template)


@pytest.fixture(scope="session")
def venv_cache(tmp_path_factory):
    """Base venvs shared by the tests of this module in both workers (each test still gets fresh
    copies): the cache's own lock makes each base venv once."""
    return shared_tmp(tmp_path_factory) / "smoke-venvs"


@pytest.fixture(scope="session")
def py27_py310():
    return [require_interpreter("2.7"), require_interpreter("3.10")]


def test_fixture_wheels_install_and_import(fixture_wheels, py27_py310, venv_cache):
    names = ["cext-1.0-py2.7-linux-x86_64.egg", "nsdemo.alpha-1.0-py2.7.egg",
             "cpkg-2.0-py3.10-linux-x86_64.egg", "toolbox-0.5-py3.10.egg"]
    wheels = [fixture_wheels[n].wheel for n in names]
    results, runs = _counted_smoke(wheels, py27_py310, venv_cache, jobs=2)
    assert [r.wheel for r in results] == [str(w) for w in wheels], "results come back in input order"
    assert runs == {"install": 2, "check": 2, "probe": 4}, "-j 2 has two batches: one per interpreter, side by side"
    for r in results:
        assert r.status == PASSED, (r.wheel, [str(p) for p in r.problems])
    cext27, nsdemo, cpkg, toolbox = results
    assert cext27.python.startswith("2.7") and " cp27mu " in cext27.python and cext27.modules == ("cext",)
    assert nsdemo.modules == ("nsdemo", "nsdemo.alpha"), "namespace children are imported too"
    assert cpkg.python.startswith("3.10") and cpkg.modules == ("cpkg",)
    assert toolbox.modules == ("toolbox",)


def test_no_matching_interpreter_is_a_skip_not_a_pass(fixture_wheels, py27_py310, venv_cache):
    wheel = fixture_wheels["cext-1.0-py3.6-linux-x86_64.egg"].wheel
    [result] = smoke_test([wheel], interpreters=py27_py310, cache_dir=venv_cache)
    assert result.status == SKIPPED
    [problem] = result.problems
    assert problem.code == "W903" and problem.severity == P.WARNING
    assert "cp36-cp36m" in problem.message and "2.7 cp27mu" in problem.message


def test_interpreters_are_matched_by_tags(fixture_wheels, py27_py310):
    py27, py310 = py27_py310
    assert pick_interpreter(fixture_wheels["cext-1.0-py2.7-linux-x86_64.egg"].wheel, py27_py310) == py27
    assert pick_interpreter(fixture_wheels["purepkg-1.0-py3.10.egg"].wheel, py27_py310) == py310
    assert pick_interpreter(fixture_wheels["purepkg-1.0-py3.10.egg"].wheel, [py27]) is None


def _wheel(tmp_path, modules, **kw):
    return build_wheel(tmp_path, standard_files(modules=modules, **kw))


def _counted_smoke(wheels, interps, cache_dir, jobs=1) -> tuple[list, Counter]:
    """smoke_test, and how many pip installs, pip checks and import probes it ran."""
    runs: Counter = Counter()
    real = smoke._run
    lock = threading.Lock()  # -j 2 counts from two threads

    def counting(cmd, cwd):
        words = [str(c) for c in cmd]
        with lock:
            runs["probe" if "-c" in words else words[words.index("pip") + 1]] += 1
        return real(cmd, cwd)

    smoke._run = counting
    try:
        return smoke_test(wheels, jobs=jobs, interpreters=interps, cache_dir=cache_dir), runs
    finally:
        smoke._run = real


def _one_batch(folder: Path, py310, venv_cache) -> tuple[dict, Counter]:
    def named(name, modules, metadata=""):
        return build_wheel(folder, standard_files(name=name, modules=modules, metadata=metadata), f"{name}-1.0-py3-none-any.whl")

    wheels = [named("alpha", {"alpha/__init__.py": b"VALUE = 1\n"}),
              named("beta", {"beta/__init__.py": b"import alpha\n"}, "Requires-Dist: alpha==2\n"),
              named("gamma", {"gamma.py": b""}, "Requires-Dist: pip<1\n"),
              named("demo", {"demo/__init__.py": b"import no_such_module_anywhere\n"})]
    results, runs = _counted_smoke(wheels, [py310], venv_cache)
    return {Path(r.wheel).name.split("-")[0]: r for r in results}, runs


@pytest.fixture
def one_batch(tmp_path_factory, py27_py310, venv_cache):
    """Four wheels for 3.10 that can share a venv, smoke-tested together once per session (either worker)."""
    return build_once(tmp_path_factory, "smoke-one-batch", lambda folder: _one_batch(folder, py27_py310[1], venv_cache))


def test_import_failure(one_batch):
    results, _ = one_batch
    assert results["demo"].status == FAILED
    assert [p.code for p in results["demo"].problems] == ["W902"]
    assert "no_such_module_anywhere" in results["demo"].problems[0].message


def test_install_failure(tmp_path, py27_py310, venv_cache):
    wheel = build_wheel(tmp_path, {"demo/__init__.py": b""}, record=False)  # no .dist-info at all
    [result] = smoke_test([wheel], interpreters=py27_py310[1:], cache_dir=venv_cache)
    assert result.status == FAILED
    assert [p.code for p in result.problems] == ["W901"]
    assert "pip install failed" in result.problems[0].message


def test_a_name_taken_by_the_standard_library(tmp_path, py27_py310, venv_cache):
    """Also a file of the base venv replaced in the copy (setuptools' ``override.py``): the copy's files
    are hard links to the base's, and pip replaces a file rather than writing into it, so the base
    keeps its own."""
    replaced = b"# the wheel's\n__import__('_distutils_hack').do_override()\n"
    wheel = _wheel(tmp_path, {"json/__init__.py": b"SHADOW = True\n", "_distutils_hack/override.py": replaced})
    [result] = smoke_test([wheel], interpreters=py27_py310[1:], cache_dir=venv_cache)
    assert result.status == PASSED
    assert [p.code for p in result.problems] == ["W906"]
    [override] = venv_cache.glob("base-cp310-*/lib/python3.10/site-packages/_distutils_hack/override.py")
    assert override.read_bytes() != replaced


def test_pip_check_complaints_other_than_missing_dependencies(tmp_path, venv_cache):
    """pip >= 24 (Python 3.13's) checks the WHEEL tags of what is installed."""
    py313 = require_interpreter("3.13")
    files = standard_files(metadata="Requires-Dist: not-installed-anywhere\n")
    files["demo-1.0.dist-info/WHEEL"] = files["demo-1.0.dist-info/WHEEL"].replace(
        b"Tag: py3-none-any", b"Tag: cp27-cp27mu-linux_aarch64")
    wheel = build_wheel(tmp_path, files)
    [result] = smoke_test([wheel], interpreters=[py313], cache_dir=venv_cache)
    assert result.status == FAILED
    assert [p.code for p in result.problems] == ["W905"], [str(p) for p in result.problems]
    assert "not supported on this platform" in result.problems[0].message
    assert "not-installed-anywhere" not in result.problems[0].message


def test_import_names_fall_back_to_the_archive(tmp_path):
    wheel = _wheel(tmp_path, {"alpha/__init__.py": b"", "beta.py": b"", "_gamma.cpython-310-x86_64-linux-gnu.so": b"",
                              "not-a-module.txt": b"", "demo-1.0.data/scripts/tool": b"#!python\n"})
    assert import_names(wheel) == ("_gamma", "alpha", "beta")


def test_throwaway_venvs_are_removed(tmp_path, py27_py310, monkeypatch):
    """Without a cache folder, everything (base venvs, the batch's venv, each wheel's own) lives in one temp
    folder, removed at the end."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    other = build_wheel(tmp_path / "w", standard_files(name="other"), "other-1.0-py3-none-any.whl")
    wheel = _wheel(tmp_path / "w", {"demo/__init__.py": b""})
    results, runs = _counted_smoke([wheel, other], py27_py310[1:], None)
    assert [r.status for r in results] == [PASSED, PASSED]
    assert runs == {"install": 1, "check": 1, "probe": 2}
    assert list(scratch.iterdir()) == []


def test_a_batch_pip_refuses_is_halved_down_to_the_wheel_at_fault(tmp_path, monkeypatch):
    """The halving alone, pip's answers made up (test_install_failure has a real refusal): a batch with a
    wheel pip refuses is split until that wheel is alone, which fails with pip's line; the others pass."""
    tried = []

    def install(venv, wheels):
        tried.append([w.name.split("-")[0] for w in wheels])
        return subprocess.CompletedProcess([], 1 if "bad" in tried[-1] else 0, "", "ERROR: bad is refused")

    class Venvs:
        root = tmp_path

        def base(self, interp):
            return tmp_path

        def copy(self, interp):
            venv = Path(tempfile.mkdtemp(dir=tmp_path)) / "venv"
            venv.mkdir()
            return venv

    monkeypatch.setattr(smoke, "_install", install)
    monkeypatch.setattr(smoke, "_pip_check", lambda venv: "")
    monkeypatch.setattr(smoke, "_probe", lambda venv, wheel, modules: [])
    monkeypatch.setattr(B, "view", lambda shared, base, dist_info, dest: dest)
    me = interpreters.Interpreter(sys.executable, "cp", tuple(sys.version_info[:3]), "cp311")
    plans = [smoke._Plan(Path(f"{n}-1.0-py3-none-any.whl"), me, "", (n,), B.Footprint(n, f"{n}-1.0.dist-info", frozenset({n})), 0)
             for n in ["a", "b", "c", "bad", "e"]]
    results = smoke._batch(plans, Venvs())
    assert [r.status for r in results] == [PASSED, PASSED, PASSED, FAILED, PASSED]
    assert [str(p) for p in results[3].problems] == [str(P.error("W901", "pip install failed: ERROR: bad is refused"))]
    assert tried == [["a", "b", "c", "bad", "e"], ["a", "b"], ["c", "bad", "e"], ["c"], ["bad", "e"], ["bad"], ["e"]]
    assert sorted(tmp_path.iterdir()) == [], "each copy removed"


def test_cli_smoke(tmp_path, capsys, fixture_wheels, venv_cache):
    """A UCS2 Python 2 wheel: no interpreter on a Linux machine accepts cp27m, so it is skipped."""
    py310 = require_interpreter("3.10")
    good = fixture_wheels["purepkg-1.0-py3.10.egg"].wheel
    ucs2 = build_wheel(tmp_path, standard_files(tags=("cp27-cp27m-linux_x86_64",), purelib=False),
                       "demo-1.0-cp27-cp27m-linux_x86_64.whl")
    if any(i.abi == "cp27m" for i in interpreters.discover()):
        pytest.skip("this machine has a UCS2 Python 2.7")
    rc = main(["check", "--smoke", "--json", "--venv-cache", str(venv_cache), "--interpreter", py310.path,
               good, str(ucs2)])
    out, err = capsys.readouterr()
    assert rc == 0, "a skip is not an error"
    records = json.loads(out)
    assert records[0]["smoke"]["status"] == "passed" and records[0]["smoke"]["python"].endswith(py310.path)
    assert records[1]["smoke"]["status"] == "skipped" and records[1]["status"] == "warnings"
    assert [p["code"] for p in records[1]["problems"]] == ["W903"]
    assert "smoke: 1 passed, 0 failed, 1 skipped" in err


def test_cli_bad_interpreter_is_named(tmp_path, capsys, venv_cache):
    """One line names the bad --interpreter; the smoke test goes on with the interpreters found. The
    wheel is for Windows, so none of them takes it: the same way through the command, no pip run."""
    wheel = build_wheel(tmp_path, standard_files(tags=("py3-none-win_amd64",), purelib=False),
                        "demo-1.0-py3-none-win_amd64.whl")
    fake = tmp_path / "python-fake"
    fake.write_text("#!/bin/sh\nexit 3\n")
    fake.chmod(0o755)
    rc = main(["check", "--smoke", "--venv-cache", str(venv_cache), "--interpreter", str(fake), str(wheel)])
    out, err = capsys.readouterr()
    assert rc == 1
    assert f"--interpreter {fake}: does not run" in err
    assert "[smoke: skipped" in out
    found = ", ".join(f"{i.short} {i.abi}" for i in interpreters.discover())
    assert f"(found: {found}); not tested" in out, out


_TRY_LOCK = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except OSError:
    sys.exit(3)
"""


def test_a_shared_venv_cache_makes_each_base_under_a_lock_other_processes_see(tmp_path, monkeypatch):
    """Two runs sharing --venv-cache: while one makes a base venv, another process finds its
    lock taken (and waits for the venv rather than making it again)."""
    tried = []

    def fake_make_venv(interp, dest):
        [lock] = tmp_path.glob(".base-*.lock")
        tried.append(subprocess.run([sys.executable, "-c", _TRY_LOCK, str(lock)]).returncode)
        dest.mkdir(parents=True)
        return dest

    monkeypatch.setattr(interpreters, "make_venv", fake_make_venv)
    me = interpreters.Interpreter(sys.executable, "cp", tuple(sys.version_info[:3]), "cp311")
    venvs = smoke._Venvs(tmp_path)
    assert venvs.base(me) == venvs.base(me)
    assert tried == [3]  # made once, and another process could not take the lock meanwhile


def test_wheels_that_would_meet_in_a_venv_are_not_batched(tmp_path):
    """A shared top-level name, data path or distribution name keeps two wheels apart; one that meets the
    base venv (a name in its site-packages, a distribution it has) or has no .dist-info goes alone."""
    def footprint(name, members, version="1.0"):
        files = standard_files(name=name, version=version, modules=dict.fromkeys(members, b""))
        return B.footprint(build_wheel(tmp_path / name / version, files, f"{name}-{version}-py3-none-any.whl"), name)

    site = tmp_path / "site-packages"
    for entry in ["pip", "pip-23.0.1.dist-info", "_distutils_hack", "distutils-precedence.pth", "__pycache__"]:
        (site / entry).mkdir(parents=True)
    members = [footprint("a", ["x/__init__.py"]), footprint("b", ["x.cpython-310-x86_64-linux-gnu.so"]),
               footprint("c", ["c/__init__.py", "c-1.0.data/data/share/c.txt"]),
               footprint("d", ["d.py", "d-1.0.data/data/share/c.txt"]), footprint("a", ["a2.py"], "2.0"),
               footprint("e", ["_distutils_hack/override.py"]), footprint("pip", ["pip_extra.py"]),
               B.Footprint("f", None, frozenset({"f"})), footprint("g", ["g/__init__.py"])]
    assert B.plan(members, B.base_footprint(site), size=3) == [[0, 2, 8], [1, 3, 4], [5], [6], [7]]
    assert B.plan(members[:4], B.base_footprint(site), size=1) == [[0], [1], [2], [3]]


def test_pip_check_lines_are_told_apart():
    lines = ("beta 1.0 has requirement alpha==2, but you have alpha 1.0.\n"
             "gamma 1.0 has requirement pip<1, but you have pip 23.0.1.\n"
             "Demo.Tool 1.0 requires six, which is not installed.\n"
             "Demo.Tool 1.0 is not supported on this platform\n")
    assert B.complaints(lines, ["alpha", "beta", "gamma", "demo-tool"]) == {
        "alpha": [], "beta": [], "gamma": ["gamma 1.0 has requirement pip<1, but you have pip 23.0.1."],
        "demo-tool": ["Demo.Tool 1.0 is not supported on this platform"]}
    assert B.complaints(lines + "setuptools 65.5.0 has requirement x>1, but you have x 0.1.\n",
                        ["alpha", "beta", "gamma", "demo-tool"]) is None, "a line about none of them"


def test_a_python2_venv_is_byte_compiled(tmp_path_factory):
    """virtualenv leaves pip as source; interpreters.make_venv compiles it, as python -m venv's pip does:
    otherwise every pip run in a copy of the venv compiles pip again (the session's 2.7 venvs are made so)."""
    template = venv_template(tmp_path_factory, require_interpreter("2.7"))
    [site] = template.glob("lib/python2.7/site-packages")
    assert (site / "pip" / "_internal" / "cli" / "main.pyc").is_file()
    assert (site / "pip" / "_vendor" / "pkg_resources" / "__init__.pyc").is_file()


# Last in the file, so that the worker that did not make the batch (test_import_failure) does not wait for it.
def test_a_batch_installs_once_and_imports_each_wheel_alone(one_batch):
    """One pip install and one pip check for the four; each wheel imported in a venv of its own: beta
    imports alpha, which it does not ship, and fails as it would alone although alpha passed beside it."""
    results, runs = one_batch
    assert runs == {"install": 1, "check": 1, "probe": 4}
    assert results["alpha"].status == PASSED and results["alpha"].problems == ()
    assert results["beta"].status == FAILED
    assert [(p.code, "No module named" in p.message and "alpha" in p.message) for p in results["beta"].problems] == [("W902", True)]


def test_pip_check_lines_go_to_their_own_wheel(one_batch):
    """gamma's unmet requirement (pip<1, where the venv has pip) is gamma's alone; beta's requirement on
    alpha==2 is not held against it: installed alone, alpha would be missing, and that pip check leaves out."""
    results, _ = one_batch
    assert results["gamma"].status == FAILED
    [problem] = results["gamma"].problems
    assert problem.code == "W905" and problem.message.startswith("pip check: gamma 1.0 has requirement pip<1")
    assert not [p for p in results["beta"].problems if p.code == "W905"]
    assert not [p for p in results["demo"].problems if p.code == "W905"]


def test_a_view_links_only_what_the_record_names_inside_the_shared_venv(tmp_path):
    """A wheel's own venv gets the files its RECORD names in the shared venv, and nothing a row points at
    outside it (``..``, an absolute path): those rows are passed over, never linked, and nothing is
    written beside the view; no RECORD is an OSError (the wheel is then tested alone)."""
    base, shared, deep = tmp_path / "base", tmp_path / "shared", tmp_path / "deep"
    (base / "bin").mkdir(parents=True)
    (base / "bin" / "python").write_text("#!/bin/sh\n")
    site = shared / "lib" / "python3.10" / "site-packages"
    (site / "demo-1.0.dist-info").mkdir(parents=True)
    (site / "demo").mkdir()
    (site / "demo" / "__init__.py").write_text("x = 1\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret").write_text("not the wheel's\n")
    (site / "demo-1.0.dist-info" / "RECORD").write_text(
        "demo/__init__.py,,\n../../../../outside/secret,,\n" + f"{tmp_path / 'outside' / 'secret'},,\n"
        + "demo-1.0.dist-info/RECORD,,\n")
    python = B.view(shared, base, "demo-1.0.dist-info", deep / "view")
    made = sorted(str(p.relative_to(deep)) for p in deep.rglob("*") if p.is_file())
    assert python == deep / "view" / "bin" / "python"
    assert made == ["view/bin/python", "view/lib/python3.10/site-packages/demo-1.0.dist-info/RECORD",
                    "view/lib/python3.10/site-packages/demo/__init__.py"]
    with pytest.raises(OSError, match="RECORD is not in the shared venv"):
        B.view(shared, base, "other-1.0.dist-info", deep / "view2")
