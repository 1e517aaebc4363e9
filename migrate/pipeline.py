"""``egg-migrate run``: fetch -> convert + check -> publish -> manifest/report -> pins.

Every stage records what it finished under ``OUT/.state/``, keyed by what it
was given (an egg's sha256 and the options; the set of wheels; the mirror and
the requirements). A re-run redoes only what is missing or changed; a run
killed at any point leaves finished outputs whole (every file is written to a
temp name, fsynced and renamed) and the next run ends in the same bytes.
One egg's failure never stops the run: it becomes a manifest record with its
reason, and the exit status is 1.

One run at a time per OUT (a lock on ``OUT/.state/lock``); holding it, a run
first removes the temp files a killed run left behind. docs/run.rst has the
layout and the guarantees.

Test hook: ``EGG_MIGRATE_TEST_KILL_AFTER=<point>[:<n>]`` makes the process
SIGKILL itself at a named point (see :data:`KILL_POINTS`), so tests can prove
that a run killed there resumes to the same bytes. It does nothing when unset.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import signal
import sys
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Optional

from packaging.utils import canonicalize_name, parse_wheel_filename

from migrate import __version__, manifest
from migrate.check import check_wheel
from migrate.convert import ConvertOptions, convert_egg
from migrate.fsutil import file_sha256, write_atomic, write_if_changed
from migrate.parallel import parallel_map

STATE = ".state"
KILL_ENV = "EGG_MIGRATE_TEST_KILL_AFTER"
KILL_POINTS = (
    "fetch",      # eggs on disk, nothing converted
    "wheel",      # :n  the n-th wheel written (in its staging folder), nothing recorded (in the converting process)
    "convert",    # :n  the n-th convert record saved
    "publish",    # the mirror swapped in, its stamp not yet written
    "manifest",   # manifest.json written
    "pin",        # requirements.txt written, its stamp not yet written
    "report",     # report.txt written: the run is complete
)
SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample-repo"
SAMPLE_EGGS_INI = SAMPLE.parent / "eggs.ini"


@dataclass(frozen=True)
class RunOptions:
    out: Path
    source: Optional[str] = None  # None: the bundled sample repository
    jobs: int = 2
    eggs_ini: Optional[Path] = None
    python: Optional[str] = None
    platforms: tuple = ()  # egg platforms to fetch (linux-x86_64-ucs4 ...)
    projects: tuple = ()
    convert: ConvertOptions = ConvertOptions()
    pin: tuple = ()  # requirements to pin; default: the eggs.ini pins, else every converted project
    target_python: Optional[str] = None  # pins target; default: what most converted wheels are for
    target_abi: Optional[str] = None
    target_platforms: tuple = ()
    publish_broken: bool = False
    base_url: Optional[str] = None
    hashes: bool = False  # --hashes: pinned-requirements.txt (eggs.ini) carries sha256 hashes too
    fetch_options: Optional[object] = None  # fetch.FetchOptions


@dataclass
class RunReport:
    out: Path
    records: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # one-line run-level errors (source, publish)
    publish: Optional[object] = None  # mirror.PublishReport, None when skipped (unchanged)
    published: int = 0
    pins_file: Optional[Path] = None
    pins_error: Optional[str] = None
    galaxy_pins: Optional[Path] = None
    work: dict = field(default_factory=dict)  # stage -> how many items were (re)done
    seconds: dict = field(default_factory=dict)  # stage -> wall-clock seconds
    pins_count: int = 0
    target: Optional[str] = None  # what requirements.txt pins for, e.g. "CPython 2.7 (cp27mu) on ..."
    other_targets: tuple = ()  # ("3.10", ...): other Pythons the mirror has binary wheels for
    finished: bool = False  # False: stopped after fetch (source unreadable), OUT left as it was

    @property
    def counts(self) -> dict:
        return manifest.counts(self.records)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.pins_error and self.counts[manifest.FAILED] == 0

    @property
    def mirror(self) -> Path:
        return self.out / "mirror"


class Busy(Exception):
    """Another run holds OUT (one line)."""


def run(options: RunOptions, say: Callable[[str], None] = lambda line: None,
        bars: Optional[bool] = None) -> RunReport:
    """The whole migration; ``say`` receives one line per stage for people.

    ``bars``: tqdm bars on stderr, one per stage (default: when stderr is a terminal).
    Raises :class:`Busy` when another run is using OUT, ``ValueError`` for a bad
    eggs.ini or target, ``FileNotFoundError`` when there is no source.
    """
    out = Path(options.out)
    ini = _eggs_ini(options)  # a bad eggs.ini stops the run before anything is written
    (out / STATE).mkdir(parents=True, exist_ok=True)
    bars = sys.stderr.isatty() if bars is None else bars
    with _RunLock(out / STATE / "lock"):
        swept = sweep_temp_files(out)
        if swept:
            say(f"resume: removed {swept} temp file{'s' if swept != 1 else ''} a killed run left in {out}")
        report = RunReport(out)
        with _timed(report, "fetch"):
            fetched = _fetch(options, ini, out, report, say, bars)
        if fetched is None:  # the source could not be read: keep every output of the last run as it is
            return report
        _checkpoint("fetch")
        with _timed(report, "convert"):
            _convert_and_check(options, ini, fetched, out, report, say, bars)
        with _timed(report, "publish"):
            _publish(options, out, report, say, bars)
        with _timed(report, "manifest"):
            _write_manifest(out, report)
        _checkpoint("manifest")
        with _timed(report, "pin"):
            _pins(options, ini, out, report, say, bars)
        if ini is not None:
            _galaxy_pins(ini, out, report, say, options.hashes)
        _write_report(out, report)
        report.finished = True
        _checkpoint("report")
    return report


@contextmanager
def _timed(report: RunReport, stage: str):
    """Adds the stage's wall-clock seconds to ``report.seconds``."""
    started = time.perf_counter()
    try:
        yield
    finally:
        report.seconds[stage] = report.seconds.get(stage, 0.0) + time.perf_counter() - started


