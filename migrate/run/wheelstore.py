"""The convert stage's store: each egg's record and wheel kept under its key in ``OUT/.state/convert``.

The key (:func:`egg_key`) is everything the wheel depends on: the egg's sha256, its
file name (which gives the name, version, pyver and platform) and the conversion
options, so a re-run finds what is done, a changed egg is redone, and the same bytes
under another name are another wheel. One job per key: two sources with one key are
converted once, so no two conversions ever share a staging folder. Why not convert
straight into ``wheels/``: two eggs can make the same wheel file name, and whichever
was written last would win, differently on each run. Here each egg's wheel has its
own place, the clashes are settled in input order (:mod:`~migrate.run.clashes`), and
``wheels/`` hard-links the chosen ones. Records are stored with OUT-relative paths
(:func:`portable`).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

from migrate import __version__
from migrate import problems as P
from migrate.checks import check_wheel
from migrate.fsutil import file_sha256, temp_prefix
from migrate.records import EggRecord, Source
from migrate.run import manifest
from migrate.run.repairing import repaired_result
from migrate.run.runstate import checkpoint, remove
from migrate.wheels import ConvertOptions, convert_egg

# The temp names this module gives (``.KEY.TAG.tmp-PID`` staging folders, ``.NAME.TAG.tmp-PID``
# links into wheels/): a killed run's leftovers, which the run's sweep removes.
TEMP_NAMES = (re.compile(r"^\..+\.tmp-\d+$"),)


@dataclass(frozen=True)
class Job:
    egg: str
    source: Source
    wheels: str
    options: ConvertOptions
    repair: bool = False  # run --repair (migrate.run.repairing)


def options_key(options: ConvertOptions) -> str:
    return hashlib.sha256(f"{__version__}|{options!r}".encode()).hexdigest()[:16]


def egg_key(src: Source, egg: str, options: ConvertOptions, repair: bool = False) -> str:
    """The store key of one egg: its bytes (a folder egg, unhashed: its path), its file name, the options
    (``repair``: run --repair)."""
    content = src.sha256 or f"path:{src.path}"
    text = f"{content}|{Path(egg).name}|{options_key(options)}" + ("|repair" if repair else "")
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:40]


def staging_dir(cache: Path, key: str) -> Path:
    """Where this process's worker converts the egg of ``key`` (a temp name until :func:`keep`)."""
    return cache / f"{temp_prefix(key)}.tmp-{os.getpid()}"


def convert_one(job: Job) -> EggRecord:
    """Convert and check one egg (in a worker process); returns its manifest record.

    Never raises: a bug met by one egg becomes that egg's failure, not the run's end.
    """
    try:
        shutil.rmtree(job.wheels, ignore_errors=True)
        os.mkdir(job.wheels)
        result = convert_egg(job.egg, job.wheels, job.options)
        if result.ok:
            _WHEELS_WRITTEN[0] += 1
            checkpoint("wheel", _WHEELS_WRITTEN[0])
        checks = (check_wheel(result.wheel, source_egg=job.egg, facts=result.facts)
                  if result.wheel is not None else None)
        if job.repair:  # after the checks: they compare the wheel with its egg, and repair patches binaries
            result = repaired_result(result, job.wheels)
        return manifest.egg_record(result, job.source, checks)
    except Exception as exc:  # noqa: BLE001 - reported per egg, and never cached (see cacheable)
        record = manifest.failed_record(job.egg, f"internal error: {type(exc).__name__}: {exc}", job.source)
        return replace(record, problems=(P.error(INTERNAL_ERROR, str(exc)),))


INTERNAL_ERROR = "run-internal-error"  # the problem code of an egg whose conversion crashed
_RETRY_CODES = (P.WHEEL_NOT_WRITTEN, INTERNAL_ERROR)  # maybe a full disk, or a bug: try again next run


def cacheable(record: EggRecord) -> bool:
    """Records are kept unless the failure may not happen again (I/O while writing, a crash)."""
    return not any(record.has_problem(code) for code in _RETRY_CODES)


