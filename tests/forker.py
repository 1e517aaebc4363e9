"""Killed runs without the start-up: one process imports egg-migrate once and forks a child per run.

A killed run must be a real process that dies by a real SIGKILL at its point; it need not
first pay half a second of CPU for the interpreter and the imports. The launcher (one
``python -c`` per test process, started with the environment ``runner.migrate_run`` gives)
imports the command line and what a run loads, then reads one request a line. For each, it
forks a child that starts its own session, points stdin at /dev/null and stdout and stderr at
the files named, takes the request's environment, folder and ``sys.argv`` and runs the code
given (``runner.PATCHES`` and ``sys.exit(main(...))``, as ``python -c`` would): the child exits
as such a process does, by ``sys.exit``, an exception or its SIGKILL. The launcher answers
with the child's pid, then with its exit code (negative: the signal that killed it).
Its ``os.fsync`` waits for no disk, as the test process's (tests/nosync.py).
"""
from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

LAUNCHER = r"""
import importlib, json, os, sys
for name in sys.argv[1:]:  # only saves time: a module missing here is imported by the child
    try:
        importlib.import_module(name)
    except ImportError:
        pass
from tests import nosync  # the flushes a killed run cannot miss, left out as in the test process
nosync.install()
sys.stdout.write("ready\n")
sys.stdout.flush()
for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        write = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, request["stdout"], write), (2, request["stderr"], write)):
            opened = os.open(path, flags, 0o644)
            os.dup2(opened, fd)
            os.close(opened)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = ["-c", *request["argv"]]
        exec(compile(request["code"], "<string>", "exec"), {"__name__": "__main__"})
        sys.exit(0)  # the code ran to its end, as python -c would
    sys.stdout.write(f"{pid}\n")
    sys.stdout.flush()
    sys.stdout.write(f"{os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])}\n")
    sys.stdout.flush()
"""

# What ``egg-migrate run`` imports that takes time (the stages a run goes through, and their libraries).
PRELOAD = ("migrate.cli", "migrate.commands.run", "migrate.run.pipeline", "migrate.run.fetching",
           "migrate.run.converting", "migrate.run.publishing", "migrate.run.pinning", "migrate.run.reporting",
           "migrate.run.htmlreport", "migrate.fetch.fetching", "migrate.wheels.convert", "migrate.checks.check",
           "migrate.mirror.publishing", "migrate.pins.resolve", "concurrent.futures.process", "requests",
           "resolvelib", "elftools.elf.elffile")


class Launcher:
    """One launcher process: :meth:`start` forks a child, :meth:`wait` gives its exit code."""

    def __init__(self, env: dict, cwd: Path):
        self.log = tempfile.NamedTemporaryFile(prefix="egg-migrate-launcher-", suffix=".log")
        self.proc = subprocess.Popen([sys.executable, "-c", LAUNCHER, *PRELOAD], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log, env=env, cwd=cwd, text=True)
        self.pending = b""
        assert self._answer(120) == "ready", self._died()

    def _answer(self, timeout: float) -> Optional[str]:
        """The launcher's next line; None after ``timeout`` or at its end. Read from the pipe itself:
        a buffered reader could hold the exit code (sent right after the pid) where select never looks."""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.pending:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(fd, 4096) if ready else b""
            if not chunk:
                return None
            self.pending += chunk
        line, _, self.pending = self.pending.partition(b"\n")
        return line.decode()

    def _died(self) -> str:
        self.log.seek(0)
        return f"the launcher stopped: {self.log.read().decode(errors='replace')}"

    def start(self, argv: list, code: str, env: dict, cwd: Path, stdout: Path, stderr: Path) -> int:
        """Fork a child running ``code`` (``python -c CODE ARGV`` in ``cwd``); its pid."""
        request = dict(argv=[str(a) for a in argv], code=code, env=env, cwd=str(cwd), stdout=str(stdout),
                       stderr=str(stderr))
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        pid = self._answer(60)
        assert pid, self._died()
        return int(pid)

    def wait(self, timeout: float) -> Optional[int]:
        """The exit code of the child started last; None when it is still running after ``timeout``
        (the launcher is then stopped, so that no late answer is read as the next one's)."""
        code = self._answer(timeout)
        if code is None:
            self.proc.kill()
            self.proc.wait(timeout=60)
            return None
        return int(code)

    def close(self) -> None:
        try:
            self.proc.stdin.close()  # the launcher's loop ends, and so does it
        except BrokenPipeError:  # it was stopped already
            pass
        self.proc.wait(timeout=60)
        self.log.close()


_launchers: dict = {}


def launcher(env: dict, cwd: Path) -> Launcher:
    """The launcher of this test process in ``cwd`` (made on first use with ``env``, closed at exit).

    One for any environment: each child takes its request's (pytest alone changes
    PYTEST_CURRENT_TEST for every test), and nothing egg-migrate imports reads it."""
    found = _launchers.get(str(cwd))
    if found is None or found.proc.poll() is not None:
        found = _launchers[str(cwd)] = Launcher(env, cwd)
        atexit.register(found.close)
    return found