def _checkpoint(point: str, n: Optional[int] = None) -> None:
    """The test hook: SIGKILL this process at ``EGG_MIGRATE_TEST_KILL_AFTER=<point>[:<n>]``."""
    wanted = os.environ.get(KILL_ENV)
    if not wanted:
        return
    name, _, count = wanted.partition(":")
    if name == point and (not count or n == int(count)):
        os.kill(os.getpid(), signal.SIGKILL)


# ---------------------------------------------------------------- fetch

def _eggs_ini(options: RunOptions):
    if options.eggs_ini is None:
        return None
    from migrate import eggsini

    return eggsini.parse(options.eggs_ini)  # InvalidEggsIni: the caller prints its one line


def source_for(options: RunOptions, ini) -> str:
    """SOURCE, else eggs.ini's repository when it is reachable, else the bundled sample."""
    if options.source:
        return options.source
    if ini is not None and ini.repository and not _is_placeholder(ini.repository):
        return ini.repository
    if not SAMPLE.is_dir():
        raise FileNotFoundError("no SOURCE given and the bundled sample (data/sample-repo) is not here: "
                                "run from a checkout of egg-migrate or give SOURCE")
    return str(SAMPLE)


def _is_placeholder(url: str) -> bool:
    return "example" in url or url.startswith("file:///path")


def _fetch(options: RunOptions, ini, out: Path, report: RunReport, say, bars: bool) -> Optional[list]:
    """[(download.Result, manifest.Source)] of the eggs to convert; other rows become records.

    None when the source as a whole cannot be read (the run stops there).
    """
    from migrate.fetch import FetchOptions, SourceError, fetch
    from migrate.selection import Selection

    started = time.perf_counter()
    selection = Selection.make(ini, options.python, options.platforms, options.projects)
    source = source_for(options, ini)
    fetch_options = options.fetch_options or FetchOptions()
    jobs = max(options.jobs, 4)  # downloads wait on the network, not the CPU
    bar = _FetchBar() if bars else None
    try:
        result = fetch(source, out / "eggs", selection, jobs=jobs, progress=bar, options=fetch_options)
    except SourceError as exc:
        report.errors.append(str(exc))
        say(f"fetch: FAILED {exc} (nothing else done; the outputs of the last run are untouched)")
        return None
    finally:
        if bar is not None:
            bar.close()
    report.errors += list(result.errors)
    if result.errors and not result.results:  # nothing listed at all: as bad as an unreadable source
        for error in result.errors:
            say(f"fetch: FAILED {error} (nothing else done; the outputs of the last run are untouched)")
        return None
    ready = []
    for r in result.results:
        src = manifest.Source(str(r.path) if r.path else r.filename, r.url, r.sha256, r.size)
        if r.status in ("downloaded", "already-verified"):
            ready.append((r, src))
        elif r.status == "skipped":
            report.records.append(manifest.skipped_record(r.filename, r.reason, src))
        else:
            why = "fetch failed" if r.status == "failed" else f"fetch: {r.status}"
            report.records.append(manifest.failed_record(r.filename, f"{why}: {r.reason}", src))
    counts = result.counts()
    report.work["fetch"] = counts.get("downloaded", 0)
    say(f"fetch: {len(ready)} eggs ready in {out / 'eggs'} ({counts.get('downloaded', 0)} fetched now, "
        f"{counts.get('already-verified', 0)} already verified, {counts.get('skipped', 0)} skipped, "
        f"{counts.get('missing', 0)} missing, {counts.get('failed', 0)} failed){_since(started)}")
    for r in result.results:
        if r.status not in ("downloaded", "already-verified", "skipped"):
            say(f"  {r.status.upper()} {r.filename}: {r.reason}")
    for error in result.errors:
        say(f"  FAILED {error}")
    return ready


