"""PyPy eggs: ``pp39-pypy39_pp73-<platform>``, proven with a real egg built, converted and installed by PyPy.

The egg is built here by ``/usr/bin/pypy3 setup.py bdist_egg`` from a one-function C
extension (skipped without pypy3, its headers or gcc), converted, installed with pypy3's
own pip into a fresh ``pypy3 -m venv``, imported and called.

The venv is made ``--without-pip`` and the stock pip (the wheel ``ensurepip`` installs) runs
in it from that wheel's files, as ``ensurepip`` itself runs it (from the wheel unpacked: PyPy
reads modules from a zip slowly): installing pip into a PyPy venv first
(what ``pypy3 -m venv`` does) byte-compiles pip and setuptools, 7 s of CPU, more than the rest
of the test. Without such a wheel it falls back to a venv with pip installed.
"""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from migrate import interpreters
from migrate.binaries import BinaryFacts
from migrate.eggs.names import parse
from migrate.wheels.convert import ConvertOptions, convert_egg
from migrate.wheels.tags import TagOptions, choose
from tests.conftest import assert_extension_without_stub, pip_install, py, run

PYPY = Path("/usr/bin/pypy3")
SETUP = 'from setuptools import setup, Extension\nsetup(name="ppext", version="1.0", ext_modules=[Extension("ppext", ["ppext.c"])])\n'
SOURCE = r"""#include <Python.h>
static PyObject *add(PyObject *self, PyObject *args) {
    long a, b;
    if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL;
    return PyLong_FromLong(a + b);
}
static PyMethodDef methods[] = {{"add", add, METH_VARARGS, "a + b"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "ppext", NULL, -1, methods};
PyMODINIT_FUNC PyInit_ppext(void) { return PyModule_Create(&module); }
"""
# Run by the interpreter: the pip wheel its ensurepip installs (CPython and PyPy keep it in
# ensurepip/_bundled, Debian's patched ensurepip in /usr/share/python-wheels), if it is there.
STOCK_PIP = r"""
import ensurepip, glob, os
folders = [os.path.join(os.path.dirname(ensurepip.__file__), "_bundled"), "/usr/share/python-wheels"]
found = [w for f in folders for w in sorted(glob.glob(os.path.join(f, "pip-*.whl")))
         if os.path.basename(w).split("-")[1] == ensurepip.version()]
print(found[0] if found else "")
"""


@pytest.mark.parametrize("member, abi", [
    ("ppext.pypy39-pp73-x86_64-linux-gnu.so", "pypy39_pp73"),
    ("ppext.pypy37-pp73-x86_64-linux-gnu.so", "pypy37_pp73"),
])
@pytest.mark.parametrize("cpyext", [True, False])  # the suffix alone says PyPy, with or without PyPy* symbols
def test_pypy_suffix_gives_pypy_tags(member, abi, cpyext):
    version = abi[4] + "." + abi[5]
    binary = BinaryFacts(path=member, format="elf", arch="x86_64", is_extension=True, python_major=3, pypy=cpyext)
    tags = choose(parse(f"ppext-1.0-py{version}-linux-x86_64.egg"), [binary], options=TagOptions(platform_tag="linux"))
    assert str(tags) == f"pp{version.replace('.', '')}-{abi}-linux_x86_64"


@pytest.fixture(scope="module")
def pypy() -> interpreters.Interpreter:
    if not PYPY.exists():
        pytest.skip("no /usr/bin/pypy3 on this machine")
    interp = interpreters.probe(str(PYPY))
    assert interp is not None and interp.implementation == "pp", f"{PYPY} does not run as PyPy"
    include = py(PYPY, "import sysconfig; print(sysconfig.get_paths()['include'])")
    if not (Path(include) / "Python.h").exists() or not shutil.which("gcc"):
        pytest.skip(f"pypy3's headers ({include}) or gcc missing: cannot build a PyPy extension")
    return interp


def test_real_pypy_egg_converts_installs_and_runs(pypy, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "setup.py").write_text(SETUP)
    (src / "ppext.c").write_text(SOURCE)
    run([PYPY, "setup.py", "-q", "bdist_egg"], cwd=src)
    [egg] = (src / "dist").glob("*.egg")
    tag = f"pp{pypy.version[0]}{pypy.version[1]}-{pypy.abi}"
    assert pypy.abi.startswith("pypy") and egg.name.startswith(f"ppext-1.0-py{pypy.short}-linux-")
    result = convert_egg(str(egg), tmp_path / "wheels", ConvertOptions())
    wheel = Path(result.wheel)
    assert wheel.name.startswith(f"ppext-1.0-{tag}-manylinux_"), wheel.name
    python = install_with_stock_pip(pypy, tmp_path / "venv", wheel)
    assert py(python, "import ppext, sys; print(sys.implementation.name, ppext.add(40, 2))") == "pypy 42"
    assert_extension_without_stub(python, "ppext")


def install_with_stock_pip(interp: interpreters.Interpreter, venv: Path, wheel: Path) -> Path:
    """A fresh venv of ``interp`` with ``wheel`` installed by the interpreter's own pip; its python."""
    stock_pip = py(Path(interp.path), STOCK_PIP)
    if not stock_pip:
        python = interpreters.make_venv(interp, venv)
        pip_install(python, str(wheel))
        return python
    run([interp.path, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    unpacked = venv.parent / "stock-pip"  # PyPy imports from a zip slowly: a quarter of the install's CPU
    with zipfile.ZipFile(stock_pip) as wheel_zip:
        wheel_zip.extractall(unpacked)
    run([python, unpacked / "pip", "install", "--no-index", "--disable-pip-version-check", wheel])
    assert not list(venv.glob("lib/*/site-packages/pip")), "pip ran from its wheel, it was not installed"
    return python
