"""The run's fetch stage: SOURCE (or eggs.ini's repository, or the bundled sample) -> verified eggs.

Eggs that could not be fetched, and eggs left out on purpose, become manifest
records here; the others go on to be converted. A source that cannot be read at
all stops the run before anything in OUT changes.
"""
from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from migrate.disklog import DiskLog
from migrate.errors import MigrateError
from migrate.fetch import Progress, Result
from migrate.records import EggRecord, Source
from migrate.run import manifest
from migrate.run.keeping import keep_last_good
from migrate.run.stage import Bar, RunContext, RunOptions, since

if TYPE_CHECKING:
    from migrate.fetch import FetchReport
    from migrate.galaxy import EggsIni

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-repo"
SAMPLE_EGGS_INI = SAMPLE.parent / "eggs.ini"
READY = ("downloaded", "already-verified")

# The temp names migrate.fetch gives in eggs/ (``.NAME.TAG.tmp-PID-TID`` copies, fsutil's temp names,
# ``.NAME.TAG.old-PID-TID`` for a folder egg being replaced): a
# killed run's leftovers, which the run's sweep removes. ``.part`` files are not among them: fetch
# resumes a download from its ``.part``.
TEMP_NAMES = (re.compile(r"^\..+\.tmp-\d+(-\d+)?$"), re.compile(r"^\..+\.old-\d+-\d+$"))


class NoSource(MigrateError, FileNotFoundError):
    """No SOURCE was given and the bundled sample is not there (one line)."""


def read_eggs_ini(options: RunOptions) -> Optional[EggsIni]:
    """The parsed ``--eggs-ini`` (None without one); ``InvalidEggsIni`` names the file and line."""
    if options.eggs_ini is None:
        return None
    from migrate.galaxy import eggsini

    return eggsini.parse(options.eggs_ini)


def source_for(options: RunOptions, ini: Optional[EggsIni]) -> str:
    """SOURCE, else eggs.ini's repository when it is reachable, else the bundled sample."""
    if options.source:
        return options.source
    if ini is not None and ini.repository and not _is_placeholder(ini.repository):
        return ini.repository
    if not SAMPLE.is_dir():
        raise NoSource("no SOURCE given and the bundled sample (data/sample-repo) is not here: "
                       "run from a checkout of egg-migrate or give SOURCE")
    return str(SAMPLE)


def _is_placeholder(url: str) -> bool:
    return "example" in url or url.startswith("file:///path")


def fetch_eggs(ctx: RunContext) -> Optional[DiskLog[tuple[Result, Source]]]:
    """[(download.Result, records.Source)] of the eggs to convert, on disk (one read at a time); other
    rows become records.

    None when the source as a whole cannot be read (the run stops there).
    """
    from migrate.fetch import FetchOptions, Selection, SourceError, fetch

    options, report, say = ctx.options, ctx.report, ctx.say
    started = time.perf_counter()
    selection = Selection.make(ctx.ini, options.python, options.platforms, options.projects)
    source = source_for(options, ctx.ini)
    jobs = max(options.jobs, 4)  # downloads wait on the network, not the CPU
    progress = _FetchProgress(ctx.bar("fetch", 0, "egg"))
    try:
        result = fetch(source, ctx.out / "eggs", selection, jobs=jobs, progress=progress,
                       options=options.fetch_options or FetchOptions())
    except SourceError as exc:
        report.errors.append(str(exc))
        say(f"fetch: FAILED {exc} (nothing else done; the outputs of the last run are untouched)")
        return None
    finally:
        progress.close()
    report.errors += list(result.errors)
    if result.errors and not result.results:  # nothing listed at all: as bad as an unreadable source
        for error in result.errors:
            say(f"fetch: FAILED {error} (nothing else done; the outputs of the last run are untouched)")
        return None
    ready: DiskLog[tuple[Result, Source]] = DiskLog(folder=ctx.state)
    failed: list[EggRecord] = []
    for r in result.results:
        src = manifest.Source(str(r.path) if r.path else r.filename, r.url, r.sha256, r.size, r.selected or None)
        if r.status in READY:
            ready.append((r, src))
        elif r.status == "skipped":
            report.records.append(manifest.skipped_record(r.filename, r.reason, src))
        else:
            why = "fetch failed" if r.status == "failed" else f"fetch: {r.status}"
            failed.append(manifest.failed_record(r.filename, f"{why}: {r.reason}", src))
    reasons = {Path(f.egg).name: f.reason or "" for f in failed}
    kept = keep_last_good(ctx.out, result, reasons, options.projects)
    report.records += [kept.records.get(Path(f.egg).name, f) for f in failed]
    report.records += [k for name, k in sorted(kept.records.items()) if name not in reasons]
    report.gone = kept.gone
    report.work["fetch"] = result.counts().get("downloaded", 0)
    _tell(ctx, result, len(ready), started)
    for name in kept.gone:
        say(f"  GONE {name}: no longer in the source; its wheel leaves the mirror")
    for name, record in sorted(kept.records.items()):
        say(f"  KEPT {name}: {record.reason}")
    return ready


def _tell(ctx: RunContext, result: FetchReport, ready: int, started: float) -> None:
    counts = result.counts()
    ctx.say(f"fetch: {ready} eggs ready in {ctx.out / 'eggs'} ({counts.get('downloaded', 0)} fetched now, "
            f"{counts.get('already-verified', 0)} already verified, {counts.get('skipped', 0)} skipped, "
            f"{counts.get('missing', 0)} missing, {counts.get('failed', 0)} failed){since(started)}")
    for r in result.results:
        if r.status not in READY + ("skipped",):
            ctx.say(f"  {r.status.upper()} {r.filename}: {r.reason}")
    for error in result.errors:
        ctx.say(f"  FAILED {error}")


class _FetchProgress(Progress):
    """fetch's progress (eggs expected, eggs done) shown on the stage's bar."""

    def __init__(self, bar: Bar):
        self.bar = bar

    def add_files(self, n: int) -> None:
        self.bar.add_total(n)

    def done(self, result: Result) -> None:
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()
