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

The convert stage's per-egg store is :mod:`migrate.wheelstore`; the lock, the
temp-file sweep and the kill-point test hook are in :mod:`migrate.runstate`.
"""
from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Optional

from packaging.utils import canonicalize_name, parse_wheel_filename

from migrate import __version__
from migrate.fsutil import file_sha256, write_if_changed
from migrate.parallel import parallel_map
from migrate.run import manifest, runstate, wheelstore
from migrate.run.runstate import KILL_ENV, Busy, RunLock, checkpoint, read_json, remove, sweep_temp_files, write_json
from migrate.wheels.convert import ConvertOptions

__all__ = ["run", "RunOptions", "RunReport", "Busy", "KILL_ENV", "SAMPLE", "SAMPLE_EGGS_INI", "default_target"]

STATE = ".state"
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-repo"
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
    with RunLock(out / STATE / "lock"):
        swept = sweep_temp_files(out)
        if swept:
            say(f"resume: removed {swept} temp file{'s' if swept != 1 else ''} a killed run left in {out}")
        report = RunReport(out)
        with _timed(report, "fetch"):
            fetched = _fetch(options, ini, out, report, say, bars)
        if fetched is None:  # the source could not be read: keep every output of the last run as it is
            return report
        checkpoint("fetch")
        with _timed(report, "convert"):
            _convert_and_check(options, ini, fetched, out, report, say, bars)
        with _timed(report, "publish"):
            _publish(options, out, report, say, bars)
        with _timed(report, "manifest"):
            _write_manifest(out, report)
        checkpoint("manifest")
        with _timed(report, "pin"):
            _pins(options, ini, out, report, say, bars)
        if ini is not None:
            _galaxy_pins(ini, out, report, say, options.hashes)
        _write_report(out, report)
        report.finished = True
        checkpoint("report")
    return report


@contextmanager
def _timed(report: RunReport, stage: str):
    """Adds the stage's wall-clock seconds to ``report.seconds``."""
    started = time.perf_counter()
    try:
        yield
    finally:
        report.seconds[stage] = report.seconds.get(stage, 0.0) + time.perf_counter() - started


# ---------------------------------------------------------------- fetch

def _eggs_ini(options: RunOptions):
    if options.eggs_ini is None:
        return None
    from migrate.galaxy import eggsini

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
    from migrate.fetch.fetch import FetchOptions, SourceError, fetch
    from migrate.fetch.selection import Selection

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
        src = manifest.Source(str(r.path) if r.path else r.filename, r.url, r.sha256, r.size, r.selected or None)
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
        key = key_of[src.path] = f"{src.sha256}-{wheelstore.options_key(conv)}"
        cached = wheelstore.cached_record(cache, key, src, wheels)
        if cached is not None:
            records[src.path] = cached
            continue
        staging = cache / f".{key}.tmp-{os.getpid()}"  # made by the worker; swept if a kill leaves it
        job = wheelstore.Job(str(r.path), src, str(staging), conv)
        jobs.append(job)
        keys[job.egg] = key
    done_now = 0
    results = parallel_map(wheelstore.convert_one, jobs, options.jobs)
    if bars:
        results = _bar(results, "convert", len(jobs), "egg")
    for record in results:
        key = keys[record["egg"]]
        record = wheelstore.keep(record, cache, key, wheels)
        records[record["source"]["path"]] = record
        if wheelstore.cacheable(record):
            write_json(cache / f"{key}.json", wheelstore.portable(record, out))
        done_now += 1
        checkpoint("convert", done_now)
    report.work["convert"] = len(jobs)
    current = wheelstore.pick([records[src.path] for _, src in fetched])
    wheelstore.link_wheels(current, cache, key_of)
    wheelstore.remove_stale_wheels(wheels, current)
    wheelstore.remove_unused(cache, set(key_of.values()))
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
    fingerprint = runstate.fingerprint({"wheels": [(r["wheel"]["filename"], r["wheel"]["sha256"]) for r in good],
                                "base_url": options.base_url})
    stamp = out / STATE / "publish.json"
    if read_json(stamp).get("fingerprint") == fingerprint and _mirror_intact(report.mirror, good):
        report.work["publish"] = 0
        say(f"publish: mirror {report.mirror} unchanged ({len(wheels)} wheels)")
        return
    bar = _bar(None, "publish", len(wheels), "wheel") if bars else None
    try:
        report.publish = mirror.publish(wheels, report.mirror, base_url=options.base_url, jobs=options.jobs,
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
    checkpoint("publish")
    if report.publish.ok:
        write_json(stamp, {"fingerprint": fingerprint})
    else:
        remove(stamp)
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
        remove(path)
        remove(stamp)
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
        fingerprint = runstate.fingerprint({"mirror": _published_fingerprint(options, report.records),
                                    "roots": [str(r) for r in roots], "target": target.describe(),
                                    "command": command, "generator": __version__})
        done = read_json(stamp)
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
        checkpoint("pin")
        write_json(stamp, {"fingerprint": fingerprint, "sha256": file_sha256(path), "pins": len(result.pins)})
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
        remove(path)  # pins of an older mirror would only mislead
        remove(stamp)
        say(f"pin: FAILED {exc}")


def _published_fingerprint(options: RunOptions, records: list) -> str:
    good = sorted((r["wheel"]["filename"], r["wheel"]["sha256"]) for r in records if r.get("wheel") and
                  (r["status"] == manifest.CONVERTED or options.publish_broken))
    return runstate.fingerprint({"wheels": good, "base_url": options.base_url})


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
    from migrate.galaxy import galaxy

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