class _FetchBar:
    """The fetch stage's one bar (migrate.download.Progress): eggs done of eggs wanted."""

    def __init__(self):
        from tqdm import tqdm

        self.bar = tqdm(total=0, desc="fetch", unit="egg", file=sys.stderr, leave=False)

    def add_files(self, n: int) -> None:
        self.bar.total = (self.bar.total or 0) + n
        self.bar.refresh()

    def add_bytes(self, n: int) -> None:
        pass

    def done(self, result) -> None:
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def _since(started: float) -> str:
    return f" in {time.perf_counter() - started:.1f} s"


# ---------------------------------------------------------------- convert + check

@dataclass(frozen=True)
class _Job:
    egg: str
    source: manifest.Source
    wheels: str
    options: ConvertOptions


def _options_key(options: ConvertOptions) -> str:
    return hashlib.sha256(f"{__version__}|{options!r}".encode()).hexdigest()[:16]


def _convert_one(job: _Job) -> dict:
    """Convert and check one egg (in a worker process); returns its manifest record.

    Never raises: a bug met by one egg becomes that egg's failure, not the run's end.
    """
    try:
        shutil.rmtree(job.wheels, ignore_errors=True)
        os.mkdir(job.wheels)
        result = convert_egg(job.egg, job.wheels, job.options)
        if result.ok:
            _WHEELS_WRITTEN[0] += 1
            _checkpoint("wheel", _WHEELS_WRITTEN[0])
        checks = check_wheel(result.wheel, source_egg=job.egg) if result.ok else None
        return manifest.egg_record(result, job.source, checks)
    except Exception as exc:  # noqa: BLE001 - reported per egg, and never cached (see _cacheable)
        record = manifest.failed_record(job.egg, f"internal error: {type(exc).__name__}: {exc}", job.source)
        record["problems"] = [{"severity": "error", "code": _INTERNAL, "message": str(exc)}]
        return record


_INTERNAL = "run-internal-error"
_RETRY_CODES = {"C001", _INTERNAL}  # writing the wheel failed (maybe a full disk), or a bug: try again next run


def _cacheable(record: dict) -> bool:
    """Records are kept unless the failure may not happen again (I/O while writing, a crash)."""
    return not any(p.get("code") in _RETRY_CODES for p in record.get("problems", ()))


