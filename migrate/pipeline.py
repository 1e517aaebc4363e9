"""``egg-migrate run``: fetch -> convert + check -> publish -> manifest/report -> pins.

Every stage records what it finished under ``OUT/.state/``, keyed by what it
was given (an egg's sha256 and the options; the set of wheels; the mirror and
the requirements). A re-run redoes only what is missing or changed; a run
killed at any point leaves finished outputs whole (every file is written to a
temp name, fsynced and renamed) and the next run ends in the same bytes.
One egg's failure never stops the run: it becomes a manifest record with its
reason, and the exit status is 1.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Optional

from packaging.utils import canonicalize_name, parse_wheel_filename

from migrate import __version__, manifest
from migrate.check import check_wheel
from migrate.convert import ConvertOptions, convert_egg
from migrate.parallel import parallel_map, progress

STATE = ".state"
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
    fetch_options: Optional[object] = None  # fetch.FetchOptions


@dataclass
class RunReport:
    out: Path
    records: list = field(default_factory=list)
    fetch_errors: list = field(default_factory=list)  # one-line source-level errors
    publish: Optional[object] = None  # mirror.PublishReport, None when skipped (unchanged)
    published: int = 0
    pins_file: Optional[Path] = None
    pins_error: Optional[str] = None
    galaxy_pins: Optional[Path] = None
    work: dict = field(default_factory=dict)  # stage -> how many items were (re)done

    @property
    def counts(self) -> dict:
        return manifest.counts(self.records)

    @property
    def ok(self) -> bool:
        return not self.fetch_errors and not self.pins_error and self.counts[manifest.FAILED] == 0

    @property
    def mirror(self) -> Path:
        return self.out / "mirror"


def run(options: RunOptions, say: Callable[[str], None] = lambda line: None) -> RunReport:
    """The whole migration; ``say`` receives one line per stage for people."""
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    report = RunReport(out)
    ini = _eggs_ini(options)
    fetched = _fetch(options, ini, out, report, say)
    _convert_and_check(options, ini, fetched, out, report, say)
    _publish(options, out, report, say)
    _write_manifest(out, report)
    _pins(options, ini, out, report, say)
    if ini is not None:
        _galaxy_pins(ini, out, report, say)
    manifest.write_report(report.records, out / "report.txt", mirror=str(report.mirror),
                          requirements=str(report.pins_file) if report.pins_file else None,
                          index_url=_index_url(report.mirror))
    return report


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


def _fetch(options: RunOptions, ini, out: Path, report: RunReport, say) -> list:
    """[(download.Result, manifest.Source)] of the eggs to convert; other rows become records."""
    from migrate.fetch import FetchOptions, SourceError, fetch
    from migrate.selection import Selection

    selection = Selection.make(ini, options.python, options.platforms, options.projects)
    source = source_for(options, ini)
    try:
        result = fetch(source, out / "eggs", selection, jobs=max(options.jobs, 4),
                       options=options.fetch_options or FetchOptions())
    except SourceError as exc:
        report.fetch_errors.append(str(exc))
        say(f"fetch: FAILED {exc}")
        return []
    report.fetch_errors += list(result.errors)
    ready = []
    for r in result.results:
        src = manifest.Source(str(r.path) if r.path else r.filename, r.url, r.sha256, r.size)
        if r.status in ("downloaded", "already-verified"):
            ready.append((r, src))
        elif r.status == "skipped":
            report.records.append(manifest.skipped_record(r.filename, r.reason, src))
        else:
            report.records.append(manifest.failed_record(r.filename, f"{r.status}: {r.reason}", src))
    counts = result.counts()
    report.work["fetch"] = counts.get("downloaded", 0)
    say(f"fetch: {len(ready)} eggs ready in {out / 'eggs'} ({counts.get('downloaded', 0)} downloaded, "
        f"{counts.get('already-verified', 0)} already verified, {counts.get('missing', 0)} missing, "
        f"{counts.get('failed', 0)} failed)")
    return ready


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
    """Convert and check one egg (in a worker process); returns its manifest record."""
    result = convert_egg(job.egg, job.wheels, job.options)
    checks = check_wheel(result.wheel, source_egg=job.egg) if result.ok else None
    return manifest.egg_record(result, job.source, checks)


def _convert_and_check(options: RunOptions, ini, fetched: list, out: Path, report: RunReport, say) -> None:
    wheels = out / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    cache = out / STATE / "convert"
    cache.mkdir(parents=True, exist_ok=True)
    for leftover in wheels.glob(".*.tmp"):  # a run killed while writing a wheel
        leftover.unlink()
    jobs, keys, records = [], {}, {}
    for r, src in fetched:
        conv = _convert_options(options, ini, r)
        key = f"{src.sha256}-{_options_key(conv)}"
        cached = _cached_record(cache / f"{key}.json", src)
        if cached is not None:
            records[src.path] = cached
            continue
        job = _Job(str(r.path), src, str(wheels), conv)
        jobs.append(job)
        keys[job.egg] = key
    for record in progress(parallel_map(_convert_one, jobs, options.jobs), "convert", total=len(jobs)):
        records[record["source"]["path"]] = record
        _write_json(cache / f"{keys[record['egg']]}.json", record)
    report.work["convert"] = len(jobs)
    current = [records[src.path] for _, src in fetched]
    _remove_stale_wheels(wheels, current)
    report.records += current
    done = sum(1 for r in current if r["status"] == manifest.CONVERTED)
    say(f"convert + check: {done} of {len(current)} eggs became good wheels in {wheels} "
        f"({len(jobs)} converted now, {len(current) - len(jobs)} unchanged since the last run)")


def _convert_options(options: RunOptions, ini, result) -> ConvertOptions:
    """eggs.ini ``[dependencies]`` become Requires-Dist of that egg's wheel (when it lacks them)."""
    if ini is None or not result.project:
        return options.convert
    deps = ini.dependencies.get(result.project) or ()
    if not deps:
        return options.convert
    return replace(options.convert, extra_requires=tuple(deps),
                   extra_requires_source=f"{Path(ini.path).name} [dependencies] {result.project}")


