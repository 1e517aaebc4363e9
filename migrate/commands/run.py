"""``egg-migrate run [SOURCE] -o OUT``: the whole migration in one resumable command."""
from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Any, Optional

from migrate.commands.common import (
    REPAIR_HELP,
    UsageError,
    add_join_option,
    add_network_options,
    add_tag_options,
    add_target_options,
    add_upload_options,
    default_jobs,
    detail,
    info,
    jobs_count,
    network_options,
    print_json,
    quiet,
    source_option,
    tag_options,
    target_problem,
    upload_wheels,
    url_option,
    verbose,
)
from migrate.commands.progress import stage_bars
from migrate.errors import MigrateError, printable

DESCRIPTION = """\
fetch -> convert -> check -> publish -> manifest/report -> pins, into OUT:

  OUT/eggs/            fetched eggs (kept; re-runs skip verified ones)
  OUT/wheels/          converted wheels
  OUT/mirror/simple/   PEP 503 index (+ PEP 691 JSON, PEP 658 .metadata files)
  OUT/manifest.json    every egg: source, sha256, wheel, tags + reasons, requires, checks
  OUT/requirements.txt hash-pinned, for the target (default: what most eggs target)
  OUT/report.txt       the human summary: counts, failures with reasons, next steps

Without SOURCE the sample repository bundled in data/ is used. Re-running redoes
only unfinished or changed work; a killed run can simply be run again: it ends in
the same bytes. OUT/.state/ records what each stage finished (delete it to redo
everything). One run at a time per OUT. See docs/run.rst.

Progress: one bar per stage on stderr when it is a terminal, then one line per
stage. The report (OUT/report.txt) goes to stdout; with --json the run summary
does instead, and with -q neither the stage lines nor the report (only failures
and the final line). --dry-run reads the listings and says what would be fetched,
converted, published and pinned, and writes nothing.

Exit status: 0 every egg converted, published and pinned; 1 something failed (each
failure is named on stderr and in the report, the rest of the run goes on), or
another run is using OUT; 2 usage errors."""


def register(sub) -> None:
    import argparse

    p = sub.add_parser("run", help="the whole migration in one resumable command",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", nargs="?", type=source_option, metavar="SOURCE",
                   help="URL (Galaxy repository, simple index, find-links page) or folder; "
                   "default: eggs.ini's repository, else the bundled sample")
    p.add_argument("-o", "--out", required=True, metavar="OUT_DIR", help="the output folder (created when missing)")
    p.add_argument("-j", "--jobs", type=jobs_count, default=default_jobs(), metavar="N",
                   help="parallel conversions (default: %(default)s)")
    p.add_argument("--eggs-ini", metavar="FILE", help="Galaxy eggs.ini: fetch exactly the eggs it pins")
    p.add_argument("--python", metavar="X.Y", help="keep only eggs for this Python (e.g. 2.7)")
    p.add_argument("--platform", action="append", default=[], metavar="PLATFORM",
                   help="egg platform to fetch, e.g. linux-x86_64-ucs4 (repeatable)")
    p.add_argument("--project", action="append", default=[], metavar="NAME", help="only these projects (repeatable)")
    p.add_argument("--pin", action="append", default=[], metavar="REQ",
                   help="requirement to pin (repeatable; default: the eggs.ini pins, else every converted project)")
    add_target_options(p, "default: what most eggs target")
    p.add_argument("--pre", action="store_true",
                   help="pins may pick pre-releases (as pip --pre; default: only when a --pin names one)")
    p.add_argument("--hashes", action="store_true",
                   help="with --eggs-ini: pinned-requirements.txt gets --hash=sha256 lines too")
    p.add_argument("--publish-broken", action="store_true", help="publish wheels that failed their checks too")
    add_join_option(p)
    p.add_argument("--base-url", type=url_option, metavar="URL", help="absolute URL the mirror will be served from")
    p.add_argument("--allow-shrink", action="store_true",
                   help="let the publish remove half of the mirror or more (refused without it: a source "
                   "that suddenly lists far fewer eggs must not empty the mirror)")
    add_tag_options(p)
    add_network_options(p)
    add_upload_options(p)
    p.add_argument("--repair", action="store_true", help=REPAIR_HELP)
    p.add_argument("--dry-run", action="store_true",
                   help="read the listings and say what would be fetched, converted, published and pinned; "
                   "write nothing")
    p.add_argument("--json", action="store_true", help="the run summary as JSON on stdout (instead of the report)")
    p.set_defaults(handler=run, parser=p)


