"""The run's convert + check stage: fetched eggs -> wheels in ``wheels/`` and one record per egg.

Each egg's wheel is kept in the state folder under its key (:mod:`~migrate.run.wheelstore`
says why); eggs of one release that claim one wheel name are settled in input order
(:mod:`~migrate.run.clashes`); ``wheels/`` links the chosen ones. Only eggs whose key
has no finished record are converted, in a process pool.
"""
from __future__ import annotations

import time
from array import array
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from migrate.eggs import printable
from migrate.fetch import Result
from migrate.parallel import streamed_map
from migrate.records import CONVERTED, FAILED, SKIPPED, EggRecord, Source
from migrate.run import clashes, wheelstore
from migrate.run.recordlog import RecordLog, picked
from migrate.run.runstate import checkpoint, write_json
from migrate.run.stage import RunContext, since
from migrate.wheels import RETAG, ConvertOptions


def convert_and_check(ctx: RunContext, fetched: Sequence[tuple[Result, Source]]) -> None:
    """Convert the eggs not done before, settle the clashes in input order, link ``wheels/``; add the records.

    ``fetched`` is read one egg at a time (from disk, in a run): what is held per egg is its key and
    where its record is, never its fetch result or its record."""
    started = time.perf_counter()
    store = _Store(ctx)
    first = store.convert(lambda: ((r, src, _convert_options(ctx, r)) for r, src in fetched))
    records = picked(store.log, array("Q", (first[src.path] for _, src in fetched)))  # read from disk one at a time
    decisions = clashes.settle_records(records, lambda r: str(store.kept(r.source.path)), ctx.options.join_py2_py3)
    again = [(r, src, replace(_convert_options(ctx, r), python_tag=d.python, python_tag_why=d.message))
             for (r, src), d in zip(fetched, decisions) if d is not None and d.action == RETAG]
    retagged = store.convert(lambda: iter(again))  # rare: a pure py2/py3 pair, each made again with its python tag
    current = RecordLog(folder=ctx.state)
    for n, ((_, src), d) in enumerate(zip(fetched, decisions)):
        current.append(clashes.outcome(store.log[retagged[src.path]] if src.path in retagged else records[n], d))
    wheelstore.link_wheels(current, store.cache, store.key_of)
    wheelstore.remove_stale_wheels(store.wheels, current)
    wheelstore.remove_unused(store.cache, store.used)
    ctx.report.work["convert"] = store.converted
    ctx.report.records += current
    _tell(ctx, current, len(store.fresh), started)


Items = Callable[[], Iterable[tuple[Result, Source, ConvertOptions]]]  # each call walks the eggs again, in order


class _Store:
    """The eggs' records and wheels under their keys (:mod:`~migrate.run.wheelstore`), converted once a key."""

    def __init__(self, ctx: RunContext):
        self.ctx = ctx
        self.wheels = ctx.out / "wheels"
        self.wheels.mkdir(parents=True, exist_ok=True)
        self.cache = ctx.state / "convert"
        self.cache.mkdir(parents=True, exist_ok=True)
        self.key_of: dict[str, str] = {}  # source path -> the key of its current record
        self.used: set[str] = set()  # every key this run needs (a re-tagged egg needs both of its keys)
        self.converted = 0  # conversions made (a re-tagged egg counts twice)
        self.fresh: set[str] = set()  # source paths of the eggs converted this run
        self.log = RecordLog(folder=ctx.state)  # every record made or found, on disk (recordlog says why)

    def kept(self, source_path: str) -> Path:
        return self.cache / f"{self.key_of[source_path]}.whl"

    def convert(self, items: Items) -> dict[str, int]:
        """{source path: its record's index in ``log``}: cached ones as they are, the others converted
        (one job per key). ``items`` is walked twice: to find the keys, then to make the jobs as the
        pool takes them."""
        records: dict[str, int] = {}
        todo = array("Q")  # positions in ``items`` of the eggs to convert, one per key
        also: dict[str, list[Source]] = {}  # key -> the other sources with the same bytes and name (converted once)
        pending: set[str] = set()  # keys with a job
        for n, (r, src, conv) in enumerate(items()):
            key = self.key_of[src.path] = wheelstore.egg_key(src, str(r.path), conv, self.ctx.options.repair)
            cached = wheelstore.cached_record(self.cache, key, src, self.wheels)
            if cached is not None:
                records[src.path] = self._logged(cached)
            elif key in pending:
                also.setdefault(key, []).append(src)
            else:
                pending.add(key)
                todo.append(n)
            self.used.add(key)
        for record in self._run(self._jobs(items, todo), len(todo)):
            for src in [record.source] + also.get(self.key_of[record.source.path], []):
                self.fresh.add(src.path)
                records[src.path] = self._logged(replace(record, egg=src.path, source=src)
                                                 if src != record.source else record)
        return records

    def _jobs(self, items: Items, todo: Sequence[int]) -> Iterator[wheelstore.Job]:
        """The jobs of the eggs at positions ``todo`` of ``items``, made one at a time."""
        wanted = iter(todo)
        upcoming = next(wanted, None)
        for n, (r, src, conv) in enumerate(items()):
            if n == upcoming:
                key = self.key_of[src.path]
                staging = str(wheelstore.staging_dir(self.cache, key))  # made by the worker; swept after a kill
                yield wheelstore.Job(str(r.path), src, staging, conv, self.ctx.options.repair)
                upcoming = next(wanted, None)

    def _logged(self, record: EggRecord) -> int:
        self.log.append(record)
        return len(self.log) - 1

    def _run(self, jobs: Iterable[wheelstore.Job], count: int) -> Iterator[EggRecord]:
        """Convert the jobs in a process pool; each record kept under its key as it comes."""
        bar = self.ctx.bar("convert", count, "egg")
        try:
            for record in streamed_map(wheelstore.convert_one, jobs, self.ctx.options.jobs, count):
                key = self.key_of[record.source.path]
                record = wheelstore.keep(record, self.cache, key, self.wheels)
                if wheelstore.cacheable(record):
                    write_json(self.cache / f"{key}.json", wheelstore.portable(record, self.ctx.out).to_json())
                self.converted += 1
                bar.update(1)
                checkpoint("convert", self.converted)
                yield record
        finally:
            bar.close()


def _tell(ctx: RunContext, current: Sequence[EggRecord], converted_now: int, started: float) -> None:
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
