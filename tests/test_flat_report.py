"""The run's last stages in flat memory, proved by counting (never by timing or an RSS threshold):
writing manifest.json, report.txt and report.html from a run's record log peaks at a few bytes
more an egg for 4x the eggs. report.txt made as one string (its lines, then the text, copied to
add the run's sections, escaped, encoded) was ~700 bytes an egg; the keys of every record, held
to sort them, ~300."""
from __future__ import annotations

import gc
import random
import tracemalloc

from migrate import problems as P
from migrate.records import CONVERTED, FAILED, ChosenTags, EggRecord, Source, WheelFile
from migrate.run import recordlog, reporting, textreport
from migrate.run.recordlog import RecordLog
from migrate.run.stage import RunContext, RunOptions, RunReport

SMALL = 100


def _record(n: int) -> EggRecord:
    """An egg of a big run: a long path under OUT, a wheel with the reasons for its tags; one in ten failed."""
    name = f"project{n:05d}b-1.{n % 9}.2-py2.7-linux-x86_64-ucs4.egg"
    path = f"/srv/galaxy/migration/out/eggs/{name}"
    source = Source(path, f"https://depot.example.org/eggs/project{n:05d}b/{name}", f"{n:064x}", 40000 + n)
    if n % 10 == 0:
        return EggRecord(path, source, FAILED, f"not a zip file: {name}")
    reasons = {"python": "a CPython 2.7 extension module", "abi": "PyUnicodeUCS4 symbols: a wide build",
               "platform": "every ELF meets manylinux_2_5 (glibc 2.5)"}
    tags = ChosenTags("cp27-cp27mu-manylinux_2_5_x86_64", "cp27", "cp27mu", "manylinux_2_5_x86_64", reasons)
    wheel = WheelFile(f"project{n:05d}b-1.{n % 9}.2-cp27-cp27mu-manylinux_2_5_x86_64.whl",
                      f"/srv/galaxy/migration/out/wheels/project{n:05d}b.whl", f"{n:064x}", 30000 + n, tags)
    return EggRecord(path, source, CONVERTED, None, f"project{n:05d}b", f"1.{n % 9}.2", egg_version=f"1.{n % 9}.2",
                     wheel=wheel, problems=(P.warning("W001", f"a warning about egg {n}"),))


def _peak(tmp_path, count: int) -> int:
    """Traced bytes at the peak of writing the three files, above those held before (the log's
    offsets included: 8 bytes an egg, which the run has all along)."""
    out = tmp_path / f"out-{count}"
    out.mkdir(parents=True)
    order = list(range(count))
    random.Random(count).shuffle(order)  # a run's records are in no useful order: the writers sort
    log = RecordLog((_record(n) for n in order), folder=tmp_path)
    ctx = RunContext(RunOptions(out=out), None, out, RunReport(out, log), lambda line: None)
    ctx.report.errors.append("publish: a run-level error, in its own section")
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    reporting.write_run_manifest(ctx)
    reporting.write_run_report(ctx)
    peak = tracemalloc.get_traced_memory()[1] - before
    text = (out / "report.txt").read_text()
    assert f"eggs: {count}   converted: {count - count // 10}" in text
    assert text.index("Run errors\n  publish: a run-level error") < text.index("Next steps")
    log.close()
    return peak


def test_the_manifest_and_the_reports_peak_at_a_few_bytes_an_egg_more_for_4x_the_eggs(tmp_path, monkeypatch):
    """From 100 to 400 records (sorted in runs of 25, report.txt copied out 1,024 characters at a
    time), the peak of writing manifest.json, report.txt and report.html grows by less than 64
    bytes an egg."""
    monkeypatch.setattr(recordlog, "RUN", 25)
    monkeypatch.setattr(textreport, "_BLOCK", 1024)
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        _peak(tmp_path / "warm", 50)  # first calls: imports, caches
        small, big = _peak(tmp_path, SMALL), _peak(tmp_path, 4 * SMALL)
    finally:
        if started:
            tracemalloc.stop()
    assert (big - small) / (3 * SMALL) < 64, (small, big)