def run(args) -> int:
    from migrate.galaxy import eggsini
    from migrate.run import dry_run
    from migrate.run import run as run_pipeline

    options = _checked_options(args)
    if isinstance(options, int):
        return options
    try:
        if args.upload and not args.dry_run:
            _check_upload(args.upload)  # before the run: twine is there and the index is named right
        if args.dry_run:
            return _say_dry_run(dry_run(options, args.upload), args.json)
        report = run_pipeline(options, say=_sayer(), bars=stage_bars())
    except eggsini.InvalidTarget as exc:  # a bad --python / --platform
        return _usage(f"--{exc.part}: {exc}")
    except MigrateError as exc:  # another run, a bad eggs.ini, no source: anything else is a bug
        print(f"egg-migrate run: {exc}", file=sys.stderr)
        return 1
    if not report.finished:  # the source could not be read (said on stderr); OUT is as it was
        return _stopped(report, args.json)
    uploaded = _upload(args, options, report) if args.upload else None
    if args.json:
        print_json(summary(report, uploaded))
    elif not quiet():
        _print_report(report.out / "report.txt")
    _each_egg(report)
    print(_last_line(report), file=sys.stderr)
    return 0 if report.ok and (uploaded is None or all(r.ok for r in uploaded)) else 1


def _print_report(path: Path) -> None:
    """report.txt on stdout, in blocks: a big run's is megabytes."""
    with open(path, encoding="utf-8") as text:
        shutil.copyfileobj(text, sys.stdout)
    sys.stdout.flush()


def _each_egg(report) -> None:
    """-v: what became of each egg (a walk of every record, read from disk: only when asked)."""
    if verbose():
        for r in report.records:
            detail(f"  {r.status:<9} {Path(r.egg).name}" + (f" -> {r.wheel.filename}" if r.wheel else f": {r.reason}"))


def _stopped(report, as_json: bool) -> int:
    """The source could not be read: say so (and give the summary to --json readers too); exit 1."""
    if as_json:
        print_json(summary(report))
    print(f"egg-migrate run: stopped; nothing in {report.out} was changed", file=sys.stderr)
    return 1


def _checked_options(args) -> Any:
    """The RunOptions of ``args``, or the usage error's exit status (said on stderr)."""
    problem = _bad_option(args)
    if problem:
        return _usage(problem)
    try:
        source, net = network_options(args)
    except UsageError as exc:
        return _usage(str(exc))
    return _options(args, source, net)


def _bad_option(args) -> Optional[str]:
    """What is wrong with the options, checked before anything is read or written."""
    from migrate import pins

    if args.eggs_ini and not Path(args.eggs_ini).is_file():
        return f"--eggs-ini {args.eggs_ini}: no such file"
    for option, value in (("--python", args.python), ("--target-python", args.target_python)):
        if value is not None and not re.fullmatch(r"\d+\.\d+(\.\d+)?", value):
            return f"{option} {value!r}: expected X.Y or X.Y.Z, like 2.7"
    if len(args.target_abi) > 1:
        return "--target-abi: run pins for one ABI; give it once"
    try:
        pins.Target.make(args.target_python or "2.7", args.target_abi, args.target_platform)
    except pins.BadTarget as exc:
        return target_problem(exc)
    return None


