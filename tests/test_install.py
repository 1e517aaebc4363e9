"""The converted wheels install with stock pip on the interpreter each egg was built for, and work.

One venv per interpreter gets every wheel meant for it (one pip call, no --force,
no --platform: pip must accept the tags itself: ``installed_venvs`` in tests/conftest.py);
each test then imports modules, calls C functions and runs the installed scripts. Skips when
the interpreter is absent.
"""
import subprocess
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from tests.conftest import assert_extension_without_stub, installed_distributions, pip_install, py, run
from tests.installedwheels import WHEELS_FOR


@pytest.fixture(params=sorted(WHEELS_FOR))
def installed(request, installed_venvs):
    return installed_venvs(request.param)


@pytest.fixture(params=["2.7", "3.10"])
def installed_pure(request, installed_venvs):
    """The interpreters with pure, script and namespace fixtures."""
    return installed_venvs(request.param)


def test_pip_accepts_and_imports_everything(installed, fixture_wheels):
    version, python = installed
    out = installed_distributions(python)
    modules = set()
    for egg in WHEELS_FOR[version]:
        project = canonicalize_name(egg.split("-")[0])
        assert any(canonicalize_name(line.split("==")[0]) == project for line in out.splitlines()), (project, out)
        facts = fixture_wheels[egg].facts
        modules.update(facts.info.top_level)
        if facts.info.namespace_packages:  # nsdemo.alpha: the namespace's own part
            modules.add(facts.project)
    # every top-level module imports, from the venv (not from the folder the test runs in)
    code = ("import sys, os\n"
            "for name in sys.argv[1:]:\n"
            "    __import__(name)\n"
            "    module = sys.modules[name]\n"
            "    for path in [getattr(module, '__file__', None)] + list(getattr(module, '__path__', [])):\n"
            "        assert path is None or os.path.abspath(path).startswith(sys.prefix + os.sep), (name, path)\n"
            "print(len(sys.argv) - 1)")
    assert run([python, "-c", code, *sorted(modules)]).stdout.strip() == str(len(modules)), modules


def test_c_extensions_work(installed):
    version, python = installed
    assert py(python, "import cext; print(cext.add(2, 3))") == "5"
    assert py(python, "import cext; print(cext.echo(u'h\\xe9') == u'h\\xe9')") == "True"
    if version != "3.6":
        assert py(python, "import cpkg; print(cpkg.mul(6, 7))") == "42"


def test_no_stub_is_installed(installed):
    version, python = installed
    assert_extension_without_stub(python, "cext")
    if version != "3.6":
        assert_extension_without_stub(python, "cpkg._speedups")


def test_scripts_and_entry_points_run(installed_pure):
    version, python = installed_pure
    bindir = Path(python).parent
    assert run([bindir / "toolbox"]).stdout.strip() == "toolbox ok"
    legacy = bindir / "toolbox-legacy"
    assert run([legacy]).stdout.strip() == "toolbox-legacy ok"
    first_line = legacy.read_text().splitlines()[0]
    assert first_line.startswith("#!") and str(bindir) in first_line  # pip rewrote #!python
    # the plugin group is found through the installed metadata (entry_points.txt), then loaded
    # (on 2.7 through pkg_resources, resolve(): load() would also demand six, which --no-deps left out)
    group = ("import pkg_resources; eps = [(e.name, e.resolve()) for e in pkg_resources.iter_entry_points('toolbox.plugins')]"
             if version == "2.7" else
             "from importlib.metadata import entry_points; eps = [(e.name, e.load()) for e in entry_points(group='toolbox.plugins')]")
    assert py(python, group + "; print([(name, f()) for name, f in eps])") == "[('basic', 'basic')]"


def test_namespace_packages_side_by_side(installed_pure):
    version, python = installed_pure
    assert py(python, "import nsdemo.alpha, nsdemo.beta; print(nsdemo.alpha.NAME + nsdemo.beta.NAME)") == "alphabeta"
    # No pkg_resources involved: importing must not pull it in.
    assert py(python, "import sys, nsdemo.alpha; print('pkg_resources' in sys.modules)") == "False"


def test_bytecode_only_and_pure(installed_pure):
    version, python = installed_pure
    if version == "2.7":
        assert py(python, "import nosrc; print(nosrc.value())") == "7"
    assert py(python, "import purepkg; print(purepkg.hello())") == "hello"
    data_file = "import purepkg, os; print(os.path.isfile(os.path.join(os.path.dirname(purepkg.__file__), 'data', 'words.txt')))"
    assert py(python, data_file) == "True"


def test_folder_egg_and_linked_libraries(installed_venvs):
    version, python = installed_venvs("3.10")
    assert py(python, "import dirpkg; print(dirpkg.answer())") == "42"
    assert run([Path(python).parent / "dirpkg-tool"]).stdout.strip() == "dirpkg-tool ok 42"
    assert py(python, "import zlibext, zlib; print(zlibext.crc(b'abc') == zlib.crc32(b'abc'))") == "True"
    assert py(python, "import xmlext; print(xmlext.version())")


def test_galaxy_tagged_ucs4_egg_installs_on_ucs4_python(make_venv, fixture_wheels):
    """A pin on the release (``cext==1.0``) takes the local version, as Galaxy relied on: of the
    two cext 1.0 builds for cp27mu in the folder, pip must pick 1.0+7b95ff194725 (the higher),
    which it can only if it accepts that wheel's tags."""
    python = make_venv("2.7")
    wheel = fixture_wheels["cext-1.0_7b95ff194725-py2.7-linux-x86_64-ucs4.egg"].wheel
    assert (Path(wheel).parent / "cext-1.0-cp27-cp27mu-linux_x86_64.whl").exists()  # the other candidate
    pip_install(python, "--no-deps", "--find-links", str(Path(wheel).parent), "cext==1.0")
    assert "cext==1.0+7b95ff194725" in installed_distributions(python).splitlines()
    assert py(python, "import cext; print(cext.add(1, 1))") == "2"


def test_wrong_python_is_refused_by_pip(installed_venvs, fixture_wheels):
    """The tags are precise: pip on 3.10 refuses the cp27mu wheel (no --force anywhere). A refused
    wheel changes nothing, so the 3.10 venv of the other tests will do."""
    version, python = installed_venvs("3.10")
    wheel = fixture_wheels["cext-1.0-py2.7-linux-x86_64.egg"].wheel
    proc = subprocess.run([python, "-m", "pip", "install", "--no-index", wheel], capture_output=True, text=True,
                          env=__import__("migrate.interpreters", fromlist=["pip_env"]).pip_env())
    assert proc.returncode != 0 and "is not a supported wheel on this platform" in proc.stderr
