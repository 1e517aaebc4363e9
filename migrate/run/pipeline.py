"""``egg-migrate run``: fetch -> convert + check -> publish -> manifest/report -> pins.

Every stage records what it finished under ``OUT/.state/``, keyed by what it
was given (an egg's sha256 and the options; the set of wheels; the mirror and
the requirements). A re-run redoes only what is missing or changed; a run
killed at any point leaves finished outputs whole (every file is written to a
temp name, fsynced and renamed) and the next run ends in the same bytes.
One egg's failure never stops the run: it becomes a manifest record with its
reason, and the exit status is 1.

One run at a time per OUT (a lock on ``OUT/.state/lock``); holding it, a run
first removes the temp files a killed run left behind: those carrying a token a
run recorded in ``OUT/.state/run-tokens`` (:func:`~migrate.run.runstate.run_token`). docs/run.rst has the
layout and the guarantees.

This module only orders the stages: one module each (:mod:`~migrate.run.fetching`,
:mod:`~migrate.run.converting`, :mod:`~migrate.run.publishing`,
:mod:`~migrate.run.reporting`, :mod:`~migrate.run.pinning`), sharing a
:class:`~migrate.run.stage.RunContext`. The convert stage's per-egg store is
:mod:`~migrate.run.wheelstore`; the lock, the temp-file sweep and the kill-point
test hook are in :mod:`~migrate.run.runstate`.
"""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Optional

from migrate.fsutil import TEMP_NAME
from migrate.mirror import STATE_DIR
from migrate.parallel import EarlyWorkers
from migrate.run import fetching, wheelstore
from migrate.run.converting import convert_and_check
from migrate.run.fetching import SAMPLE, SAMPLE_EGGS_INI, NoSource, fetch_eggs, read_eggs_ini
from migrate.run.pinning import default_target, galaxy_pins, pin_requirements
from migrate.run.publishing import publish_wheels
from migrate.run.recordlog import RecordLog
from migrate.run.reporting import write_run_manifest, write_run_report
from migrate.run.runstate import KILL_ENV, Busy, RunLock, checkpoint, recorded_tokens, run_token, sweep_temp_files
from migrate.run.stage import STATE, Bars, RunContext, RunOptions, RunReport

__all__ = ["run", "RunOptions", "RunReport", "Busy", "NoSource", "KILL_ENV", "SAMPLE", "SAMPLE_EGGS_INI",
           "TEMP_NAMES", "default_target"]

# Every temp name a writer under OUT gives (each writer owns its own); the sweep removes them.
TEMP_NAMES = (TEMP_NAME,) + wheelstore.TEMP_NAMES + fetching.TEMP_NAMES


def run(options: RunOptions, say: Callable[[str], None] = lambda line: None,
        bars: Optional[Bars] = None) -> RunReport:
    """The whole migration; ``say`` receives one line per stage for people.

    ``bars``: makes each stage's progress bar (``stage.Bars``); none are drawn without it.
    Raises :class:`Busy` when another run is using OUT, ``InvalidEggsIni`` for a bad
    eggs.ini, ``InvalidTarget`` for a bad ``python``/``platforms``, :class:`NoSource`
    when there is no source: each a ``MigrateError`` with a one-line message.
    """
    out = Path(options.out)
    ini = read_eggs_ini(options)  # a bad eggs.ini stops the run before anything is written
    ctx = RunContext(options, ini, out, RunReport(out, RecordLog(folder=out / STATE)), say, bars or None)
    ctx.state.mkdir(parents=True, exist_ok=True)
    with RunLock(ctx.state / "lock"):
        swept = sweep_temp_files(out, TEMP_NAMES, recorded_tokens(ctx.state), leave=[out / "mirror" / STATE_DIR])
        if swept:
            say(f"resume: removed {swept} temp file{'s' if swept != 1 else ''} a killed run left in {out}")
        # the workers of convert (innermost: used first) and of publish, both forked while the run is small
        with run_token(ctx.state), EarlyWorkers(options.jobs) as publishers, EarlyWorkers(options.jobs) as workers:
            with _timed(ctx, "fetch"):
                fetched = fetch_eggs(ctx)
            if fetched is None:  # the source could not be read: keep every output of the last run as it is
                return ctx.report
            checkpoint("fetch")
            with _timed(ctx, "convert"):
                convert_and_check(ctx, fetched)
                workers.close()  # inside the stage, which counts their CPU
            fetched.close()  # the records have what later stages need: the fetch results need not be kept
            _rest(ctx, publishers)
    return ctx.report


def _rest(ctx: RunContext, publishers: EarlyWorkers) -> None:
    """Every stage after convert, in order; the report last (it names what the others made)."""
    with _timed(ctx, "publish"):
        publish_wheels(ctx)
        publishers.close()  # inside the stage, which counts their CPU
    with _timed(ctx, "manifest"):
        write_run_manifest(ctx)
    checkpoint("manifest")
    with _timed(ctx, "pin"):
        pin_requirements(ctx)
    if ctx.ini is not None:
        galaxy_pins(ctx, ctx.ini)
    write_run_report(ctx)
    ctx.report.finished = True
    checkpoint("report")


@contextmanager
def _timed(ctx: RunContext, stage: str):
    """Adds the stage's wall-clock seconds to ``report.seconds``, its CPU seconds to ``report.cpu``
    (on a busy machine the CPU says more about the stage than the clock does)."""
    seconds, cpu = ctx.report.seconds, ctx.report.cpu
    started, used = time.perf_counter(), _cpu_seconds()
    try:
        yield
    finally:
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - started
        cpu[stage] = cpu.get(stage, 0.0) + _cpu_seconds() - used


def _cpu_seconds() -> float:
    """User + system CPU of this process and of its workers that have finished (pools end within a stage)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system
