"""``egg-migrate fetch SOURCE -d EGG_DIR``: a repository of eggs -> verified egg files."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlsplit

from migrate.commands.common import (
    UsageError,
    add_network_options,
    detail,
    info,
    jobs_count,
    network_options,
    print_json,
    source_option,
)
from migrate.commands.progress import bar, on_terminal
from migrate.errors import printable
from migrate.fetch import (
    FAILED,
    MANIFEST,
    MISSING,
    SKIPPED,
    FetchOptions,
    FetchReport,
    Progress,
    Selection,
    SourceError,
    fetch,
)
from migrate.galaxy import eggsini

DESCRIPTION = """\
Download (or copy) eggs from SOURCE into EGG_DIR, in parallel, resumably and verified:
each egg is written to NAME.part, hashed while it streams, checked (length, listed sha256,
zip CRCs) and only then renamed into place. Re-running skips eggs already verified (the
state file EGG_DIR/.egg-migrate-fetch.jsonl) and resumes partial downloads.
EGG_DIR/fetch-manifest.json lists every egg with its URL, size, sha256 and status.

SOURCE: a Galaxy egg repository (http://eggs.galaxyproject.org: <repo>/<name>/<egg>
autoindex pages), a PEP 503/691 simple index, a find-links page, a file:// URL, or a
folder (egg cache, .eggs/, buildout eggs/, site-packages with .egg entries; copied or
hard-linked, never moved). With --eggs-ini, SOURCE defaults to its [general] repository.

