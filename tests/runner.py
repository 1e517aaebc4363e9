"""Running ``egg-migrate run`` for the run tests: kill points, and reading its outputs.

A run is ``python -m migrate run`` in its own session; :func:`migrate_run` kills it at a
point with the pipeline's hook (``EGG_MIGRATE_TEST_KILL_AFTER``) or, for points inside
other modules, with a wrapper (:data:`PATCHES`) that SIGKILLs the process from inside
the function it replaces, then kills what the run left by process group.
:func:`in_process` runs the same command line by the entry point in the test's own
process, for the runs whose process is not what is under test (a resume, a re-run, a
usage error): a subprocess costs half a second of CPU in start-up and imports alone.
:func:`snapshot`, :func:`listing` and :func:`leftovers` read an out folder as a
person and pip would; :func:`reference` reads the uninterrupted run to compare with.
"""
from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from migrate import interpreters
from migrate.cli import main
from migrate.run.pipeline import KILL_ENV
from tests import forker

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample-repo"
TIMEOUT = 300

# Code run before ``migrate.cli.main`` in the child: SIGKILL at a point inside another module.
_PRELUDE = """\
import os, signal, sys
def _die():
    os.kill(os.getpid(), signal.SIGKILL)
_n = [0]
"""
PATCHES = {
    # fetch: the 5th egg copied to its temp name and verified, not yet renamed into eggs/
    "fetch-copy": """
_replace = os.replace
def replace(src, dst, *a, **k):
    if "/eggs/" in str(dst) and str(dst).endswith(".egg"):
        _n[0] += 1
        if _n[0] == 5:
            _die()
    return _replace(src, dst, *a, **k)
os.replace = replace
""",
    # convert: the 3rd wheel complete under its temp name, not yet renamed
    "wheel-temp": """
_orig = os.replace
def replace(src, dst, *a, **k):
    if str(dst).endswith(".whl"):
        _n[0] += 1
        if _n[0] == 3:
            _die()
    return _orig(src, dst, *a, **k)
os.replace = replace
""",
    # publish: the 3rd wheel torn while being placed into mirror/packages/ (whatever way the
    # mirror places it: os.open, open(), shutil.copyfile, or os.link, where the run links
    # wheels: a link cannot be torn, so the worst case of a copy is left there instead)
    "mirror-package": """
import builtins, shutil
def _torn(path):
    path = str(path)
    if "/mirror/" in path and "/packages/" in path and path.endswith(".whl"):
        _n[0] += 1
        if _n[0] == 3:
            fd = _os_open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(fd, b"PK\\x03\\x04 torn")
            os.close(fd)
            _die()
_os_open, _open, _copyfile = os.open, builtins.open, shutil.copyfile
def os_open(path, flags, *a, **k):
    if flags & (os.O_WRONLY | os.O_RDWR):
        _torn(path)
    return _os_open(path, flags, *a, **k)
def open_(file, mode="r", *a, **k):
    if isinstance(file, (str, bytes, os.PathLike)) and any(c in mode for c in "wxa"):
        _torn(os.fsdecode(file))
    return _open(file, mode, *a, **k)
def copyfile(src, dst, *a, **k):
    _torn(dst)
    return _copyfile(src, dst, *a, **k)
_os_link = os.link
def link(src, dst, *a, **k):
    _torn(os.fsdecode(dst))
    return _os_link(src, dst, *a, **k)
os.open, builtins.open, shutil.copyfile, os.link = os_open, open_, copyfile, link
""",
    # publish: every page of the new index written, the switch of mirror/.egg-migrate/current
    # (one rename, docs/mirror.rst) not yet made
    "mirror-generation": """
_replace, _rename = os.replace, os.rename
def _switch(dst):
    if str(dst).endswith("/.egg-migrate/current"):
        _die()
def replace(src, dst, *a, **k):
    _switch(dst)
    return _replace(src, dst, *a, **k)
def rename(src, dst, *a, **k):
    _switch(dst)
    return _rename(src, dst, *a, **k)
os.replace, os.rename = replace, rename
""",
}


def run_argv(out: Path, *args, source=None) -> list:
    """``run [SOURCE] -o OUT ARGS``."""
    return ["run"] + ([str(source)] if source else []) + ["-o", str(out), *map(str, args)]


def in_process(argv: list) -> subprocess.CompletedProcess:
    """``egg-migrate ARGV`` by its entry point (``migrate.cli.main``) in this process: the exit code
    (a usage error's SystemExit included) and what it printed, as a subprocess would give them."""
    assert KILL_ENV not in os.environ, "a kill point is for a subprocess (migrate_run)"
    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return subprocess.CompletedProcess(argv, code, stdout.getvalue(), stderr.getvalue())


def migrate_main(out: Path, *args, source=None) -> subprocess.CompletedProcess:
    """The run :func:`migrate_run` makes (no kill), in this process: for a resume or a re-run,
    whose process is not under test (the one killed before it was a process of its own)."""
    return in_process(run_argv(out, *args, source=source))


