"""The venv a test template starts from: what ``python -m venv`` makes, for a third to a half of its CPU.

``python -m venv`` has ensurepip install the pip (and, before Python 3.12, the setuptools)
wheels the interpreter bundles, by running pip from its zipped wheel: pip compiles every
module it imports from source on each run (zipped code is never cached), most of the 3-7 s
of CPU a venv takes. Here the venv is made ``--without-pip``, ``installer`` unpacks the same
wheels into it as pip would, with pip's own touches (its scripts named for the venv's Python:
``pip``, ``pip3``, ``pip3.10``; ``INSTALLER`` saying pip; ``REQUESTED`` from pip 20.2 on), and the venv's python
byte-compiles them, as pip does: the same file tree (only RECORD does not list the ``.pyc``
files). The tests then install with that stock pip, as before. An interpreter without
CPython's ``ensurepip/_bundled`` wheels (Debian's keeps them elsewhere) gets ``python -m venv``.

Python 2.7's venv is virtualenv's, which leaves its pip, setuptools and ``site.py`` uncompiled:
every copy's python would compile them on each run under ``PYTHONDONTWRITEBYTECODE``, about a
second of CPU a pip run. ``interpreters.make_venv`` compiles site-packages; the template's python
compiles the rest of ``lib`` (``site.py``) once.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from installer import install
from installer.destinations import SchemeDictionaryDestination
from installer.sources import WheelFile
from packaging.version import Version

from migrate import interpreters
from migrate.interpreters import make_venv as python_m_venv  # the real one, whatever a test puts in its place

# Run by the new venv's python (2.7 to 3.13): where its files go, its version, and the wheels its
# ensurepip installs (one of them ensurepip's own pip), or no wheels.
_FACTS = r"""
import ensurepip, glob, json, os, sys, sysconfig
wheels = sorted(glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "*.whl")))
pips = [w for w in wheels if os.path.basename(w).startswith("pip-")]
ok = len(pips) == 1 and os.path.basename(pips[0]).split("-")[1] == ensurepip.version()
print(json.dumps({"paths": sysconfig.get_paths(), "version": list(sys.version_info[:2]), "wheels": wheels if ok else []}))
"""


class _AsPipInstallsItself(WheelFile):
    """pip's wheel, whose scripts pip names for the Python it installs itself into (pip, pipX, pipX.Y)."""

    version: tuple[int, int] = (3, 0)

    def read_dist_info(self, filename: str) -> str:
        text = super().read_dist_info(filename)
        if filename == "entry_points.txt" and self.distribution == "pip":
            names = ("pip", f"pip{self.version[0]}", "pip{}.{}".format(*self.version))
            text = re.sub(r"^pip\d.*\n?", "", text, flags=re.M)
            text = re.sub(r"^pip = (.*)$", lambda m: "\n".join(f"{n} = {m[1]}" for n in names), text, flags=re.M)
        return text


def make_stock_venv(interp: interpreters.Interpreter, dest: Path) -> Path:
    """A venv of ``interp`` at ``dest`` with the pip ``python -m venv`` puts in; returns its python."""
    if interp.version[0] < 3:
        python = python_m_venv(interp, dest)
        _compile(python, Path(dest) / "lib", interpreters.pip_env())
        return python
    env = interpreters.pip_env()
    made = subprocess.run([interp.path, "-m", "venv", "--without-pip", str(dest)], capture_output=True, text=True, env=env)
    python = Path(dest) / "bin" / "python"
    facts = subprocess.run([str(python), "-c", _FACTS], capture_output=True, text=True, env=env)
    if made.returncode != 0 or facts.returncode != 0:
        raise interpreters.NoVenvTool(f"cannot make a Python {interp.short} venv: {(made.stderr + facts.stderr).strip()[-300:]}")
    found = json.loads(facts.stdout)
    if not found["wheels"]:
        shutil.rmtree(dest)
        return python_m_venv(interp, dest)
    paths = dict(found["paths"], headers=found["paths"]["include"])  # neither wheel has headers
    destination = SchemeDictionaryDestination({key: paths[key] for key in ("purelib", "platlib", "headers", "scripts", "data")},
                                              interpreter=str(python), script_kind="posix", bytecode_optimization_levels=())
    pip = Version(Path(next(w for w in found["wheels"] if Path(w).name.startswith("pip-"))).name.split("-")[1])
    metadata = {"INSTALLER": b"pip\n", **({"REQUESTED": b""} if pip >= Version("20.2") else {})}  # pip 20.2 began REQUESTED
    for wheel in found["wheels"]:
        with _AsPipInstallsItself.open(wheel) as source:
            source.version = tuple(found["version"])
            install(source, destination, metadata)
    _compile(python, Path(paths["purelib"]), env)
    return python


def _compile(python: Path, folder: Path, env: dict) -> None:
    """Byte-compile ``folder`` with the venv's own python, as pip compiles what it installs."""
    subprocess.run([str(python), "-m", "compileall", "-q", str(folder)], capture_output=True, env=env)