_WHEELS_WRITTEN = [0]  # per process: the "wheel:<n>" kill point counts here
def _convert_and_check(options: RunOptions, ini, fetched: list, out: Path, report: RunReport, say,
                       bars: bool) -> None:
    """Each egg's wheel is kept in the state folder under its key; ``wheels/`` links the chosen ones.

    Why not convert straight into ``wheels/``: two eggs can make the same wheel file
    name (a pure egg built for py2.6 and for py2.7 both make ``*-py2-none-any.whl``),
    and whichever was written last would win, differently on each run. Here each
    egg's wheel has its own place, one egg per wheel name is chosen by a fixed rule
    (:func:`_pick`) and the others are reported as skipped.
    """
    started = time.perf_counter()
    wheels = out / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    cache = out / STATE / "convert"
    cache.mkdir(parents=True, exist_ok=True)
    jobs, keys, records, key_of = [], {}, {}, {}
    for r, src in fetched:
        conv = _convert_options(options, ini, r)
        key = key_of[src.path] = f"{src.sha256}-{_options_key(conv)}"
        cached = _cached_record(cache, key, src, wheels)
        if cached is not None:
            records[src.path] = cached
            continue
        staging = cache / f".{key}.tmp-{os.getpid()}"  # made by the worker; swept if a kill leaves it
        job = _Job(str(r.path), src, str(staging), conv)
        jobs.append(job)
        keys[job.egg] = key
    done_now = 0
    results = parallel_map(_convert_one, jobs, options.jobs)
    if bars:
        results = _bar(results, "convert", len(jobs), "egg")
    for record in results:
        key = keys[record["egg"]]
        record = _keep(record, cache, key, wheels)
        records[record["source"]["path"]] = record
        if _cacheable(record):
            _write_json(cache / f"{key}.json", _portable(record, out))
        done_now += 1
        _checkpoint("convert", done_now)
    report.work["convert"] = len(jobs)
    current = _pick([records[src.path] for _, src in fetched])
    _link_wheels(current, cache, key_of)
    _remove_stale_wheels(wheels, current)
    _remove_unused(cache, set(key_of.values()))
    report.records += current
    good = sum(1 for r in current if r["status"] == manifest.CONVERTED)
    say(f"convert + check: {good} good wheels from {len(current)} fetched eggs in {wheels} "
        f"({len(jobs)} converted now, {len(current) - len(jobs)} unchanged since the last run, "
        f"{sum(1 for r in current if r['status'] == manifest.FAILED)} failed){_since(started)}")
    for r in current:
        if r["status"] == manifest.FAILED:
            say(f"  FAILED {Path(r['egg']).name}: {r['reason']}")
        elif r["status"] == manifest.SKIPPED:
            say(f"  SKIPPED {Path(r['egg']).name}: {r['reason']}")


def _bar(items, desc: str, total: int, unit: str):
    from tqdm import tqdm

    return tqdm(items, desc=desc, total=total, unit=unit, leave=False, file=sys.stderr)


def _convert_options(options: RunOptions, ini, result) -> ConvertOptions:
    """eggs.ini ``[dependencies]`` become Requires-Dist of that egg's wheel (when it lacks them)."""
    if ini is None or not result.project:
        return options.convert
    deps = ini.dependencies.get(result.project) or ()
    if not deps:
        return options.convert
    return replace(options.convert, extra_requires=tuple(deps),
                   extra_requires_source=f"{Path(ini.path).name} [dependencies] {result.project}")


