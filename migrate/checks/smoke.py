"""``check --smoke``: install each wheel with stock pip into a throwaway venv and import it.

The static checks say a wheel is well formed; only an install proves an
interpreter accepts its tags and its modules load. For each wheel: the first
interpreter (``--interpreter`` paths, then pyenv and ``PATH``) whose
``packaging.tags`` accept one of the wheel's tags; a copy of a base venv made
once per interpreter; ``pip install --no-index --no-deps``; import of every
top-level module (and the packages inside namespace packages); ``pip check``
(missing dependencies aside: they are not installed on purpose) and the
installed distribution's version. No matching interpreter is a skip, never a pass.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence, Union

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from migrate import interpreters as I
from migrate import problems as P
from migrate.binaries import module_name
from migrate.fsutil import ExclusiveLock, linked_copy
from migrate.problems import Problem

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
TIMEOUT = 300
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Runs inside the target venv, on Python 2.7 too: import each module, say where it came from,
# then find the installed distribution's version.
_PROBE = r"""
import importlib, json, os, sys
dist, modules = sys.argv[1], sys.argv[2:]
prefix = os.path.realpath(sys.prefix)
out = {"failed": {}, "outside": {}, "version": None, "version_error": None}
for name in modules:
    try:
        mod = importlib.import_module(name)
    except BaseException as exc:
        out["failed"][name] = "%s: %s" % (type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
        continue
    where = getattr(mod, "__file__", None) or (list(getattr(mod, "__path__", [])) or [None])[0]
    if where and not os.path.realpath(where).startswith(prefix):
        out["outside"][name] = where
try:
    try:
        from importlib.metadata import version
        out["version"] = version(dist)
    except ImportError:
        import pkg_resources
        out["version"] = pkg_resources.get_distribution(dist).version
except BaseException as exc:
    out["version_error"] = "%s: %s" % (type(exc).__name__, exc)
sys.stdout.write("SMOKE " + json.dumps(out) + "\n")
"""


@dataclass(frozen=True)
class SmokeResult:
    """The outcome of installing and importing one wheel."""

    wheel: str
    status: str  # passed | failed | skipped
    python: Optional[str] = None  # "3.10.13 cp310 /path/to/python"
    modules: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = field(default=())
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "wheel": self.wheel,
            "status": self.status,
            "python": self.python,
            "modules": list(self.modules),
            "seconds": round(self.seconds, 2),
            "problems": [p.as_dict() for p in self.problems],
        }


def pick_interpreter(wheel: Union[str, Path], candidates: Sequence[I.Interpreter]) -> Optional[I.Interpreter]:
    """The first interpreter that accepts one of the wheel's tags (packaging.tags on this host)."""
    wanted = {str(t) for t in parse_wheel_filename(Path(wheel).name)[3]}
    for interp in candidates:
        if wanted & interp.supported_tags():
            return interp
    return None


def import_names(wheel: Union[str, Path]) -> tuple[str, ...]:
    """Modules to import: top_level.txt (else the top-level files), plus namespace packages' children."""
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        dist_info = next((n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")), None)

        def lines(name: str) -> list[str]:
            try:
                text = zf.read(f"{dist_info}/{name}").decode("utf-8", "replace")
            except KeyError:
                return []
            return [line.strip() for line in text.splitlines() if line.strip()]

        top = lines("top_level.txt") if dist_info else []
        namespaces = lines("namespace_packages.txt") if dist_info else []
    library = [n for n in names if not n.split("/", 1)[0].endswith((".dist-info", ".data"))]
    if not top:
        top = sorted(_top_names(library))
    modules = [t.replace("/", ".") for t in top if all(_IDENTIFIER.match(p) for p in t.split("/"))]
    for ns in namespaces:
        prefix = ns.replace(".", "/") + "/"
        children = _top_names(n[len(prefix):] for n in library if n.startswith(prefix))
        modules += [f"{ns}.{c}" for c in sorted(children - {"__init__"})]
    return tuple(dict.fromkeys(modules))


def _top_names(paths: Iterable[str]) -> set[str]:
    """The importable top-level names these paths hold."""
    return {name for name in map(_top_name, paths) if name is not None}


def _top_name(path: str) -> Optional[str]:
    first, _, rest = path.partition("/")
    if rest:
        return first if _IDENTIFIER.match(first) and first != "__pycache__" else None
    if first.endswith((".py", ".pyc")) or first.endswith((".so", ".pyd")):
        name = module_name(first)
        return name if _IDENTIFIER.match(name) else None
    return None


class _Venvs:
    """One base venv per interpreter, made on first use; each wheel gets a copy."""

    def __init__(self, root: Path):
        self.root = root
        self._locks: dict[str, threading.Lock] = {}
        self._made: dict[str, Path] = {}
        self._guard = threading.Lock()

    def base(self, interp: I.Interpreter) -> Path:
        """The base venv of an interpreter; made in a temp folder and renamed, so a cache never holds half a venv.

        A lock file beside it makes other processes sharing the cache folder wait for it, not make it again."""
        digest = hashlib.sha256(interp.path.encode()).hexdigest()[:10]
        key = f"{interp.python_tag}-{interp.abi}-{digest}"
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock, ExclusiveLock(self.root / f".base-{key}.lock", busy=None):
            dest = self.root / f"base-{key}"
            if key not in self._made and not dest.is_dir():
                tmp = Path(tempfile.mkdtemp(prefix=f".base-{key}-", dir=self.root))
                try:
                    I.make_venv(interp, tmp / "venv")
                    os.replace(tmp / "venv", dest)
                finally:
                    shutil.rmtree(tmp, ignore_errors=True)
            self._made[key] = dest
            return dest

    def copy(self, interp: I.Interpreter) -> Path:
        base = self.base(interp)
        dest = Path(tempfile.mkdtemp(prefix="run-", dir=self.root))
        linked_copy(base, dest / "venv")  # pip replaces files, never writes into one: the base stays as it is
        return dest / "venv"


def smoke_test(wheels: Iterable[Union[str, Path]], jobs: int = 1, interpreters: Optional[Sequence[I.Interpreter]] = None,
               cache_dir: Union[str, Path, None] = None) -> list[SmokeResult]:
    """Install and import each wheel; results in input order. ``interpreters`` default: discover()."""
    candidates = list(interpreters) if interpreters is not None else I.discover()
    wheels = [Path(w) for w in wheels]
    owned = cache_dir is None
    root = Path(tempfile.mkdtemp(prefix="egg-migrate-smoke-")) if cache_dir is None else Path(cache_dir)
    root.mkdir(parents=True, exist_ok=True)
    venvs = _Venvs(root)
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            return list(pool.map(lambda w: _one(w, candidates, venvs), wheels))
    finally:
        if owned:
            shutil.rmtree(root, ignore_errors=True)


def _one(wheel: Path, candidates: list[I.Interpreter], venvs: _Venvs) -> SmokeResult:
    start = time.monotonic()
    try:
        interp = pick_interpreter(wheel, candidates)
    except InvalidWheelFilename as exc:
        return SmokeResult(str(wheel), SKIPPED, problems=(P.warning("W903", f"not installable: {exc}"),))
    if interp is None:
        tags = ".".join(sorted({f"{t.interpreter}-{t.abi}" for t in parse_wheel_filename(wheel.name)[3]}))
        have = ", ".join(f"{i.short} {i.abi}" for i in candidates) or "none"
        return SmokeResult(str(wheel), SKIPPED, problems=(
            P.warning("W903", f"no interpreter for {tags} on this machine (found: {have}); not tested"),))
    python = f"{'.'.join(map(str, interp.version))} {interp.abi} {interp.path}"
    try:
        modules = import_names(wheel)
    except (zipfile.BadZipFile, OSError) as exc:
        return SmokeResult(str(wheel), FAILED, python, problems=(P.error("W901", f"cannot read the wheel ({exc})"),))
    try:
        venv = venvs.copy(interp)
    except (I.NoVenvTool, OSError, subprocess.SubprocessError) as exc:
        return SmokeResult(str(wheel), SKIPPED, python, modules,
                           (P.warning("W904", f"no venv for Python {interp.short}: {exc}; not tested"),))
    try:
        found = _install_and_import(venv, wheel, modules)
    finally:
        shutil.rmtree(venv.parent, ignore_errors=True)
    status = FAILED if P.has_errors(found) else PASSED
    return SmokeResult(str(wheel), status, python, modules, tuple(found), time.monotonic() - start)


def _run(cmd: list[Union[str, Path]], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=I.pip_env(),
                              cwd=str(cwd), timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(cmd, -1, "", f"timed out after {TIMEOUT}s")


def _install_and_import(venv: Path, wheel: Path, modules: tuple[str, ...]) -> list[Problem]:
    python = venv / "bin" / "python"
    cwd = venv.parent  # an empty folder: nothing in it shadows the installed modules
    result = _run([python, "-m", "pip", "install", "--no-index", "--no-deps", "--no-cache-dir",
                   "--disable-pip-version-check", str(wheel.resolve())], cwd)
    if result.returncode != 0:
        return [P.error("W901", f"pip install failed: {_last_error(result)}")]
    found = []
    name = parse_wheel_filename(wheel.name)[0]
    probe = _run([python, "-s", "-c", _PROBE, name, *modules], cwd)
    data = _probe_output(probe.stdout)
    if data is None:
        return [P.error("W902", f"the import probe did not run: {_last_error(probe)}")]
    for module, error in sorted(data["failed"].items()):
        found.append(P.error("W902", f"import {module} failed: {error}"))
    for module, where in sorted(data["outside"].items()):
        found.append(P.warning("W906", f"import {module} found {where}, outside the venv: the name is taken"))
    version = str(parse_wheel_filename(wheel.name)[1])
    if data["version_error"] or data["version"] is None:
        found.append(P.error("W905", f"installed, but the distribution {name} is not visible: {data['version_error']}"))
    elif _normal(data["version"]) != version:
        found.append(P.error("W905", f"installed {name} reports version {data['version']}, the wheel is {version}"))
    check = _run([python, "-m", "pip", "check", "--disable-pip-version-check"], cwd)
    for line in (check.stdout + check.stderr).splitlines():
        line = line.strip()
        if not line or "which is not installed" in line or line.startswith("No broken requirements"):
            continue
        if "DEPRECATION" in line or line.startswith("WARNING: pip is being invoked"):
            continue
        found.append(P.error("W905", f"pip check: {line}"))
    return found


def _normal(version: str) -> str:
    from packaging.version import InvalidVersion, Version

    try:
        return str(Version(version))
    except InvalidVersion:
        return version


def _probe_output(stdout: str) -> Optional[dict[str, Any]]:
    for line in reversed(stdout.splitlines()):
        if line.startswith("SMOKE "):
            try:
                return json.loads(line[len("SMOKE "):])
            except ValueError:
                return None
    return None


def _last_error(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line.strip() for line in (result.stderr or result.stdout or "").splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR")]
    picked = errors[-1] if errors else (lines[-1] if lines else f"exit code {result.returncode}")
    return picked[:300]
