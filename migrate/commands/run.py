"""``egg-migrate run [SOURCE] -o OUT``: the whole migration in one resumable command."""
from __future__ import annotations

import re
import sys
from pathlib import Path

from migrate.commands.common import add_join_option, add_tag_options, default_jobs, tag_options
from migrate.commands.progress import stage_bars
from migrate.errors import MigrateError

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
stage. The report (OUT/report.txt) goes to stdout.

Exit status: 0 every egg converted, published and pinned; 1 something failed (each
failure is named on stderr and in the report, the rest of the run goes on), or
another run is using OUT; 2 usage errors."""


def register(sub) -> None:
    import argparse

    p = sub.add_parser("run", help="the whole migration in one resumable command",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", nargs="?", metavar="SOURCE",
                   help="URL (Galaxy repository, simple index, find-links page) or folder; "
                   "default: eggs.ini's repository, else the bundled sample")
    p.add_argument("-o", "--out", required=True, metavar="OUT_DIR")
    p.add_argument("-j", "--jobs", type=int, default=default_jobs(), metavar="N",
                   help="parallel conversions (default: %(default)s)")
    p.add_argument("--eggs-ini", metavar="FILE", help="Galaxy eggs.ini: fetch exactly the eggs it pins")
    p.add_argument("--python", metavar="X.Y", help="keep only eggs for this Python (e.g. 2.7)")
    p.add_argument("--platform", action="append", default=[], metavar="PLATFORM",
                   help="egg platform to fetch, e.g. linux-x86_64-ucs4 (repeatable)")
    p.add_argument("--project", action="append", default=[], metavar="NAME", help="only these projects (repeatable)")
    p.add_argument("--pin", action="append", default=[], metavar="REQ",
                   help="requirement to pin (repeatable; default: the eggs.ini pins, else every converted project)")
    p.add_argument("--target-python", metavar="X.Y", help="pin for this Python (default: what most eggs target)")
    p.add_argument("--target-abi", metavar="ABI", help="pin for this ABI, e.g. cp27mu")
    p.add_argument("--target-platform", action="append", default=[], metavar="TAG",
                   help="pin for this platform, e.g. manylinux_2_17_x86_64 (default)")
    p.add_argument("--hashes", action="store_true",
                   help="with --eggs-ini: pinned-requirements.txt gets --hash=sha256 lines too")
    p.add_argument("--publish-broken", action="store_true", help="publish wheels that failed their checks too")
    add_join_option(p)
    p.add_argument("--base-url", metavar="URL", help="absolute URL the mirror will be served from")
    add_tag_options(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    from migrate.galaxy import eggsini
    from migrate.run import RunOptions
    from migrate.run import run as run_pipeline
    from migrate.wheels import ConvertOptions

    if args.jobs < 1:
        return _usage("-j must be at least 1")
    if args.eggs_ini and not Path(args.eggs_ini).is_file():
        return _usage(f"--eggs-ini {args.eggs_ini}: no such file")
    for option, value in (("--python", args.python), ("--target-python", args.target_python)):
        if value is not None and not re.fullmatch(r"\d+\.\d+(\.\d+)?", value):
            return _usage(f"{option} {value!r}: expected X.Y or X.Y.Z, like 2.7")
    options = RunOptions(
        out=Path(args.out), source=args.source, jobs=args.jobs,
        eggs_ini=Path(args.eggs_ini) if args.eggs_ini else None, python=args.python,
        platforms=tuple(args.platform), projects=tuple(args.project),
        convert=ConvertOptions(tags=tag_options(args)), pin=tuple(args.pin),
        target_python=args.target_python, target_abi=args.target_abi,
        target_platforms=tuple(args.target_platform), publish_broken=args.publish_broken,
        join_py2_py3=args.join_py2_py3,
        hashes=args.hashes,
        base_url=args.base_url,
    )
    try:
        report = run_pipeline(options, say=lambda line: print(line, file=sys.stderr), bars=stage_bars())
    except eggsini.InvalidTarget as exc:  # a bad --python / --platform
        return _usage(str(exc))
    except MigrateError as exc:  # another run, a bad eggs.ini, no source: anything else is a bug
        print(f"egg-migrate run: {exc}", file=sys.stderr)
        return 1
    if not report.finished:  # the source could not be read (said on stderr); OUT is as it was
        print(f"egg-migrate run: stopped; nothing in {report.out} was changed", file=sys.stderr)
        return 1
    sys.stdout.write((report.out / "report.txt").read_text("utf-8"))
    sys.stdout.flush()
    print(_last_line(report), file=sys.stderr)
    return 0 if report.ok else 1


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