def migrate_run(out: Path, *args, kill: str = None, patch: str = None, source=None) -> subprocess.CompletedProcess:
    """``python -m migrate run [SOURCE] -o OUT ARGS`` in a session of its own; stdout/stderr via files
    (orphans cannot block us). A run to kill (``kill``: the pipeline's hook; ``patch``: :data:`PATCHES`)
    is forked by the launcher (tests/forker.py), with egg-migrate already imported."""
    base = interpreters.pip_env()
    base.pop(KILL_ENV, None)
    argv = run_argv(out, *args, source=source)
    logs = out.parent / f".logs-{out.name}"
    logs.mkdir(exist_ok=True)
    stdout, stderr = logs / "stdout", logs / "stderr"
    stdout.touch()
    stderr.touch()
    if kill or patch:
        code = _PRELUDE + PATCHES.get(patch, "") + "from migrate.cli import main\nsys.exit(main(sys.argv[1:]))\n"
        child = forker.launcher(base, ROOT)
        pid = child.start(argv, code, dict(base, **({KILL_ENV: kill} if kill else {})), ROOT, stdout, stderr)
        rc = _ended(pid, child.wait)
        cmd = [sys.executable, "-c", f"<{kill or patch}>", *argv]
    else:
        cmd = [sys.executable, "-m", "migrate", *argv]
        with open(stdout, "w") as so, open(stderr, "w") as se:
            proc = subprocess.Popen(cmd, stdout=so, stderr=se, env=base, cwd=ROOT, start_new_session=True)
        rc = _ended(proc.pid, lambda timeout: proc.wait(timeout=timeout))
    return subprocess.CompletedProcess(cmd, rc, stdout.read_text(), stderr.read_text())


def _ended(pid: int, wait) -> int:
    """The exit code of the run ``pid`` (``wait(timeout)``), then nothing left of its session."""
    try:
        rc = wait(TIMEOUT)
        assert rc is not None, f"the run did not end in {TIMEOUT} s"
        return rc
    finally:
        try:  # pool workers a SIGKILLed run leaves behind, in the session it started
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def served(out: Path) -> list:
    """Every file under OUT/mirror/simple/ as pip reads it: through the symlinked project folders
    (a ``**`` glob does not descend into those, and would see only the root pages)."""
    found = []
    for dirpath, _dirnames, filenames in os.walk(out / "mirror" / "simple", followlinks=True):
        found += [Path(dirpath, f) for f in filenames]
    return sorted(found)


def snapshot(out: Path) -> dict:
    """{relative path: bytes} of every output a person uses (mirror pages read through simple/)."""
    files = {}
    for rel in ("manifest.json", "requirements.txt", "report.txt"):
        if (out / rel).exists():
            files[rel] = (out / rel).read_bytes()
    for pattern in ("eggs/*.egg", "wheels/*", "mirror/packages/**/*"):
        for path in sorted(out.glob(pattern)):
            if path.is_file():
                files[str(path.relative_to(out))] = path.read_bytes()
    for path in served(out):
        files[str(path.relative_to(out))] = path.read_bytes()
    return files


def listing(out: Path) -> set:
    """Every file name under OUT outside the state folders (where generations are numbered);
    mirror/simple/ is read through its symlinks, as pip reads it."""
    found = set()
    for dirpath, dirnames, filenames in os.walk(out, followlinks=True):
        rel = os.path.relpath(dirpath, out)
        dirnames[:] = [d for d in dirnames if not (rel == "." and d == ".state")
                       and not (rel == "mirror" and d == ".egg-migrate")]
        found.update(os.path.normpath(os.path.join(rel, f)) for f in filenames)
    return found


TEMP = re.compile(r"\.tmp|tmp-|\.part$|\.old-")


def leftovers(out: Path) -> list:
    """Temp and partial files anywhere under OUT, state folders included."""
    bad = []
    for dirpath, dirnames, filenames in os.walk(out):
        bad += [os.path.join(dirpath, n) for n in dirnames + filenames if TEMP.search(n)]
    return bad


@dataclass(frozen=True)
class Reference:
    """What an uninterrupted run wrote into ``out``: {path: bytes} and every file name."""

    out: Path
    files: dict
    names: set

    def at(self, out: Path) -> tuple:
        """(snapshot, listing) that the same run would have written into ``out`` instead.

        The manifest, the pins and the report name OUT by its absolute path, and nothing else
        differs between two uninterrupted runs; a path written in any other form would make
        the comparison fail, never pass.
        """
        old, new = os.fsencode(self.out), os.fsencode(out)
        return {name: data.replace(old, new) for name, data in self.files.items()}, self.names


def reference(out: Path) -> Reference:
    """What the uninterrupted run in ``out`` wrote (read in place: it must not change meanwhile)."""
    files, names = snapshot(out), listing(out)
    page = "mirror/simple/sampledep/index.html"  # project pages are compared, not only the root's
    assert page in files and page in names, sorted(files)
    return Reference(out, files, names)


def assert_same_as(ref: tuple, out: Path) -> None:
    files, names = ref
    now = snapshot(out)
    assert sorted(now) == sorted(files)
    changed = [name for name in files if now[name] != files[name]]
    assert not changed, f"differ from the uninterrupted run: {changed}"
    assert listing(out) == names
    assert not leftovers(out), leftovers(out)


def assert_whole(out: Path) -> None:
    """What a killed run left: every output that exists is complete (or a temp name)."""
    for wheel in out.glob("wheels/*.whl"):
        with zipfile.ZipFile(wheel) as zf:
            assert zf.testzip() is None, wheel
    for egg in out.glob("eggs/*.egg"):
        with zipfile.ZipFile(egg) as zf:
            assert zf.testzip() is None, egg
    for name in ("manifest.json",):
        if (out / name).exists():
            json.loads((out / name).read_text())
    for record in out.glob(".state/convert/*.json"):
        json.loads(record.read_text())
