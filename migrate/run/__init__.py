"""The resumable ``run``: takes a SOURCE of eggs and an OUT folder; gives OUT's eggs/, wheels/,
mirror/, manifest.json (one :class:`~migrate.records.EggRecord` per egg), requirements.txt and
report.txt. :mod:`pipeline` orders the stages (fetching, converting, publishing, reporting, pinning).

The names below load their module on first use: ``convert`` and ``inspect`` import
``migrate.run.report`` and should not pay for the whole run (fetch, mirror, pins).
"""
from typing import TYPE_CHECKING

from migrate.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "dryrun": ("DryRun", "dry_run",),
    "fetching": ("NoSource", "SAMPLE", "SAMPLE_EGGS_INI", "source_for",),
    "manifest": ("egg_record", "failed_record", "skipped_record", "source_of", "write_manifest",),
    "pinning": ("default_target",),
    "pipeline": ("TEMP_NAMES", "run",),
    "publishing": ("published",),
    "report": ("describe", "facts_record", "result_record",),
    "runstate": ("Busy", "KILL_ENV", "KILL_POINTS", "RunLock",),
    "stage": ("Bar", "Bars", "RunContext", "RunOptions", "RunReport",),
    "textreport": ("render_report", "write_report",),
})

if TYPE_CHECKING:  # the same names, for type checkers and readers
    from migrate.run.dryrun import DryRun, dry_run
    from migrate.run.fetching import SAMPLE, SAMPLE_EGGS_INI, NoSource, source_for
    from migrate.run.manifest import egg_record, failed_record, skipped_record, source_of, write_manifest
    from migrate.run.pinning import default_target
    from migrate.run.pipeline import TEMP_NAMES, run
    from migrate.run.publishing import published
    from migrate.run.report import describe, facts_record, result_record
    from migrate.run.runstate import KILL_ENV, KILL_POINTS, Busy, RunLock
    from migrate.run.stage import Bar, Bars, RunContext, RunOptions, RunReport
    from migrate.run.textreport import render_report, write_report