def _cached_record(path: Path, src) -> Optional[dict]:
    """A finished record whose wheel is still there, unchanged."""
    try:
        record = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    wheel = record.get("wheel")
    if wheel:
        try:
            if _sha256(Path(record["wheel_path"])) != wheel["sha256"]:
                return None
        except OSError:
            return None
    record["source"]["url"] = src.url  # the same egg may come from another URL this time
    return record


def _remove_stale_wheels(wheels: Path, records: list) -> None:
    """Wheels of eggs no longer in the run (or converted differently) are removed."""
    keep = {Path(r["wheel_path"]).name for r in records if r.get("wheel_path")}
    for wheel in wheels.glob("*.whl"):
        if wheel.name not in keep:
            wheel.unlink()


# ---------------------------------------------------------------- publish

def _publish(options: RunOptions, out: Path, report: RunReport, say) -> None:
    from migrate import mirror

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
    if _read_json(stamp).get("fingerprint") == fingerprint and (report.mirror / "simple" / "index.html").is_file():
        report.work["publish"] = 0
        say(f"publish: mirror {report.mirror} unchanged ({len(wheels)} wheels)")
        return
    report.publish = mirror.publish(wheels, report.mirror, base_url=options.base_url)
    for p in report.publish.problems:
        if p.severity == "error":
            report.fetch_errors.append(f"publish: {p.message}")
    if report.publish.ok:
        _write_json(stamp, {"fingerprint": fingerprint})
    report.work["publish"] = len(report.publish.added) + len(report.publish.removed)
    note = f"; {held} wheels with check errors held back (--publish-broken publishes them)" if held else ""
    say(f"publish: {len(wheels)} wheels in {report.mirror} "
        f"({len(report.publish.added)} added, {len(report.publish.removed)} removed){note}")


def _index_url(mirror_dir: Path) -> str:
    return Path(os.path.abspath(mirror_dir), "simple").as_uri() + "/"


# ---------------------------------------------------------------- manifest

def _write_manifest(out: Path, report: RunReport) -> None:
    data = manifest.manifest(report.records)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    target = out / "manifest.json"
    if not target.is_file() or target.read_text("utf-8") != text:
        manifest.write_manifest(report.records, target)


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


def _pins(options: RunOptions, ini, out: Path, report: RunReport, say) -> None:
    from migrate import pins

    if not report.published:
        say("pin: nothing published, nothing to pin")
        return
    python, abi, platforms = default_target(report.records)
    python = options.target_python or python
    abi = options.target_abi or (abi if not options.target_python else None)
    platforms = options.target_platforms or platforms or ("manylinux_2_17_x86_64",)
    try:
        target = pins.Target.make(python, [abi] if abi else [], platforms)
        roots, notes = _pin_roots(options, ini, out, report, target)
        published = _read_json(out / STATE / "publish.json").get("fingerprint")
        fingerprint = _fingerprint({"mirror": published, "roots": [str(r) for r in roots],
                                    "target": target.describe()})
        path = out / "requirements.txt"
        stamp = out / STATE / "pins.json"
        if _read_json(stamp).get("fingerprint") == fingerprint and path.is_file():
            report.pins_file = path
            report.work["pin"] = 0
            say(f"pin: {path} unchanged")
            return
        result = pins.pin(roots, report.mirror, target)
        pins.write_requirements(result, path, command=f"egg-migrate run -o {out}")
        report.pins_file = path
        _write_json(stamp, {"fingerprint": fingerprint})
        report.work["pin"] = len(result.pins)
        say(f"pin: {len(result.pins)} pins with hashes for {target.describe()} in {path}")
        for note in notes:
            say(f"pin: {note}")
    except (pins.PinError, pins.Unresolvable) as exc:
        report.pins_error = str(exc)
        say(f"pin: FAILED {exc}")


def _galaxy_pins(ini, out: Path, report: RunReport, say) -> None:
    """Galaxy's own format beside requirements.txt (issue 8)."""
    from migrate import galaxy

    try:
        report.galaxy_pins = galaxy.write_pinned_requirements(ini, report.records, out / galaxy.FILENAME,
                                                              index_url=_index_url(report.mirror))
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
        return pins.read_eggs_ini(ini.path, out / "manifest.json")
    accepted = {str(t) for t in target.tags()}
    names = []
    for r in report.records:
        if r["status"] != manifest.CONVERTED or not r.get("wheel"):
            continue
        tags = {str(t) for t in parse_wheel_filename(r["wheel"]["filename"])[3]}
        if tags & accepted:
            names.append(canonicalize_name(r["project"]))
    return sorted(set(names)), []


# ---------------------------------------------------------------- small I/O helpers

def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fp:
        for chunk in iter(lambda: fp.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fingerprint(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _read_json(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def _write_json(path: Path, data) -> None:
    manifest._write_atomic(path, json.dumps(data, indent=2) + "\n")  # key order kept: records are manifest rows
