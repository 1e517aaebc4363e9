"""The install half of scripts/real-eggs: stock pip puts the wheels into fresh venvs, then imports.

Each wheel that passed the tag checks goes, with the other members of its group (eggs that share
a namespace package), into a copy of a base venv of the oldest interpreter on this machine that
accepts every wheel of the unit; pip isolated from the machine's configuration, no index, no
dependencies. Then each egg's modules are imported and its scripts looked for in bin/.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Union

from packaging.utils import canonicalize_name, parse_wheel_filename

from migrate import interpreters as I
from migrate.checks.smoke import import_names

if TYPE_CHECKING:
    from real_eggs import Outcome  # scripts/ is sys.path[0]; not imported at run time (it imports this)

TIMEOUT = 600

# Runs in the target venv (Python 2.7 too): import each module, say which failed or came from elsewhere.
_PROBE = r"""
import importlib, os, sys
prefix = os.path.realpath(sys.prefix)
for name in sys.argv[1:]:
    try:
        mod = importlib.import_module(name)
    except BaseException as exc:
        text = str(exc).splitlines()[0] if str(exc) else ""
        sys.stdout.write("FAILED %s %s: %s\n" % (name, type(exc).__name__, text))
        continue
    where = getattr(mod, "__file__", None) or (list(getattr(mod, "__path__", [])) or [""])[0]
    if where and not os.path.realpath(where).startswith(prefix):
        sys.stdout.write("FAILED %s imported from %s, outside the venv\n" % (name, where))
"""


def install_all(outcomes: list[Outcome], root: Path) -> None:
    """Install and import every unit some interpreter here accepts; notes or problems go on the outcomes."""
    interps = sorted(I.discover(), key=lambda i: tuple(i.version))
    venvs = Venvs(root)
    for unit in install_units(outcomes):
        interp = pick(unit, interps)
        if interp is None:
            for o in unit:
                o.note = "no interpreter here accepts it: not installed"
        else:
            install(unit, interp, venvs)


class Venvs:
    """One base venv per interpreter, made on first use; each install gets a fresh copy."""

    def __init__(self, root: Path):
        self.root = root
        self.bases: dict[str, Path] = {}  # interpreter path -> its base venv

    def fresh(self, interp: I.Interpreter, name: str) -> Path:
        if interp.path not in self.bases:
            base = self.root / f"base-{interp.python_tag}-{interp.abi}"
            if not base.is_dir():
                I.make_venv(interp, base)
            self.bases[interp.path] = base
        dest = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.root)) / "venv"
        shutil.copytree(self.bases[interp.path], dest, symlinks=True)
        return dest


def install_units(outcomes: list[Outcome]) -> list[list[Outcome]]:
    """Passing outcomes in install units: a group's members together, every other egg alone."""
    units: list[list[Outcome]] = []
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        if o.problems or not o.wheel_path:
            continue
        if o.egg.group is None:
            units.append([o])
        elif o.egg.group in groups:
            groups[o.egg.group].append(o)
        else:
            groups[o.egg.group] = [o]
            units.append(groups[o.egg.group])
    return units


def pick(unit: list[Outcome], interps: list[I.Interpreter]) -> Optional[I.Interpreter]:
    """The oldest interpreter that accepts a tag of every wheel of the unit."""
    for interp in interps:
        supported = interp.supported_tags()
        if all({str(t) for t in parse_wheel_filename(o.wheel)[3]} & supported for o in unit):
            return interp
    return None


def install(unit: list[Outcome], interp: I.Interpreter, venvs: Venvs) -> None:
    """pip install the unit's wheels (no index, no dependencies) and import each egg's modules."""
    version = ".".join(map(str, interp.version))
    try:
        venv = venvs.fresh(interp, canonicalize_name(unit[0].egg.project))
    except (I.NoVenvTool, OSError, subprocess.SubprocessError) as exc:
        for o in unit:
            o.problems.append(f"no Python {version} venv: {exc}")
        return
    python, cwd = venv / "bin" / "python", venv.parent
    try:
        result = _run([python, "-m", "pip", "install", "--no-index", "--no-deps", "--no-cache-dir",
                       *[o.wheel_path for o in unit]], cwd)
        if result.returncode != 0:
            for o in unit:
                o.problems.append(f"pip install on {version} failed: {_last_line(result)}")
            return
        modules = {o.egg.file: list(import_names(o.wheel_path) if o.egg.imports is None else o.egg.imports)
                   for o in unit}
        probe = _run([python, "-s", "-c", _PROBE, *[m for ms in modules.values() for m in ms]], cwd)
        failed = [line[len("FAILED "):] for line in probe.stdout.splitlines() if line.startswith("FAILED ")]
        if probe.returncode != 0 and not failed:
            failed = [f"the import probe failed: {_last_line(probe)}"]
        everyone = {m for ms in modules.values() for m in ms}
        for o in unit:  # a failure naming no module of the unit (the probe itself) is everyone's
            mine = [f for f in failed if f.split(" ", 1)[0] in modules[o.egg.file]
                    or f.split(" ", 1)[0] not in everyone]
            o.problems.extend(f"import on {version}: {f}" for f in mine)
            absent = [s for s in o.egg.expect.get("scripts", ()) if not (venv / "bin" / s).exists()]
            if absent:
                o.problems.append(f"pip installed no bin/{', bin/'.join(absent)}")
            o.note = f"installed on {version} {interp.abi}, imported {_names(modules[o.egg.file])}"
    finally:
        shutil.rmtree(cwd, ignore_errors=True)


def _names(modules: list[str]) -> str:
    if not modules:
        return "nothing"
    return ", ".join(modules[:3]) + (f" and {len(modules) - 3} more" if len(modules) > 3 else "")


def _run(cmd: list[Union[str, Path]], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=str(cwd),
                              env=I.pip_env(), timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(cmd, -1, "", f"timed out after {TIMEOUT}s")


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line.strip() for line in (result.stderr or result.stdout or "").splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR")]
    return ((errors or lines or [f"exit code {result.returncode}"])[-1])[:300]
