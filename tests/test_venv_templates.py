"""The venv templates the install tests copy (tests/venvs.py) hold what ``python -m venv`` puts in:
the interpreter's own ensurepip pip, installed as pip installs itself, every module byte-compiled.

Only the session's templates are read (any test that installs builds them anyway); that they
match ``python -m venv`` file for file was checked by a diff of both trees for 3.6, 3.9, 3.10
and 3.13, which costs a venv each and is not repeated here.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import py, require_interpreter, venv_template


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
