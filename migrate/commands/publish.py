"""``egg-migrate publish WHEEL_DIR... -o MIRROR_DIR [--base-url URL] [--upload URL]``."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Optional

from migrate.commands.common import add_upload_options, default_jobs, detail, info, print_json, upload_wheels

if TYPE_CHECKING:
    from migrate.mirror import PublishReport


def register(sub) -> None:
    p = sub.add_parser(
        "publish", help="publish wheels as a static PEP 503 mirror (and/or upload them)",
        description="Make MIRROR_DIR a static index of exactly the wheels given: simple/ pages with "
        "#sha256 links, PEP 658 .metadata files, PEP 691 index.json, wheels under packages/, and "
        "<distro>/simple/ for distro-tagged builds. Built beside the live index and swapped in with "
        "one rename; re-publishing reads only new or changed wheels. Serve it with any web server or "
        "use it as file://MIRROR_DIR/simple/ (see docs/mirror.rst).")
    p.add_argument("wheels", nargs="+", metavar="WHEEL_DIR", help="folders of wheels (not searched below) or .whl files")
    p.add_argument("-o", "--output", metavar="MIRROR_DIR", help="the mirror folder (created when missing)")
    p.add_argument("--base-url", metavar="URL",
                   help="absolute URL the mirror root will be served from; links are relative without it")
    add_upload_options(p)
    p.add_argument("--link", action="store_true",
                   help="hard-link the wheels into the mirror instead of copying them (faster; only when "
                   "the wheel folder's files are never rewritten in place, as egg-migrate convert does)")
    p.add_argument("-j", "--jobs", type=int, default=default_jobs(), metavar="N",
                   help="processes reading new wheels and rendering pages, when there are thousands "
                   "(default: %(default)s)")
    p.add_argument("--no-sync", action="store_true",
                   help="skip the file-system flush before the swap (faster; not safe against power loss)")
    p.add_argument("--json", action="store_true", help="a machine-readable summary on stdout")
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

    if not args.output and not args.upload:
        print("egg-migrate publish: give -o MIRROR_DIR, --upload URL or both", file=sys.stderr)
        return 2
    if args.upload:
        try:
            mirror.check_twine()
        except mirror.UploadError as exc:
            return _say(exc, 1)
    wheels = _wheels_given(args.wheels)
    if wheels is None:
        return 1
    failed = False
    summary: dict[str, Any] = {}
    if args.output:
        try:
            report = mirror.publish(wheels, Path(args.output), base_url=args.base_url, durable=not args.no_sync,
                                    link=args.link, jobs=args.jobs)
        except (mirror.MirrorError, OSError) as exc:
            return _say(exc, 1)
        _say_published(report, args.json)
        failed = not report.ok
        summary["mirror"] = _mirror_summary(report)
    if args.upload:
        try:
            results = upload_wheels(wheels, args)
        except mirror.UploadError as exc:
            return _say(f"--upload {exc}", 2)
        failed = failed or any(not r.ok for r in results)
        summary["upload"] = [r.as_dict() for r in results]
    if args.json:
        print_json(summary)
    return 1 if failed else 0


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
