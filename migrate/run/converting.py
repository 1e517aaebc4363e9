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

    ``fetched`` is read one egg at a time (from disk, in a run): what is held per egg is its key (20
    bytes) and where its record is (8), never its fetch result, its record or its path."""
    started = time.perf_counter()
    count = len(fetched)
    store = _Store(ctx, count)
    first = store.convert(lambda: ((n, r, src, _convert_options(ctx, r)) for n, (r, src) in enumerate(fetched)))
    records = picked(store.log, first)  # read from disk one at a time
    decisions = clashes.settle_records(records, lambda n: str(store.kept(n)), ctx.options.join_py2_py3)
    again = [(n, r, src, replace(_convert_options(ctx, r), python_tag=d.python, python_tag_why=d.message))
             for n, d in sorted(decisions.items()) if d.action == RETAG for r, src in [fetched[n]]]
    retagged = store.convert(lambda: iter(again), retag=True)  # rare: a pure py2/py3 pair, each made again
    current = RecordLog(folder=ctx.state)
    for n in range(count):
        current.append(clashes.outcome(store.log[retagged[n]] if retagged[n] >= 0 else records[n], decisions.get(n)))
    wheelstore.link_wheels(current, store.kept)
    wheelstore.remove_stale_wheels(store.wheels, current)
    wheelstore.remove_unused(store.cache, store.used())
    ctx.report.work["convert"] = store.converted
    ctx.report.records += current
    _tell(ctx, current, sum(store.fresh), started)


# Each call walks the eggs again, in order: (position among the fetched eggs, fetch result, source, options)
Items = Callable[[], Iterable[tuple[int, Result, Source, ConvertOptions]]]
_KEY = 20  # bytes of a store key (wheelstore.egg_key: 40 hex digits)


class _Store:
    """The eggs' records and wheels under their keys (:mod:`~migrate.run.wheelstore`), converted once a key.

    Per egg, by its position among the fetched eggs: its key, packed, and whether it was converted
    now; a dict or set of paths or keys per egg was ~100-200 bytes an egg each."""

    def __init__(self, ctx: RunContext, count: int):
        self.ctx = ctx
        self.wheels = ctx.out / "wheels"
        self.wheels.mkdir(parents=True, exist_ok=True)
        self.cache = ctx.state / "convert"
        self.cache.mkdir(parents=True, exist_ok=True)
        self.count = count
        self.keys = bytearray(_KEY * count)  # egg n's key: bytes [20n, 20n + 20)
        self.retag_keys: dict[int, bytes] = {}  # egg n -> the key of its re-tagged record (it needs both keys)
        self.converted = 0  # conversions made (a re-tagged egg counts twice)
        self.fresh = bytearray(count)  # 1: egg n was converted this run
        self.log = RecordLog(folder=ctx.state)  # every record made or found, on disk (recordlog says why)

    def key(self, n: int) -> str:
        """Egg n's current key (the re-tagged one, once there is one)."""
        key = self.retag_keys.get(n)
        return (key if key is not None else bytes(self.keys[_KEY * n:_KEY * (n + 1)])).hex()

    def kept(self, n: int) -> Path:
        return self.cache / f"{self.key(n)}.whl"

    def used(self) -> set[str]:
        """Every key this run needs (a re-tagged egg needs both of its keys)."""
        keys = {bytes(self.keys[i:i + _KEY]).hex() for i in range(0, len(self.keys), _KEY)}
        return keys | {key.hex() for key in self.retag_keys.values()}

    def convert(self, items: Items, retag: bool = False) -> array:
        """Egg n -> its record's index in ``log`` (-1: not among ``items``): cached ones as they are, the
        others converted (one job per key). ``items`` is walked twice: to find the keys, then to make
        the jobs as the pool takes them. ``retag``: the second pass, whose keys are kept beside the first."""
        records = array("q", [-1]) * self.count
        todo = array("Q")  # the eggs to convert, one per key
        also: dict[bytes, list[tuple[int, Source]]] = {}  # key -> the other eggs with its bytes and name (converted once)
        pending: set[bytes] = set()  # keys with a job
        for n, r, src, conv in items():
            key = bytes.fromhex(wheelstore.egg_key(src, str(r.path), conv, self.ctx.options.repair))
            if retag:
                self.retag_keys[n] = key
            else:
                self.keys[_KEY * n:_KEY * (n + 1)] = key
            cached = wheelstore.cached_record(self.cache, key.hex(), src, self.wheels)
            if cached is not None:
                records[n] = self._logged(cached)
            elif key in pending:
                also.setdefault(key, []).append((n, src))
            else:
                pending.add(key)
                todo.append(n)
        for n, record in zip(todo, self._run(self._jobs(items, todo), todo)):
            for m, src in [(n, record.source)] + also.get(bytes.fromhex(self.key(n)), []):
                self.fresh[m] = 1
                records[m] = self._logged(replace(record, egg=src.path, source=src) if src != record.source else record)
        return records

    def _jobs(self, items: Items, todo: Sequence[int]) -> Iterator[wheelstore.Job]:
        """The jobs of the eggs ``todo`` (in the order of ``items``), made one at a time."""
        wanted = iter(todo)
        upcoming = next(wanted, None)
        for n, r, src, conv in items():
            if n == upcoming:
                staging = str(wheelstore.staging_dir(self.cache, self.key(n)))  # made by the worker; swept after a kill
                yield wheelstore.Job(str(r.path), src, staging, conv, self.ctx.options.repair)
                upcoming = next(wanted, None)

    def _logged(self, record: EggRecord) -> int:
        self.log.append(record)
        return len(self.log) - 1

    def _run(self, jobs: Iterable[wheelstore.Job], todo: Sequence[int]) -> Iterator[EggRecord]:
        """Convert the jobs (of the eggs ``todo``) in a process pool; each record kept under its key as it comes."""
        bar = self.ctx.bar("convert", len(todo), "egg")
        try:
            records = streamed_map(wheelstore.convert_one, jobs, self.ctx.options.jobs, len(todo))
            for n, record in zip(todo, records):
                key = self.key(n)
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
