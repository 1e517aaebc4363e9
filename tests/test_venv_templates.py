"""The venv templates the install tests copy (tests/venvs.py) hold what ``python -m venv`` puts in:
the interpreter's own ensurepip pip, installed as pip installs itself, every module byte-compiled.

Only the session's templates are read (any test that installs builds them anyway); that they
match ``python -m venv`` file for file was checked by a diff of both trees for 3.6, 3.9, 3.10
and 3.13, which costs a venv each and is not repeated here.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import copy_venv, py, require_interpreter, venv_template


@pytest.mark.parametrize("version", ["3.6", "3.10"])
def test_a_template_holds_the_stock_pip_as_python_m_venv_installs_it(version, tmp_path_factory):
    interp = require_interpreter(version)
    template = venv_template(tmp_path_factory, interp)
    [site] = template.glob("lib/python*/site-packages")
    stock = py(Path(interp.path), "import ensurepip; print(ensurepip.version())")
    [pip] = site.glob("pip-*.dist-info")
    assert pip.name == f"pip-{stock}.dist-info"
    assert (pip / "INSTALLER").read_text() == "pip\n"
    assert sorted(p.name for p in (template / "bin").glob("pip*")) == ["pip", "pip3", f"pip{version}"]
    tag = "cpython-" + version.replace(".", "")
    sources = list(site.rglob("*.py"))
    uncompiled = [p for p in sources if not (p.parent / "__pycache__" / f"{p.stem}.{tag}.pyc").exists()]
    assert len(sources) > 300 and not uncompiled, uncompiled[:5]


def test_the_27_template_is_byte_compiled(tmp_path_factory):
    """virtualenv compiles nothing it installs; uncompiled, every copy's pip run compiled pip again."""
    template = venv_template(tmp_path_factory, require_interpreter("2.7"))
    [lib] = template.glob("lib/python2.7")
    sources = [lib / "site.py", *lib.glob("site-packages/**/*.py")]
    uncompiled = [p for p in sources if not p.with_suffix(".pyc").exists()]
    assert len(sources) > 300 and not uncompiled, uncompiled[:5]


def test_a_copy_is_a_venv_of_its_own_and_leaves_the_template_as_it_was(tmp_path, tmp_path_factory):
    """A copy's files are hard links to the template's: the scripts it points at itself are new
    files, and a module written in the copy never shows in the template."""
    template = venv_template(tmp_path_factory, require_interpreter("3.10"))
    [site] = template.glob("lib/python*/site-packages")
    before = {p: p.read_bytes() for p in [template / "pyvenv.cfg", *(template / "bin").glob("pip*")]}
    python = copy_venv(template, tmp_path / "copy")
    copy = python.parent.parent
    assert str(template) in (template / "bin" / "pip").read_text()
    assert str(copy) in (copy / "bin" / "pip").read_text() and str(template) not in (copy / "bin" / "pip").read_text()
    assert {p: p.read_bytes() for p in before} == before
    code = ("import os, sys, sysconfig\n"
            "site = sysconfig.get_paths()['purelib']\n"
            "open(os.path.join(site, 'added.py'), 'w').write('A = 1\\n')\n"
            "import pip, added; print(pip.__file__.startswith(sys.prefix), added.A)")
    assert py(python, code) == "True 1"
    assert not (site / "added.py").exists()
