"""The run's convert + check stage: fetched eggs -> wheels in ``wheels/`` and one record per egg.

Each egg's wheel is kept in the state folder under its key (:mod:`~migrate.run.wheelstore`
says why); ``wheels/`` links the chosen ones. Only eggs whose key has no finished
record are converted, in a process pool.
"""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from migrate.eggs import printable
from migrate.fetch import Result
from migrate.parallel import parallel_map
from migrate.records import CONVERTED, FAILED, SKIPPED, EggRecord, Source
from migrate.run import wheelstore
from migrate.run.runstate import checkpoint, write_json
from migrate.run.stage import RunContext, since
from migrate.wheels import ConvertOptions


def convert_and_check(ctx: RunContext, fetched: list[tuple[Result, Source]]) -> None:
    """Convert the eggs not done before, pick one egg per wheel name, link ``wheels/``; add the records."""
    started = time.perf_counter()
    wheels = ctx.out / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    cache = ctx.state / "convert"
    cache.mkdir(parents=True, exist_ok=True)
    jobs: list[wheelstore.Job] = []
    keys: dict[str, str] = {}  # egg path -> its key
    records: dict[str, EggRecord] = {}  # source path -> its record
    key_of: dict[str, str] = {}  # source path -> its key
    for r, src in fetched:
        conv = _convert_options(ctx, r)
        key = key_of[src.path] = f"{src.sha256}-{wheelstore.options_key(conv)}" + ("-r" if ctx.options.repair else "")
        cached = wheelstore.cached_record(cache, key, src, wheels)
        if cached is not None:
            records[src.path] = cached
            continue
        staging = wheelstore.staging_dir(cache, key)  # made by the worker; swept if a kill leaves it
        job = wheelstore.Job(str(r.path), src, str(staging), conv, ctx.options.repair)
        jobs.append(job)
        keys[job.egg] = key
    bar = ctx.bar("convert", len(jobs), "egg")
    try:
        for done_now, record in enumerate(parallel_map(wheelstore.convert_one, jobs, ctx.options.jobs), 1):
            key = keys[record.egg]
            record = wheelstore.keep(record, cache, key, wheels)
            records[record.source.path] = record
            if wheelstore.cacheable(record):
                write_json(cache / f"{key}.json", wheelstore.portable(record, ctx.out).to_json())
            bar.update(1)
            checkpoint("convert", done_now)
    finally:
        bar.close()
    ctx.report.work["convert"] = len(jobs)
    current = wheelstore.pick([records[src.path] for _, src in fetched])
    wheelstore.link_wheels(current, cache, key_of)
    wheelstore.remove_stale_wheels(wheels, current)
    wheelstore.remove_unused(cache, set(key_of.values()))
    ctx.report.records += current
    _tell(ctx, current, len(jobs), started)


def _tell(ctx: RunContext, current: list[EggRecord], converted_now: int, started: float) -> None:
    good = sum(1 for r in current if r.status == CONVERTED)
    ctx.say(f"convert + check: {good} good wheels from {len(current)} fetched eggs in {ctx.out / 'wheels'} "
            f"({converted_now} converted now, {len(current) - converted_now} unchanged since the last run, "
            f"{sum(1 for r in current if r.status == FAILED)} failed){since(started)}")
    for r in current:
        if r.status == FAILED:
            ctx.say(f"  FAILED {printable(Path(r.egg).name)}: {r.reason}")
        elif r.status == SKIPPED:
            ctx.say(f"  SKIPPED {Path(r.egg).name}: {r.reason}")


def _convert_options(ctx: RunContext, result: Result) -> ConvertOptions:
    """eggs.ini ``[dependencies]`` become Requires-Dist of that egg's wheel (when it lacks them)."""
    ini, options = ctx.ini, ctx.options
    if ini is None or not result.project:
        return options.convert
    deps = ini.dependencies.get(result.project) or ()
    if not deps:
        return options.convert
    return replace(options.convert, extra_requires=tuple(deps),
                   extra_requires_source=f"{Path(ini.path).name} [dependencies] {result.project}")