def _options(args, source, net):
    from migrate.fetch import FetchOptions
    from migrate.run import RunOptions
    from migrate.wheels import ConvertOptions

    return RunOptions(
        out=Path(args.out), source=source, jobs=args.jobs, fetch_options=FetchOptions(net=net),
        eggs_ini=Path(args.eggs_ini) if args.eggs_ini else None, python=args.python,
        platforms=tuple(args.platform), projects=tuple(args.project),
        convert=ConvertOptions(tags=tag_options(args)), pin=tuple(args.pin),
        target_python=args.target_python, target_abi=args.target_abi[0] if args.target_abi else None,
        target_platforms=tuple(args.target_platform), pre=args.pre, publish_broken=args.publish_broken,
        allow_shrink=args.allow_shrink,
        join_py2_py3=args.join_py2_py3,
        hashes=args.hashes,
        base_url=args.base_url,
        repair=args.repair,
    )


def _sayer():
    """The stage lines on stderr; under -q only the failures among them."""
    def say(line: str) -> None:
        if not quiet() or "FAILED" in line:
            print(printable(line), file=sys.stderr)
    return say


def _say_dry_run(plan, as_json: bool) -> int:
    """The plan on stderr (or as JSON on stdout); exit 1 when a listing could not be read."""
    if as_json:
        print_json(plan.as_dict())
    else:
        for line in plan.lines():
            info(line)
    print(f"egg-migrate run: dry run: {len(plan.fetch)} to fetch, {len(plan.convert)} to convert; "
          f"nothing written", file=sys.stderr)
    return 1 if plan.errors else 0


def _check_upload(target: str) -> None:
    """Raises ``UploadError`` (a ``MigrateError``) when twine is missing or the URL is not one."""
    from migrate import mirror

    try:
        mirror.check_twine()
        mirror.split_credentials(target)
    except mirror.UploadError as exc:
        raise mirror.UploadError(f"--upload: {exc}") from None


def _upload(args, options, report) -> list:
    """--upload: the published wheels, uploaded as ``publish --upload`` does (a failure to start: one line)."""
    from migrate.mirror import UploadError, UploadResult
    from migrate.run import published

    wheels = [w.path for w in published(options, report.records)]
    try:
        return upload_wheels(wheels, args)
    except UploadError as exc:
        print(f"egg-migrate run: --upload: {exc}", file=sys.stderr)
        return [UploadResult("", "failed", str(exc))]


def summary(report, uploaded=None) -> dict[str, Any]:
    """The run summary for --json: counts, what was redone, where the outputs are, what failed."""
    out = report.out
    return {
        "out": str(out), "ok": report.ok, "finished": report.finished, "counts": report.counts,
        "work": report.work, "seconds": {k: round(v, 3) for k, v in report.seconds.items()},
        "published": report.published, "mirror": str(report.mirror),
        "manifest": str(out / "manifest.json"), "report": str(out / "report.txt"),
        "requirements": str(report.pins_file) if report.pins_file else None, "pins": report.pins_count,
        "target": report.target, "pins_error": report.pins_error, "errors": list(report.errors),
        "failed": [{"egg": r.egg, "reason": r.reason} for r in report.records if r.status == "failed"],
        "upload": None if uploaded is None else [r.as_dict() for r in uploaded],
    }


def _last_line(report) -> str:
    """One line under the report: the verdict, what was redone, and where the report is."""
    c = report.counts
    total = sum(report.seconds.values())
    work = ", ".join(f"{stage} {n}" for stage, n in report.work.items() if n) or "nothing (all unchanged)"
    verdict = "done" if report.ok else "done, with failures"
    return (f"egg-migrate run: {verdict}: {c['converted']} converted, {c['failed']} failed, {c['skipped']} skipped "
            f"in {total:.1f} s; redone: {work}; report: {report.out / 'report.txt'}")


def _usage(message: str) -> int:
    print(f"egg-migrate run: error: {message}", file=sys.stderr)
    return 2
