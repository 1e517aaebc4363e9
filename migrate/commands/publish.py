"""``egg-migrate publish WHEEL_DIR... -o MIRROR_DIR [--base-url URL] [--upload URL]``."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Optional

from migrate.commands.common import (
    add_upload_options,
    default_jobs,
    detail,
    info,
    jobs_count,
    print_json,
    upload_wheels,
    url_option,
)

if TYPE_CHECKING:
    from migrate.mirror import PublishReport


_SWITCHES = (
    ("--add", "add the wheels to what the mirror serves instead of syncing to them: nothing is removed, "
     "and a wheel whose name the mirror serves with other bytes is refused"),
    ("--allow-shrink", "let a sync remove half of the mirror or more (refused without it: a mistyped folder "
     "or a failed build must not empty a mirror)"),
    ("--dry-run", "print what would be added and removed (one line each, on stdout); write nothing"),
    ("--link", "hard-link the wheels into the mirror instead of copying them (faster; only when the wheel "
     "folder's files are never rewritten in place, as egg-migrate convert does)"),
    ("--no-sync", "skip the file-system flush before the swap (faster; not safe against power loss)"),
    ("--json", "a machine-readable summary on stdout"),
)


def register(sub) -> None:
    p = sub.add_parser(
        "publish", help="publish wheels as a static PEP 503 mirror (and/or upload them)",
        description="Make MIRROR_DIR a static index of exactly the wheels given: simple/ pages with "
        "#sha256 links, PEP 658 .metadata files, PEP 691 index.json, wheels under packages/, and "
        "<distro>/simple/ for distro-tagged builds. Built beside the live index and swapped in with "
        "one rename; re-publishing reads only new or changed wheels. A sync that would remove half of "
        "the mirror or more is refused without --allow-shrink; --add merges instead. Only files publish "
        "made are ever removed. Serve it with any web server or use it as file://MIRROR_DIR/simple/ "
        "(see docs/mirror.rst).")
    p.add_argument("wheels", nargs="+", metavar="WHEEL_DIR", help="folders of wheels (not searched below) or .whl files")
    p.add_argument("-o", "--output", metavar="MIRROR_DIR", help="the mirror folder (created when missing)")
    p.add_argument("--base-url", type=url_option, metavar="URL",
                   help="absolute URL the mirror root will be served from; links are relative without it")
    add_upload_options(p)
    for flag, text in _SWITCHES:
        p.add_argument(flag, action="store_true", help=text)
    p.add_argument("-j", "--jobs", type=jobs_count, default=default_jobs(), metavar="N",
                   help="processes reading new wheels and rendering pages, when there are thousands "
                   "(default: %(default)s)")
    p.set_defaults(handler=run)


def find_wheels(arguments: Iterable[str]) -> tuple[list[str], list[str]]:
    """(wheel paths, error lines): folders are listed (not searched below), files taken as given.

    ``scandir`` knows a file from a folder without a stat, which matters for 100,000 wheels.
    """
    wheels: list[str] = []
    errors: list[str] = []
    for arg in arguments:
        if os.path.isdir(arg):
            with os.scandir(arg) as entries:
                found = sorted(e.path for e in entries if e.name.endswith(".whl") and e.is_file())
            if not found:
                errors.append(f"{arg}: no wheels in this folder")
            wheels += found
        elif os.path.isfile(arg) and arg.endswith(".whl"):
            wheels.append(arg)
        elif not os.path.exists(arg):
            errors.append(f"{arg}: no such file or folder")
        else:
            errors.append(f"{arg}: not a wheel (.whl) or a folder")
    return list(dict.fromkeys(wheels)), errors


def run(args) -> int:
    from migrate import mirror

    refused = _refuse_before_reading(args)
    if refused is not None:
        return refused
    wheels = _wheels_given(args.wheels)
    if wheels is None:
        return 1
    failed = False
    summary: dict[str, Any] = {}
    if args.output:
        report = _publish(wheels, args)
        if report is None:
            return 1
        if args.dry_run:
            _say_preview(report, args.json)
        else:
            _say_published(report, args.json)
        failed = not report.ok
        summary["mirror"] = _mirror_summary(report)
    if args.upload and not args.dry_run:
        try:
            results = upload_wheels(wheels, args)
        except mirror.UploadError as exc:
            return _say(f"--upload {exc}", 2)
        failed = failed or any(not r.ok for r in results)
        summary["upload"] = [r.as_dict() for r in results]
    if args.json:
        print_json(summary)
    return 1 if failed else 0


def _refuse_before_reading(args) -> Optional[int]:
    """The exit status when the options cannot work (no output at all, or --upload without twine)."""
    from migrate import mirror

    if not args.output and not args.upload:
        print("egg-migrate publish: give -o MIRROR_DIR, --upload URL or both", file=sys.stderr)
        return 2
    if args.upload:
        try:
            mirror.check_twine()
        except mirror.UploadError as exc:
            return _say(exc, 1)
    return None


def _publish(wheels: list[str], args) -> Optional[PublishReport]:
    """The publish (or its preview), with a bar on a terminal; None when refused (said on stderr)."""
    from migrate import mirror
    from migrate.commands.progress import publish_bar
    from migrate.fsutil import output_error

    mode = mirror.PublishMode(add=args.add, allow_shrink=args.allow_shrink, dry_run=args.dry_run)
    bar = publish_bar()
    try:
        return mirror.publish(wheels, Path(args.output), base_url=args.base_url, durable=not args.no_sync,
                              link=args.link, jobs=args.jobs, mode=mode, progress=bar)
    except mirror.MirrorError as exc:
        _say(exc, 1)
    except OSError as exc:
        error = output_error(exc)
        if error is None:
            raise
        _say(error, 1)
    finally:
        bar.close()
    return None


def _say_preview(report: PublishReport, json: bool) -> None:
    """--dry-run: a line per wheel that would be added or removed, on stdout."""
    if json:
        return
    for name in report.added:
        print(f"add     {name}")
    for name in report.removed:
        print(f"remove  {name}")
    print(f"dry run: {len(report.added)} would be added, {len(report.removed)} removed in {report.mirror}; "
          "nothing written", file=sys.stderr)


def _wheels_given(arguments: list[str]) -> Optional[list[str]]:
    """The wheels to publish, or None (each bad argument said) when any argument is wrong."""
    wheels, errors = find_wheels(arguments)
    for e in errors:
        print(f"egg-migrate: {e}", file=sys.stderr)
    if errors:  # a publish is a sync: a mistyped folder must not empty the mirror
        print("egg-migrate publish: nothing published (fix the arguments above)", file=sys.stderr)
        return None
    return wheels


def _say_published(report: PublishReport, json: bool) -> None:
    """The mirror's problems, then (unless --json) what was published and how to use it."""
    from migrate.mirror import index_url

    for p in report.problems:
        print(f"egg-migrate: {p.message}", file=sys.stderr)
    if json:
        return
    print(f"published {report.files} wheels of {report.projects} projects to {report.mirror} "
          f"({len(report.added)} read, {len(report.removed)} removed, {report.pages_written} pages "
          f"written, {report.pages_reused} unchanged) in {report.seconds:.2f}s", file=sys.stderr)
    for name in report.added:
        detail(f"  read    {name}")
    for name in report.removed:
        detail(f"  removed {name}")
    info(f"use it: pip install --index-url {index_url(report.mirror)} ...")
    for d in report.distros:
        info(f"  {d} builds: --index-url {index_url(report.mirror, d)}")


def _mirror_summary(report: PublishReport) -> dict[str, Any]:
    from migrate.mirror import index_url

    return {
        "path": report.mirror, "index_url": index_url(report.mirror), "files": report.files,
        "projects": report.projects, "distros": list(report.distros), "added": list(report.added),
        "removed": list(report.removed), "pages_written": report.pages_written,
        "pages_reused": report.pages_reused, "seconds": round(report.seconds, 3),
        "problems": [p.as_dict() for p in report.problems],
    }


def _say(exc: object, status: int) -> int:
    print(f"egg-migrate: {exc}", file=sys.stderr)
    return status