Exit status: 0 every wanted egg is here; 1 an egg is missing or failed, or SOURCE or the
eggs.ini could not be read (one line on stderr each); 2 usage errors."""


def register(sub) -> None:
    p = sub.add_parser("fetch", help="download an egg repository, completely and verifiably",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", nargs="?", type=source_option, metavar="SOURCE", help="URL or folder (see above)")
    p.add_argument("-d", "--dest", required=True, metavar="EGG_DIR", help="where the eggs go")
    p.add_argument("--eggs-ini", metavar="FILE",
                   help="Galaxy eggs.ini: fetch exactly the eggs it pins ([eggs:platform] for each --platform, "
                   "[eggs:noplatform] once per Python), taking a compatible platform from the project's "
                   "listing when the exact egg is missing, as Galaxy's client did")
    p.add_argument("--python", metavar="X.Y", help="keep only eggs for this Python (eggs.ini default: 2.7)")
    p.add_argument("--platform", action="append", default=[], metavar="PLATFORM",
                   help="Galaxy platform such as linux-x86_64-ucs4, linux-x86_64-ucs2, linux-i686-ucs4, "
                   "macosx-10.6-intel-ucs2; repeat it to fetch several (UCS2 and UCS4 side by side). "
                   "eggs.ini default: linux-x86_64-ucs4")
    p.add_argument("--project", action="append", default=[], metavar="NAME",
                   help="fetch only this project (repeatable); names match case- and -/_/.-insensitively")
    p.add_argument("--include-no-auto", action="store_true",
                   help="also fetch eggs.ini's [general] no_auto eggs (Galaxy never fetched them)")
    p.add_argument("-j", "--jobs", type=jobs_count, default=8, metavar="N", help="parallel downloads (default: 8)")
    p.add_argument("--json", action="store_true", help="print the fetch manifest on stdout")
    add_network_options(p)
    p.add_argument("--no-hardlink", action="store_true", help="copy local eggs instead of hard-linking them")
    p.set_defaults(handler=run)


def run(args) -> int:
    try:
        args.source, net = network_options(args)
    except UsageError as exc:
        return _usage(str(exc))
    try:
        ini = _read_eggs_ini(args.eggs_ini) if args.eggs_ini else None
    except eggsini.InvalidEggsIni as exc:
        return _fail(exc)
    if not args.source and not (ini and ini.repository):
        return _usage("SOURCE is required (or an --eggs-ini with a [general] repository)")
    try:
        selection = Selection.make(ini, args.python, args.platform, args.project, args.include_no_auto)
    except eggsini.InvalidTarget as exc:
        return _usage(f"--{exc.part}: {exc}")
    try:
        report = _fetch(args, selection, net)
    except SourceError as exc:
        return _fail(exc)
    _say_problems(report)
    if args.json:
        print_json(report.as_dict())
    else:
        print(_summary(report))
    return 0 if report.ok else 1


def _read_eggs_ini(path: str) -> eggsini.EggsIni:
    """The parsed eggs.ini, its oddities said on stderr; raises ``eggsini.InvalidEggsIni``."""
    ini = eggsini.parse(path)
    for warning in ini.problems:
        info(f"egg-migrate fetch: {printable(str(warning))}")
    return ini


def _fetch(args, selection: Selection, net) -> FetchReport:
    """The fetch itself, with progress bars on a terminal; raises ``SourceError``."""
    progress = _Bars() if on_terminal() else None
    try:
        return fetch(args.source, Path(args.dest), selection, jobs=args.jobs, progress=progress,
                     options=FetchOptions(net=net, hardlink=not args.no_hardlink))
    finally:
        if progress is not None:
            progress.close()


def _say_problems(report: FetchReport) -> None:
    """One stderr line per egg not fetched, per stand-in taken, per egg link not followed (with the
    reason; every other link under ``-v``), and per run-level error."""
    for r in report.results:
        if r.status in (MISSING, FAILED):
            _say(f"{r.filename}: {r.status}: {r.reason}")
        elif r.status == SKIPPED:
            info(f"egg-migrate fetch: {printable(f'{r.filename}: skipped: {r.reason}')}")
        elif r.note and ("took" in r.note or "wants" in r.note):
            info(f"egg-migrate fetch: {printable(f'{r.project}: {r.note}')}")
        else:
            detail(f"egg-migrate fetch: {printable(f'{r.filename}: {r.status}')}")
    for skip in report.skipped_links:  # an egg's link not followed says why; the rest (sdists, pages) under -v
        line = f"egg-migrate fetch: {printable(f'{skip.url} not followed: {skip.reason}')}"
        (info if urlsplit(skip.url).path.lower().endswith(".egg") else detail)(line)
    for error in report.errors:
        _say(error)


def _say(line: str) -> None:
    """One stderr line; a remote name's control characters are escaped, never sent to the terminal."""
    print(f"egg-migrate fetch: {printable(line)}", file=sys.stderr)


def _summary(report: FetchReport) -> str:
    """The closing line: how many eggs are here, and what became of the rest."""
    c = report.counts()
    have = c["downloaded"] + c["already-verified"]
    line = (f"{have} eggs in {report.dest} ({c['downloaded']} downloaded, {c['already-verified']} already "
            f"verified), {c['skipped']} skipped, {c['missing']} missing, {c['failed']} failed")
    if report.skipped_links:
        line += f"; {len(report.skipped_links)} links not followed"
    return printable(f"{line}; details in {report.dest / MANIFEST}")


def _fail(exc: Exception) -> int:
    _say(str(exc))
    return 1


def _usage(message: str) -> int:
    print(f"egg-migrate fetch: error: {message}", file=sys.stderr)
    return 2


class _Bars(Progress):
    """Two tqdm bars on stderr: eggs done of eggs wanted, and bytes received."""

    def __init__(self):
        self.files = bar("eggs", 0, "egg", position=0)
        self.bytes = bar("data", None, "B", unit_scale=True, unit_divisor=1024, position=1)

    def add_files(self, n: int) -> None:
        self.files.total = (self.files.total or 0) + n
        self.files.refresh()

    def add_bytes(self, n: int) -> None:
        self.bytes.update(n)

    def done(self, result) -> None:
        self.files.update(1)

    def close(self) -> None:
        self.bytes.close()
        self.files.close()