def _cached_record(cache: Path, key: str, src, wheels: Path) -> Optional[dict]:
    """A finished record whose wheel (``.state/convert/<key>.whl``) is there, unchanged.

    Records are stored with OUT-relative paths (:func:`_portable`) and re-rooted
    here, so a moved or copied OUT never points into another folder.
    """
    try:
        record = json.loads((cache / f"{key}.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    wheel = record.get("wheel")
    if wheel:
        kept = cache / f"{key}.whl"
        try:
            if kept.stat().st_size != wheel["size"] or file_sha256(kept) != wheel["sha256"]:
                return None
        except OSError:
            return None
        here = wheels / wheel["filename"]
        record["wheel"] = {**wheel, "path": str(here)}
        record["wheel_path"] = str(here)
    record["egg"] = src.path
    record["source"] = {"path": src.path, "url": src.url, "sha256": src.sha256, "size": src.size}
    return record


def _keep(record: dict, cache: Path, key: str, wheels: Path) -> dict:
    """Move a fresh wheel from its staging folder to ``.state/convert/<key>.whl``; record its public path."""
    wheel = record.get("wheel")
    try:
        if wheel:
            os.replace(record["wheel_path"], cache / f"{key}.whl")
            here = str(wheels / wheel["filename"])
            record = {**record, "wheel": {**wheel, "path": here}, "wheel_path": here}
    finally:
        for leftover in cache.glob(f".{key}.tmp-{os.getpid()}"):
            shutil.rmtree(leftover, ignore_errors=True)
    return record


def _pick(records: list) -> list:
    """One egg per wheel file name; the others become skipped records saying which egg won.

    The rule is fixed, so every run picks the same egg: a good wheel over one that
    failed its checks, then the newest Python the egg was built for, then the
    first egg file name.
    """
    by_name: dict = {}
    for r in records:
        if r.get("wheel"):
            by_name.setdefault(r["wheel"]["filename"], []).append(r)
    losers = {}
    for filename, group in by_name.items():
        if len(group) < 2:
            continue
        group = sorted(group, key=lambda r: (r["status"] != manifest.CONVERTED, _neg_version(r.get("egg_python")),
                                             Path(r["egg"]).name))
        for r in group[1:]:
            losers[id(r)] = (f"makes the same wheel ({filename}) as {Path(group[0]['egg']).name}, "
                             f"which is kept")
    return [{**r, "status": manifest.SKIPPED, "reason": losers[id(r)], "wheel": None, "wheel_path": None}
            if id(r) in losers else r for r in records]


def _neg_version(pyver: Optional[str]) -> tuple:
    try:
        return tuple(-int(x) for x in (pyver or "").split("."))
    except ValueError:
        return ()


def _link_wheels(records: list, cache: Path, key_of: dict) -> None:
    """Make ``wheels/<name>`` the chosen egg's kept wheel: a hard link (else an atomic copy)."""
    for r in records:
        if not r.get("wheel_path"):
            continue
        kept, public = cache / f"{key_of[r['source']['path']]}.whl", Path(r["wheel_path"])
        try:
            if os.path.samefile(kept, public):
                continue
        except OSError:
            pass
        tmp = public.with_name(f".{public.name}.tmp-{os.getpid()}")
        _remove(tmp)
        try:
            os.link(kept, tmp)
        except OSError:
            shutil.copyfile(kept, tmp)
            with open(tmp, "rb+") as fp:
                os.fsync(fp.fileno())
        os.replace(tmp, public)


def _portable(record: dict, out: Path) -> dict:
    """The record as cached: paths inside OUT made relative (they are re-rooted when read)."""
    def rel(p):
        try:
            return str(Path(p).relative_to(out)) if p else p
        except ValueError:
            return p

    wheel = record.get("wheel")
    return {**record, "egg": rel(record["egg"]), "source": {**record["source"], "path": rel(record["source"]["path"])},
            "wheel": {**wheel, "path": rel(wheel["path"])} if wheel else wheel,
            "wheel_path": rel(record.get("wheel_path"))}


def _remove_unused(cache: Path, keys: set) -> None:
    """Records and wheels of eggs no longer in the run (kept small; re-made if they come back)."""
    for entry in cache.iterdir():
        if entry.suffix in (".json", ".whl") and entry.stem not in keys:
            entry.unlink()


def _remove_stale_wheels(wheels: Path, records: list) -> None:
    """Wheels of eggs no longer in the run (or converted differently) are removed."""
    keep = {Path(r["wheel_path"]).name for r in records if r.get("wheel_path")}
    for wheel in wheels.glob("*.whl"):
        if wheel.name not in keep:
            wheel.unlink()


# ---------------------------------------------------------------- publish

def _publish(options: RunOptions, out: Path, report: RunReport, say, bars: bool) -> None:
    from migrate import mirror

    started = time.perf_counter()
    good = sorted((r for r in report.records if r.get("wheel") and
                   (r["status"] == manifest.CONVERTED or options.publish_broken)),
                  key=lambda r: r["wheel"]["filename"])
    wheels = [r["wheel_path"] for r in good]
    report.published = len(wheels)
    held = sum(1 for r in report.records if r.get("wheel") and r["status"] != manifest.CONVERTED
               and not options.publish_broken)
    fingerprint = _fingerprint({"wheels": [(r["wheel"]["filename"], r["wheel"]["sha256"]) for r in good],
                                "base_url": options.base_url})
    stamp = out / STATE / "publish.json"
    if _read_json(stamp).get("fingerprint") == fingerprint and _mirror_intact(report.mirror, good):
        report.work["publish"] = 0
        say(f"publish: mirror {report.mirror} unchanged ({len(wheels)} wheels)")
        return
    bar = _bar(None, "publish", len(wheels), "wheel") if bars else None
    try:
        report.publish = mirror.publish(wheels, report.mirror, base_url=options.base_url,
                                        link=True)  # wheels/ is only ever replaced by rename: safe to share inodes
    except (mirror.MirrorError, OSError) as exc:
        report.errors.append(f"publish: {exc}")
        say(f"publish: FAILED {exc}")
        return
    finally:
        if bar is not None:
            bar.update(len(wheels))
            bar.close()
    for p in report.publish.problems:
        if p.severity == "error":
            report.errors.append(f"publish: {p.message}")
    _checkpoint("publish")
    if report.publish.ok:
        _write_json(stamp, {"fingerprint": fingerprint})
    else:
        _remove(stamp)
    report.work["publish"] = len(report.publish.added) + len(report.publish.removed)
    note = f"; {held} wheels with check errors held back (--publish-broken publishes them)" if held else ""
    say(f"publish: {len(wheels)} wheels in {report.mirror} "
        f"({len(report.publish.added)} added, {len(report.publish.removed)} removed){note}{_since(started)}")


def _mirror_intact(mirror_dir: Path, records: list) -> bool:
    """The index is there and so is every wheel it should serve, at its size (cheap: stat only)."""
    if not (mirror_dir / "simple" / "index.html").is_file():
        return False
    packages = mirror_dir / "packages"
    for r in records:
        name, size = r["wheel"]["filename"], r["wheel"]["size"]
        # a changed file with a known name is served from packages/<sha256[:16]>/ (migrate.mirror)
        places = [packages / name, packages / r["wheel"]["sha256"][:16] / name]
        if not any(_size(p) == size for p in places):
            return False
    return True


def _size(path: Path) -> Optional[int]:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _index_url(mirror_dir: Path) -> str:
    return Path(os.path.abspath(mirror_dir), "simple").as_uri() + "/"


# ---------------------------------------------------------------- manifest and report

def _write_manifest(out: Path, report: RunReport) -> None:
    data = manifest.manifest(report.records)
    write_if_changed(out / "manifest.json", json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _write_report(out: Path, report: RunReport) -> None:
    """report.txt: manifest's summary plus what this run adds (pins target, run errors)."""
    text = manifest.render_report(report.records, mirror=str(report.mirror),
                                  requirements=str(report.pins_file) if report.pins_file else None,
                                  index_url=_index_url(report.mirror))
    extra = _run_sections(out, report)
    marker = "Next steps\n"
    if extra and marker in text:
        head, _, tail = text.partition(marker)
        text = head + extra + marker + tail
    elif extra:
        text += "\n" + extra
    write_if_changed(out / "report.txt", text)


def _run_sections(out: Path, report: RunReport) -> str:
    """Deterministic lines only (no times, no work counts): report.txt must not change on a re-run."""
    lines = []
    if report.errors:
        lines.append("Run errors")
        lines += [f"  {e}" for e in report.errors]
        lines.append("")
    if report.pins_file or report.pins_error:
        lines.append("Pins")
        if report.pins_file:
            lines.append(f"  {report.pins_file}: {report.pins_count} projects hash-pinned for {report.target}")
        else:
            lines.append(f"  FAILED (no requirements.txt written): {report.pins_error}")
        if report.other_targets:
            lines.append(f"  The mirror also has binary wheels for Python {', '.join(report.other_targets)}; "
                         "pin for one with:")
            lines.append(f"    egg-migrate run ... -o {out} --target-python {report.other_targets[-1]}")
        lines.append("")
    return "\n".join(lines) + "\n" if lines else ""


# ---------------------------------------------------------------- pins

def default_target(records: list) -> tuple:
    """(python, abi, platforms) most converted wheels are for: what the eggs target."""
    seen = Counter()
    for r in records:
        if r["status"] != manifest.CONVERTED or not r.get("wheel"):
            continue
        for tag in parse_wheel_filename(r["wheel"]["filename"])[3]:
            if tag.interpreter.startswith("cp") and tag.abi != "none":
                seen[(tag.interpreter, tag.abi)] += 1
    if not seen:
        for r in records:
            if r.get("egg_python"):
                seen[(f"cp{r['egg_python'].replace('.', '')}", None)] += 1
    if not seen:
        return "3.11", None, ()
    (interp, abi), _ = seen.most_common(1)[0]
    return f"{interp[2]}.{interp[3:]}", abi, ()


def _pins(options: RunOptions, ini, out: Path, report: RunReport, say, bars: bool) -> None:
    from migrate import pins

    started = time.perf_counter()
    path, stamp = out / "requirements.txt", out / STATE / "pins.json"
    if not report.published:
        _remove(path)
        _remove(stamp)
        say("pin: nothing published, nothing to pin")
        return
    python, abi, platforms = default_target(report.records)
    python = options.target_python or python
    abi = options.target_abi or (abi if not options.target_python else None)
    platforms = options.target_platforms or platforms or ("manylinux_2_17_x86_64",)
    try:
        target = pins.Target.make(python, [abi] if abi else [], platforms)
        report.target = target.describe()
        report.other_targets = _other_pythons(report.records, target)
        roots, notes = _pin_roots(options, ini, out, report, target)
        command = _run_command(options, out)
        fingerprint = _fingerprint({"mirror": _published_fingerprint(options, report.records),
                                    "roots": [str(r) for r in roots], "target": target.describe(),
                                    "command": command, "generator": __version__})
        done = _read_json(stamp)
        if done.get("fingerprint") == fingerprint and path.is_file() and file_sha256(path) == done.get("sha256"):
            report.pins_file = path
            report.pins_count = done.get("pins", 0)
            report.work["pin"] = 0
            say(f"pin: {path} unchanged ({report.pins_count} pins for {target.describe()})")
            return
        bar = _bar(None, "pin", len(roots), "project") if bars else None
        try:
            result = pins.pin(roots, report.mirror, target)
        finally:
            if bar is not None:
                bar.update(len(roots))
                bar.close()
        pins.write_requirements(result, path, command=command)
        _checkpoint("pin")
        _write_json(stamp, {"fingerprint": fingerprint, "sha256": file_sha256(path), "pins": len(result.pins)})
        report.pins_file = path
        report.pins_count = len(result.pins)
        report.work["pin"] = len(result.pins)
        say(f"pin: {len(result.pins)} pins with hashes for {target.describe()} in {path}{_since(started)}")
        for note in notes:
            say(f"pin: {note}")
        for problem in result.problems:
            say(f"pin: {problem.severity}: {problem.message}")
    except (pins.PinError, pins.Unresolvable) as exc:
        report.pins_error = str(exc)
        _remove(path)  # pins of an older mirror would only mislead
        _remove(stamp)
        say(f"pin: FAILED {exc}")


def _published_fingerprint(options: RunOptions, records: list) -> str:
    good = sorted((r["wheel"]["filename"], r["wheel"]["sha256"]) for r in records if r.get("wheel") and
                  (r["status"] == manifest.CONVERTED or options.publish_broken))
    return _fingerprint({"wheels": good, "base_url": options.base_url})


def _other_pythons(records: list, target) -> tuple:
    """Pythons ("3.10", ...) other than the target's that converted binary wheels are for."""
    found = set()
    for r in records:
        if r["status"] != manifest.CONVERTED or not r.get("wheel"):
            continue
        for tag in parse_wheel_filename(r["wheel"]["filename"])[3]:
            if tag.interpreter.startswith("cp") and tag.interpreter[2:].isdigit():
                found.add(f"{tag.interpreter[2]}.{tag.interpreter[3:]}")
    found.discard(target.short)
    return tuple(sorted(found, key=lambda v: tuple(int(x) for x in v.split("."))))


def _run_command(options: RunOptions, out: Path) -> str:
    """The command line that makes these pins (written into requirements.txt)."""
    import shlex

    words = ["egg-migrate", "run"] + ([options.source] if options.source else []) + ["-o", str(out)]
    if options.eggs_ini:
        words += ["--eggs-ini", str(options.eggs_ini)]
    if options.target_python:
        words += ["--target-python", options.target_python]
    if options.target_abi:
        words += ["--target-abi", options.target_abi]
    for platform in options.target_platforms:
        words += ["--target-platform", platform]
    for req in options.pin:
        words += ["--pin", req]
    return " ".join(shlex.quote(w) for w in words)


def _galaxy_pins(ini, out: Path, report: RunReport, say, hashes: bool = False) -> None:
    """Galaxy's own format beside requirements.txt (issue 8)."""
    from migrate import galaxy

    try:
        report.galaxy_pins = galaxy.write_pinned_requirements(ini, report.records, out / galaxy.FILENAME,
                                                              index_url=_index_url(report.mirror), hashes=hashes)
    except OSError as exc:
        problem = f"{out / galaxy.FILENAME}: cannot write ({exc.strerror or exc})"
        report.pins_error = report.pins_error or problem
        say(f"pin: FAILED {problem}")
        return
    result = galaxy.pins_for(ini, report.records)
    say(f"pin: {len(result.pins)} Galaxy-style pins in {report.galaxy_pins}"
        + (f" ({len(result.unpinned)} eggs.ini eggs listed as comments: no_auto or no wheel)"
           if result.unpinned else ""))


def _pin_roots(options: RunOptions, ini, out: Path, report: RunReport, target) -> tuple:
    from migrate import pins

    if options.pin:
        return list(options.pin), []
    if ini is not None:
        roots, notes = pins.read_eggs_ini(ini.path, out / "manifest.json")
        return _published_roots(roots, notes, report)
    accepted = {str(t) for t in target.tags()}
    names = []
    for r in report.records:
        if r["status"] != manifest.CONVERTED or not r.get("wheel"):
            continue
        tags = {str(t) for t in parse_wheel_filename(r["wheel"]["filename"])[3]}
        if tags & accepted:
            names.append(canonicalize_name(r["project"]))
    return sorted(set(names)), []


def _published_roots(roots: list, notes: list, report: RunReport) -> tuple:
    """eggs.ini roots whose egg failed or was skipped are left out (noted): one egg never sinks the pins."""
    published = {canonicalize_name(r["project"]) for r in report.records
                 if r.get("wheel") and r.get("project") and r["status"] == manifest.CONVERTED}
    kept, notes = [], list(notes)
    for root in roots:
        name = canonicalize_name(root.requirement.name)
        if name in published:
            kept.append(root)
        else:
            notes.append(f"{root.requirement.name}: not pinned, its egg has no good wheel (see the report)")
    return kept, notes


# ---------------------------------------------------------------- small I/O helpers

def _fingerprint(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _read_json(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def _write_json(path: Path, data) -> None:
    write_atomic(path, json.dumps(data, indent=2) + "\n")  # key order kept: records are manifest rows


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


# ---------------------------------------------------------------- one run per OUT, and its leftovers

class _RunLock:
    """A lock on OUT/.state/lock: one run per OUT; the kernel releases it when the run dies.

    A POSIX record lock (``lockf``), not ``flock``: forked pool workers inherit an
    flock, so workers orphaned by a kill -9 would keep OUT locked; record locks
    belong to the process alone.
    """

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        import fcntl

        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(self.fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise Busy(f"{self.path.parent.parent}: another egg-migrate run is using this folder") from None
            raise
        return self

    def __exit__(self, *exc):
        os.close(self.fd)


# What the writers of each part of OUT name their temp files (all renamed into place when whole):
#   .NAME.XXXXXXXX.tmp      convert, manifest, report, pins, this module's state (mkstemp)
#   .NAME.tmp-PID[-TID]     fetch (eggs/: copies, fetch manifest), this module (staging, wheels/ links)
#   NAME.tmp-PID            fetch's state journal
#   .NAME.old-PID-TID       fetch, a folder egg being replaced
# mirror/.egg-migrate/ is left alone: a publish finds and clears what a killed one left there.
# ``.part`` files are not temp files: fetch resumes an HTTP download from them.
_TEMP = re.compile(r"(^\..+\.[A-Za-z0-9_]{6,}\.tmp$)|(\.tmp-\d+(-\d+)?$)|(^\..+\.old-\d+-\d+$)")


def sweep_temp_files(out: Path) -> int:
    """Remove the temp files and folders killed runs left under OUT; how many.

    Only called while holding the run lock, so no live writer owns them.
    """
    removed = 0
    own_state = os.path.join(str(out), "mirror", ".egg-migrate")  # migrate.mirror recovers its own
    for dirpath, dirnames, filenames in os.walk(out):
        if dirpath == own_state:
            dirnames[:] = []
            continue
        for name in list(dirnames):
            if _TEMP.search(name):
                path = os.path.join(dirpath, name)
                if os.path.islink(path):
                    os.unlink(path)
                else:
                    shutil.rmtree(path, ignore_errors=True)
                dirnames.remove(name)
                removed += 1
        for name in filenames:
            if _TEMP.search(name):
                try:
                    os.unlink(os.path.join(dirpath, name))
                    removed += 1
                except FileNotFoundError:
                    pass
    return removed
