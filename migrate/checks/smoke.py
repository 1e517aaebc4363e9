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
from migrate.checks import smoke_batch as B
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

    def try_base(self, interp: I.Interpreter) -> Union[Path, Exception]:
        """The base venv, or why there is none (each of the interpreter's wheels reports it)."""
        try:
            return self.base(interp)
        except (I.NoVenvTool, OSError, subprocess.SubprocessError) as exc:
            return exc

    def copy(self, interp: I.Interpreter) -> Path:
        base = self.base(interp)
        dest = Path(tempfile.mkdtemp(prefix="run-", dir=self.root))
        linked_copy(base, dest / "venv")  # pip replaces files, never writes into one: the base stays as it is
        return dest / "venv"


def smoke_test(wheels: Iterable[Union[str, Path]], jobs: int = 1, interpreters: Optional[Sequence[I.Interpreter]] = None,
               cache_dir: Union[str, Path, None] = None) -> list[SmokeResult]:
    """Install and import each wheel; results in input order. ``interpreters`` default: discover().

    Wheels that cannot meet in a venv share one pip install and one pip check (:mod:`smoke_batch`),
    and each is imported in a venv holding only its own files; a batch pip refuses is halved until
    the wheel at fault is alone."""
    candidates = list(interpreters) if interpreters is not None else I.discover()
    owned = cache_dir is None
    root = Path(tempfile.mkdtemp(prefix="egg-migrate-smoke-")) if cache_dir is None else Path(cache_dir)
    root.mkdir(parents=True, exist_ok=True)
    venvs = _Venvs(root)
    try:
        found: list[Union[SmokeResult, _Plan]] = [_plan(Path(w), candidates) for w in wheels]
        plans = [p for p in found if isinstance(p, _Plan)]
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            needed = list(dict.fromkeys(p.interp for p in plans))
            bases = dict(zip(needed, pool.map(venvs.try_base, needed)))
            work = _batches(plans, bases, jobs)
            done = {id(p): r for batch, results in zip(work, pool.map(lambda b: _batch(b, venvs), work))
                    for p, r in zip(batch, results)}
        return [done[id(p)] if isinstance(p, _Plan) else p for p in found]
    finally:
        if owned:
            shutil.rmtree(root, ignore_errors=True)


@dataclass(frozen=True)
class _Plan:
    """A wheel with its interpreter, ready to install."""

    wheel: Path
    interp: I.Interpreter
    python: str
    modules: tuple[str, ...]
    footprint: B.Footprint
    start: float


def _plan(wheel: Path, candidates: list[I.Interpreter]) -> Union[SmokeResult, _Plan]:
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
        footprint = B.footprint(wheel, parse_wheel_filename(wheel.name)[0])
    except (zipfile.BadZipFile, OSError) as exc:
        return SmokeResult(str(wheel), FAILED, python, problems=(P.error("W901", f"cannot read the wheel ({exc})"),))
    return _Plan(wheel, interp, python, modules, footprint, start)


