"""Find Python interpreters on this machine and make throwaway venvs with them.

Used by ``check --smoke`` (install each wheel with stock pip into a venv of an
interpreter that should accept it) and by the tests. Interpreters come from
pyenv (``$PYENV_ROOT/versions/*/bin/python``), ``PATH`` (``python2.7``,
``python3.X``; not pyenv's shims) and explicit paths. Each is probed once in a subprocess for
its version, implementation and ABI.
"""
from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Optional

from migrate.errors import MigrateError

if TYPE_CHECKING:
    from packaging.tags import Tag

_PROBE = r"""
import sys, sysconfig, json, platform
impl = platform.python_implementation()
soabi = sysconfig.get_config_var('SOABI')
print(json.dumps({
  "impl": impl,
  "version": list(sys.version_info[:3]),
  "maxunicode": sys.maxunicode,
  "soabi": soabi,
  "debug": hasattr(sys, 'gettotalrefcount'),
  "pymalloc": bool(sysconfig.get_config_var('WITH_PYMALLOC')),
}))
"""


class NoVenvTool(MigrateError, RuntimeError):
    """No way to make a virtual environment for this interpreter here."""


@dataclass(frozen=True)
class Interpreter:
    path: str
    implementation: str  # "cp" or "pp"
    version: tuple[int, int, int]  # (major, minor, micro)
    abi: str  # cp27mu, cp27m, cp36m, cp310, pypy36_pp73...

    @property
    def short(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    @property
    def python_tag(self) -> str:
        return f"{self.implementation}{self.version[0]}{self.version[1]}"

    def supported_tags(self) -> frozenset[str]:
        """Tags this interpreter accepts on this machine (packaging.tags for its ABI)."""
        return frozenset(str(t) for t in _tags_for(self.implementation, self.version[:2], self.abi))


@lru_cache(maxsize=None)
def _tags_for(implementation: str, version: tuple[int, ...], abi: str) -> tuple[Tag, ...]:
    from packaging import tags

    platforms = list(tags.platform_tags())
    if implementation == "cp":
        found = list(tags.cpython_tags(version, abis=[abi], platforms=platforms))
    else:
        found = list(tags.generic_tags(f"pp{version[0]}{version[1]}", abis=[abi], platforms=platforms))
    found += list(tags.compatible_tags(version, f"{implementation}{version[0]}{version[1]}", platforms))
    return tuple(found)


@lru_cache(maxsize=None)
def probe(path: str) -> Optional[Interpreter]:
    """Ask an interpreter what it is; None when it does not run."""
    try:
        out = subprocess.run(
            [path, "-c", _PROBE], capture_output=True, text=True, timeout=30, env=_clean_env(), check=True
        ).stdout
        data = json.loads(out.strip().splitlines()[-1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None
    major, minor = data["version"][:2]
    impl = "pp" if data["impl"] == "PyPy" else "cp"
    if impl == "pp":
        soabi = data["soabi"] or f"pypy_{major}{minor}"
        abi = soabi.replace("-", "_").replace(".", "_")
    elif major == 2:
        abi = "cp27" + ("d" if data["debug"] else "") + ("m" if data["pymalloc"] else "") + ("u" if data["maxunicode"] == 0x10FFFF else "")
    else:
        flags = ("d" if data["debug"] else "") + ("m" if (3, 3) <= (major, minor) <= (3, 7) and data["pymalloc"] else "")
        abi = f"cp{major}{minor}{flags}"
    return Interpreter(path=path, implementation=impl, version=tuple(data["version"]), abi=abi)


def candidate_paths(extra: Iterable[str] = ()) -> list[str]:
    """``extra``, then pyenv's versions, then ``python2.7`` / ``python3.X`` on ``PATH``.

    pyenv's shims folder is left out of the ``PATH`` search (the search goes on past it):
    the versions it runs are listed above already, and a shim is a shell script that costs
    a quarter of a second to start even when it only says its command is not there.
    """
    paths = list(extra)
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    versions = Path(root) / "versions"
    if versions.is_dir():
        for v in sorted(versions.iterdir()):
            exe = v / "bin" / "python"
            if exe.exists():
                paths.append(str(exe))
    shims = os.path.realpath(Path(root) / "shims")
    search = os.pathsep.join(d for d in os.environ.get("PATH", os.defpath).split(os.pathsep)
                             if d and os.path.realpath(d) != shims)
    for name in ["python2.7"] + [f"python3.{m}" for m in range(6, 15)]:
        found = shutil.which(name, path=search)
        if found:
            paths.append(found)
    return list(dict.fromkeys(os.path.realpath(p) if os.path.exists(p) else p for p in paths))


def discover(extra: Iterable[str] = ()) -> list[Interpreter]:
    """Every working interpreter, first found first; one per (implementation, version, abi)."""
    found, seen = [], set()
    for path in candidate_paths(extra):
        interp = probe(path)
        if interp is None:
            continue
        key = (interp.implementation, interp.version[:2], interp.abi)
        if key not in seen:
            seen.add(key)
            found.append(interp)
    return found


def find(version: str, abi: Optional[str] = None, extra: Iterable[str] = ()) -> Optional[Interpreter]:
    """The first interpreter for ``2.7`` / ``3.10`` (and ABI, when given)."""
    for interp in discover(extra):
        if interp.short == version and (abi is None or interp.abi == abi):
            return interp
    return None


def pip_env(base: Optional[dict[str, str]] = None) -> dict[str, str]:
    """An environment in which pip reads no machine-wide configuration."""
    env = _clean_env(base)
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    env["PIP_NO_WARN_SCRIPT_LOCATION"] = "1"
    return env


def _clean_env(base: Optional[dict[str, str]] = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    for key in list(env):
        if key.startswith("PIP_") or key in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"):
            del env[key]
    return env


def make_venv(interp: Interpreter, dest: Path) -> Path:
    """Create a venv with pip; returns its python. Python 2 needs ``virtualenv`` on this host."""
    dest = Path(dest)
    if interp.version[0] >= 3:
        cmd = [interp.path, "-m", "venv", str(dest)]
    else:
        cmd = [sys.executable, "-m", "virtualenv", "-q", "--no-periodic-update", "-p", interp.path, str(dest)]
        try:
            importlib.import_module("virtualenv")  # only to see that it is there
        except ImportError:
            raise NoVenvTool(f"no virtualenv on this host to make a Python {interp.short} venv (pip install 'egg-migrate[smoke]', which brings virtualenv<20.22)") from None
    result = subprocess.run(cmd, capture_output=True, text=True, env=pip_env(), timeout=300)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["unknown error"]
        raise NoVenvTool(f"cannot make a Python {interp.short} venv: {tail[0]}")
    if interp.version[0] < 3:
        _byte_compile(dest)
    return dest / "bin" / "python"


def _byte_compile(venv: Path) -> None:
    """Byte-compile what virtualenv put in site-packages (pip, setuptools), as ``python -m venv``'s pip
    does: virtualenv leaves it as source, so every pip run in the venv (or in a copy of it, whose new
    folders hold no bytecode) compiled pip again, which took most of its CPU (pip install on 2.7:
    1.3 s, 0.45 s compiled). Bytecode is a cache: a failure here changes nothing but the time."""
    python = venv / "bin" / "python"
    for site in venv.glob("lib/python*/site-packages"):
        subprocess.run([str(python), "-m", "compileall", "-q", str(site)], capture_output=True, env=pip_env(), timeout=300)
