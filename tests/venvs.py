"""The venv a test template starts from: what ``python -m venv`` makes, for half its CPU.

``python -m venv`` has ensurepip install the pip (and, before Python 3.12, the setuptools)
wheels the interpreter bundles, by running pip from its zipped wheel: pip compiles every
module it imports from source on each run (zipped code is never cached), about half of the
7 s of CPU a 3.10 venv takes. Here the venv is made ``--without-pip`` and ``installer``
(run by the venv's own python, so its byte-compiler is the interpreter's) unpacks the same
wheels and compiles them as pip would, with pip's own touches: its scripts named for the
interpreter (``pip``, ``pip3``, ``pip3.10``), ``INSTALLER`` saying pip, ``REQUESTED``.
The tests then install with that stock pip, as before. Where this cannot be done (``installer``
needs Python 3.9; Debian's ensurepip keeps its wheels elsewhere) ``python -m venv`` makes it.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import installer

from migrate import interpreters
from migrate.interpreters import make_venv as python_m_venv  # the real one, whatever a test puts in its place

# Run by the interpreter: the wheels its ensurepip installs into a new venv (CPython keeps them
# in ensurepip/_bundled, one of them ensurepip's own pip), a line each; nothing otherwise.
_BUNDLED = r"""
import ensurepip, glob, os
wheels = sorted(glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "*.whl")))
pips = [w for w in wheels if os.path.basename(w).startswith("pip-")]
ok = len(pips) == 1 and os.path.basename(pips[0]).split("-")[1] == ensurepip.version()
print("\n".join(wheels) if ok else "")
"""

# Run by the venv's python with ``installer`` on its path: install the wheels named in argv.
_INSTALL = r"""
import re, sys, sysconfig
from installer import install
from installer.destinations import SchemeDictionaryDestination
from installer.sources import WheelFile

class AsPipInstallsItself(WheelFile):
    def read_dist_info(self, filename):
        text = super().read_dist_info(filename)
        if filename == "entry_points.txt" and self.distribution == "pip":
            names = ("pip", "pip%d" % sys.version_info[0], "pip%d.%d" % sys.version_info[:2])
            text = re.sub(r"^pip\d.*\n?", "", text, flags=re.M)
            text = re.sub(r"^pip = (.*)$", lambda m: "\n".join(n + " = " + m.group(1) for n in names), text, flags=re.M)
        return text

paths = sysconfig.get_paths()
paths["headers"] = paths["include"]  # neither wheel has headers
destination = SchemeDictionaryDestination(
    {key: paths[key] for key in ("purelib", "platlib", "headers", "scripts", "data")},
    interpreter=sys.executable, script_kind="posix", bytecode_optimization_levels=(0,))
for wheel in sys.argv[1:]:
    with AsPipInstallsItself.open(wheel) as source:
        install(source, destination, {"INSTALLER": b"pip\n", "REQUESTED": b""})
"""


def make_stock_venv(interp: interpreters.Interpreter, dest: Path) -> Path:
    """A venv of ``interp`` at ``dest`` with the pip ``python -m venv`` puts in; returns its python."""
    wheels = _bundled_wheels(interp) if interp.version[:2] >= (3, 9) else []
    if not wheels:
        return python_m_venv(interp, dest)
    env = interpreters.pip_env()
    made = subprocess.run([interp.path, "-m", "venv", "--without-pip", str(dest)], capture_output=True, text=True, env=env)
    if made.returncode != 0:
        raise interpreters.NoVenvTool(f"cannot make a Python {interp.short} venv: {made.stderr.strip()[-300:]}")
    python = Path(dest) / "bin" / "python"
    with tempfile.TemporaryDirectory() as where:  # installer alone on the path, not the rest of this venv
        os.symlink(Path(installer.__file__).parent, Path(where) / "installer")
        env["PYTHONPATH"] = where
        done = subprocess.run([str(python), "-c", _INSTALL, *wheels], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise interpreters.NoVenvTool(f"cannot put pip into a Python {interp.short} venv: {done.stderr.strip()[-300:]}")
    return python


def _bundled_wheels(interp: interpreters.Interpreter) -> list[str]:
    found = subprocess.run([interp.path, "-c", _BUNDLED], capture_output=True, text=True, env=interpreters.pip_env())
    return found.stdout.split() if found.returncode == 0 else []