_WHEELS_WRITTEN = [0]  # per process: the "wheel:<n>" kill point counts here


def cached_record(cache: Path, key: str, src: Source, wheels: Path) -> Optional[EggRecord]:
    """A finished record whose wheel (``.state/convert/<key>.whl``) is there, unchanged.

    Records are stored with OUT-relative paths (:func:`portable`) and re-rooted
    here, so a moved or copied OUT never points into another folder.
    """
    try:
        record = EggRecord.from_json(json.loads((cache / f"{key}.json").read_text("utf-8")))
    except (OSError, ValueError):  # InvalidRecord is a ValueError
        return None
    wheel = record.wheel
    if wheel:
        kept = cache / f"{key}.whl"
        try:
            if kept.stat().st_size != wheel.size or file_sha256(kept) != wheel.sha256:
                return None
        except OSError:
            return None
        wheel = replace(wheel, path=str(wheels / wheel.filename))
    return replace(record, egg=src.path, source=src, wheel=wheel)


def keep(record: EggRecord, cache: Path, key: str, wheels: Path) -> EggRecord:
    """Move a fresh wheel from its staging folder to ``.state/convert/<key>.whl``; record its public path."""
    wheel = record.wheel
    try:
        if wheel:
            os.replace(wheel.path, cache / f"{key}.whl")
            record = replace(record, wheel=replace(wheel, path=str(wheels / wheel.filename)))
    finally:
        shutil.rmtree(staging_dir(cache, key), ignore_errors=True)
    return record


def link_wheels(records: Iterable[EggRecord], kept_of: Callable[[int], Path]) -> None:
    """Make ``wheels/<name>`` the chosen egg's kept wheel: a hard link (else an atomic copy);
    ``kept_of(n)``: where record n's wheel is kept."""
    for n, r in enumerate(records):
        if not r.wheel_path:
            continue
        kept, public = kept_of(n), Path(r.wheel_path)
        try:
            if os.path.samefile(kept, public):
                continue
        except OSError:
            pass
        tmp = public.with_name(f"{temp_prefix(public.name)}.tmp-{os.getpid()}")
        remove(tmp)
        try:
            os.link(kept, tmp)
        except OSError:
            shutil.copyfile(kept, tmp)
            with open(tmp, "rb+") as fp:
                os.fsync(fp.fileno())
        os.replace(tmp, public)


def portable(record: EggRecord, out: Path) -> EggRecord:
    """The record as cached: paths inside OUT made relative (they are re-rooted when read)."""
    def rel(p):
        try:
            return str(Path(p).relative_to(out)) if p else p
        except ValueError:
            return p

    wheel = replace(record.wheel, path=rel(record.wheel.path)) if record.wheel else None
    return replace(record, egg=rel(record.egg), source=replace(record.source, path=rel(record.source.path)),
                   wheel=wheel)


def remove_unused(cache: Path, keys: set[str]) -> None:
    """Records and wheels of eggs no longer in the run (kept small; re-made if they come back). The
    folder is read one entry at a time (a list of its 32,000 names at 16,000 eggs was ~3 MB)."""
    for entry in _entries(cache):
        if entry.suffix in (".json", ".whl") and entry.stem not in keys:
            entry.unlink()


def remove_stale_wheels(wheels: Path, records: Iterable[EggRecord]) -> None:
    """Wheels of eggs no longer in the run (or converted differently) are removed."""
    keep = {Path(r.wheel_path).name for r in records if r.wheel_path}
    for wheel in _entries(wheels):
        if wheel.name.endswith(".whl") and wheel.name not in keep:
            wheel.unlink()


def _entries(folder: Path) -> Iterator[Path]:
    """The entries of ``folder``, one at a time (``Path.iterdir`` and ``glob`` list them all first)."""
    with os.scandir(folder) as entries:
        for entry in entries:
            yield folder / entry.name
