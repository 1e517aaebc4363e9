"""The run's publish stage: the good wheels -> ``OUT/mirror`` (migrate.mirror), skipped when unchanged.

A wheel whose egg failed its checks is held back unless ``--publish-broken``.
A publish that had errors leaves no stamp, so the next run publishes again.
"""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple, Optional

from migrate import problems as P
from migrate.mirror import stored_paths
from migrate.records import CONVERTED, EggRecord
from migrate.run.keeping import is_kept
from migrate.run.recordlog import RecordLog
from migrate.run.runstate import checkpoint, read_json, remove, write_json
from migrate.run.stage import Bar, RunContext, RunOptions, since
from migrate.spill import SpillList


class Served(NamedTuple):
    """A wheel the mirror serves: what publishing and pinning need of its record, and no more (a
    record's wheel holds its tags and their reasons: kept for 16,000 wheels, that is tens of MB)."""

    filename: str
    path: str
    sha256: str
    size: int


def published(options: RunOptions, records: Iterable[EggRecord]) -> Iterator[Served]:
    """The wheels the mirror serves, by file name, one at a time (a record log is walked in that
    order, holding only the order: a list of 16,000 would cost megabytes through the publish)."""
    for r in _in_name_order(records):
        if r.wheel and _serves(options, r):
            yield Served(r.wheel.filename, r.wheel.path, r.wheel.sha256, r.wheel.size)


def _serves(options: RunOptions, r: EggRecord) -> bool:
    return r.status == CONVERTED or options.publish_broken or is_kept(r)


def _in_name_order(records: Iterable[EggRecord]) -> Iterable[EggRecord]:
    return records.sorted_by(_wheel_name) if isinstance(records, RecordLog) else sorted(records, key=_wheel_name)


def _wheel_name(record: EggRecord) -> str:
    return record.wheel.filename if record.wheel else ""


def published_fingerprint(options: RunOptions, records: Iterable[EggRecord]) -> str:
    """What the mirror serves, as a key: changes when any wheel or the base URL does."""
    return _fingerprint(options.base_url, published(options, records))


def _fingerprint(base_url: Optional[str], served: Iterable[Served]) -> str:
    """The same value as ``runstate.fingerprint({"wheels": [(name, sha256), ...], "base_url": ...})``,
    hashed as it is made."""
    digest = hashlib.sha256(f'{{"base_url": {json.dumps(base_url)}, "wheels": ['.encode())
    sep = ""
    for w in served:
        digest.update((sep + json.dumps([w.filename, w.sha256])).encode())
        sep = ", "
    digest.update(b"]}")
    return digest.hexdigest()


def _gather(options: RunOptions, records: Iterable[EggRecord]) -> tuple[SpillList[Served], int]:
    """(the wheels served, by file name, in a SpillList; how many wheels are held back), in one walk of
    the records (each record read costs its problems and binaries: a walk of 16,000 is seconds)."""
    served: SpillList[Served] = SpillList()
    held = 0
    for r in _in_name_order(records):
        if r.wheel and _serves(options, r):
            served.append(Served(r.wheel.filename, r.wheel.path, r.wheel.sha256, r.wheel.size))
        elif r.wheel:
            held += 1
    return served, held


def publish_wheels(ctx: RunContext) -> None:
    """Publish unless the stamp says this set of wheels is what the mirror already serves."""
    from migrate import mirror

    options, report, say = ctx.options, ctx.report, ctx.say
    started = time.perf_counter()
    good, held = _gather(options, report.records)
    report.published = count = len(good)
    fingerprint = _fingerprint(options.base_url, good)
    stamp = ctx.state / "publish.json"
    if read_json(stamp).get("fingerprint") == fingerprint and _mirror_intact(report.mirror, good):
        report.work["publish"] = 0
        say(f"publish: mirror {report.mirror} unchanged ({count} wheels)")
        return
    wheels = (w.path for w in good)  # taken one at a time by the publish
    bar = ctx.bar("publish", count, "wheel")
    try:
        report.publish = mirror.publish(wheels, report.mirror, base_url=options.base_url, jobs=options.jobs,
                                        link=True,  # wheels/ is only ever replaced by rename: safe to share inodes
                                        mode=mirror.PublishMode(allow_shrink=options.allow_shrink),
                                        progress=_Steps(bar))
    except mirror.MirrorError as exc:
        report.errors.append(f"publish: {exc}")
        say(f"publish: FAILED {exc}")
        return
    except OSError as exc:
        report.errors.append(f"publish: {exc.filename or report.mirror}: {exc.strerror or exc}")
        say(f"publish: FAILED {report.errors[-1]}")
        return
    finally:
        bar.close()
    for p in report.publish.problems:
        if p.severity == P.ERROR:
            report.errors.append(f"publish: {p.message}")
    checkpoint("publish")
    if report.publish.ok:
        write_json(stamp, {"fingerprint": fingerprint})
    else:
        remove(stamp)
    report.work["publish"] = len(report.publish.added) + len(report.publish.removed)
    note = f"; {held} wheels with check errors held back (--publish-broken publishes them)" if held else ""
    say(f"publish: {count} wheels in {report.mirror} "
        f"({len(report.publish.added)} added, {len(report.publish.removed)} removed){note}{since(started)}")


def _mirror_intact(mirror_dir: Path, wheels: Iterable[Served]) -> bool:
    """The index is there and so is every wheel it should serve, at its size (cheap: stat only)."""
    if not (mirror_dir / "simple" / "index.html").is_file():
        return False
    for w in wheels:
        places = stored_paths("packages", w.filename, w.sha256)
        if not any(_size(mirror_dir / place) == w.size for place in places):
            return False
    return True


def _size(path: Path) -> Optional[int]:
    try:
        return path.stat().st_size
    except OSError:
        return None


class _Steps:
    """The publish's progress (a ``mirror.PublishProgress``) on the stage's bar: a step per wheel sorted."""

    def __init__(self, bar: Bar):
        self.bar = bar

    def start(self, total: int) -> None:
        pass  # the bar was made with the total

    def step(self) -> None:
        self.bar.update(1)