def _batches(plans: list[_Plan], bases: dict[I.Interpreter, Union[Path, Exception]], jobs: int) -> list[list[_Plan]]:
    """The plans of each interpreter in batches, at least ``jobs`` of them in all where there are as many wheels.

    The size comes from all the wheels, not each interpreter's: two interpreters' wheels at ``-j 2`` are
    two batches that run side by side, where splitting each interpreter's again took twice the pip runs."""
    work: list[list[_Plan]] = []
    size = min(B.MAX_BATCH, -(-len(plans) // max(1, jobs)))
    for interp, base in bases.items():
        mine = [p for p in plans if p.interp == interp]
        sites = [] if isinstance(base, Exception) else list(base.glob("lib/*/site-packages"))
        if len(sites) != 1:  # no base venv (every wheel reports why), or one laid out unlike a venv: each alone
            work += [[p] for p in mine]
            continue
        groups = B.plan([p.footprint for p in mine], B.base_footprint(sites[0]), size)
        work += [[mine[i] for i in group] for group in groups]
    return work


def _batch(plans: list[_Plan], venvs: _Venvs) -> list[SmokeResult]:
    """Install ``plans`` together, check and import each on its own; halved when pip refuses the batch."""
    if len(plans) == 1:
        return [_one(plans[0], venvs)]
    try:
        shared = venvs.copy(plans[0].interp)
    except (I.NoVenvTool, OSError, subprocess.SubprocessError):
        return [_one(p, venvs) for p in plans]  # each says why
    try:
        install = _install(shared, [p.wheel for p in plans])
        if install.returncode != 0:
            half = len(plans) // 2
            return _batch(plans[:half], venvs) + _batch(plans[half:], venvs)
        by_name = B.complaints(_pip_check(shared), [p.footprint.name for p in plans])
        if by_name is None:  # a line about none of them: each alone, as pip would say it then
            return [_one(p, venvs) for p in plans]
        return [_viewed(p, shared, venvs, by_name[p.footprint.name]) for p in plans]
    finally:
        shutil.rmtree(shared.parent, ignore_errors=True)


def _viewed(plan: _Plan, shared: Path, venvs: _Venvs, complaints: list[str]) -> SmokeResult:
    """Import one wheel of a batch in a venv of its own (the base and the files pip installed for it)."""
    folder = Path(tempfile.mkdtemp(prefix="view-", dir=venvs.root))
    try:
        B.view(shared, venvs.base(plan.interp), plan.footprint.dist_info or "", folder / "venv")
        found = _probe(folder / "venv", plan.wheel, plan.modules) + _check_problems(complaints)
    except OSError:
        return _one(plan, venvs)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return _result(plan, found)


def _one(plan: _Plan, venvs: _Venvs) -> SmokeResult:
    """One wheel in its own venv: install, import, pip check."""
    try:
        venv = venvs.copy(plan.interp)
    except (I.NoVenvTool, OSError, subprocess.SubprocessError) as exc:
        return SmokeResult(str(plan.wheel), SKIPPED, plan.python, plan.modules,
                           (P.warning("W904", f"no venv for Python {plan.interp.short}: {exc}; not tested"),))
    try:
        install = _install(venv, [plan.wheel])
        if install.returncode != 0:
            found = [P.error("W901", f"pip install failed: {_last_error(install)}")]
        else:
            lines = [line.strip() for line in _pip_check(venv).splitlines()]
            found = _probe(venv, plan.wheel, plan.modules) + _check_problems(line for line in lines if not B.ignored(line))
    finally:
        shutil.rmtree(venv.parent, ignore_errors=True)
    return _result(plan, found)


def _result(plan: _Plan, found: list[Problem]) -> SmokeResult:
    status = FAILED if P.has_errors(found) else PASSED
    return SmokeResult(str(plan.wheel), status, plan.python, plan.modules, tuple(found), time.monotonic() - plan.start)


def _run(cmd: list[Union[str, Path]], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=I.pip_env(),
                              cwd=str(cwd), timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(cmd, -1, "", f"timed out after {TIMEOUT}s")


def _install(venv: Path, wheels: list[Path]) -> subprocess.CompletedProcess[str]:
    """The venv's own pip installs the wheels (their dependencies left out), from a folder with nothing in it."""
    return _run([venv / "bin" / "python", "-m", "pip", "install", "--no-index", "--no-deps", "--no-cache-dir",
                 "--disable-pip-version-check", *(str(w.resolve()) for w in wheels)], venv.parent)


def _pip_check(venv: Path) -> str:
    check = _run([venv / "bin" / "python", "-m", "pip", "check", "--disable-pip-version-check"], venv.parent)
    return check.stdout + check.stderr


def _check_problems(lines: Iterable[str]) -> list[Problem]:
    return [P.error("W905", f"pip check: {line}") for line in lines]


def _probe(venv: Path, wheel: Path, modules: tuple[str, ...]) -> list[Problem]:
    """Import the modules in the venv (its python started in an empty folder: nothing there shadows them)."""
    found = []
    name = parse_wheel_filename(wheel.name)[0]
    probe = _run([venv / "bin" / "python", "-s", "-c", _PROBE, name, *modules], venv.parent)
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
