"""Run a reference tool's command line (twine, check-wheel-contents, auditwheel, pip) many times in ONE process.

Each tool is a Python console script that starts in about half a second; run once per
wheel, the tool comparisons cost ~100 such starts. Here one child process imports the
tool once and calls its console-script function (the one ``bin/<tool>`` calls, found
through the entry point) once per argument list, as ``bin/<tool> ARGS`` would run it:
the exit code, everything printed, and a crash as a traceback with a non-zero code.
"""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Sequence

from migrate import interpreters

# Runs in the child: {"tool": name, "argvs": [[arg, ...], ...]} on stdin, one
# {"code": int, "stdout": str, "stderr": str} per argv on stdout (as a JSON list).
_DRIVER = r"""
import contextlib, io, json, sys, traceback
from importlib.metadata import entry_points
job = json.load(sys.stdin)
[script] = [e for e in entry_points(group="console_scripts") if e.name == job["tool"]]
main = script.load()
real_stdout, found = sys.stdout, []
for argv in job["argvs"]:
    out, err = io.StringIO(), io.StringIO()
    sys.argv = [job["tool"]] + argv
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            result = main()
            code = 1 if result is True else (result or 0)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()
            code = 1
    found.append({"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()})
real_stdout.write(json.dumps(found))
"""

@dataclass(frozen=True)
class ToolRun:
    """What ``bin/<tool> ARGS`` would have done: its exit code and its stdout and stderr."""

    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_tool(tool: str, argvs: Sequence[Sequence[str]]) -> list[ToolRun]:
    """``tool`` run once per argument list, all in one process; results in order."""
    env = interpreters.pip_env()
    env.update(NO_COLOR="1", COLUMNS="10000", TERM="dumb")  # rich: no colours, no wrapped paths
    job = json.dumps({"tool": tool, "argvs": [[str(a) for a in argv] for argv in argvs]})
    done = subprocess.run([sys.executable, "-c", _DRIVER], input=job, capture_output=True, text=True,
                          env=env, timeout=600)
    assert done.returncode == 0, f"{tool} driver failed:\n{done.stderr}"
    return [ToolRun(r["code"], r["stdout"], r["stderr"]) for r in json.loads(done.stdout)]
