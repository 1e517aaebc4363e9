"""``egg-migrate convert EGG_OR_DIR... -d WHEEL_DIR``: eggs in, correctly tagged wheels out."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from functools import partial
from pathlib import Path

from migrate.commands.common import (
    REPAIR_HELP,
    add_join_option,
    add_tag_options,
    default_jobs,
    detail,
    find_eggs,
    info,
    jobs_count,
    print_json,
    tag_options,
)
from migrate.commands.progress import progress
from migrate.parallel import parallel_map
from migrate.run import result_record
from migrate.wheels import ConvertOptions, ConvertResult, convert_egg, note, settle


def register(sub) -> None:
    p = sub.add_parser("convert", help="convert eggs into wheels",
                       description="Convert eggs (files, folders, develop .egg-info folders; folders are "
                       "searched for eggs) into wheels in WHEEL_DIR. A bad egg is reported in one line "
                       "and the rest go on; the exit code is 1 when any egg failed. Eggs of one release "
                       "that would make one wheel name are settled in the order given: the same files "
                       "make one wheel (with a note), a pure py2 and py3 build with other files get one wheel each, "
                       "any other clash fails the later egg with a line naming both.")
    p.add_argument("eggs", nargs="+", metavar="EGG_OR_DIR")
    p.add_argument("-d", "--dest", required=True, metavar="WHEEL_DIR", help="where the wheels are written")
    p.add_argument("-j", "--jobs", type=jobs_count, default=default_jobs(), metavar="N",
                   help="eggs converted in parallel (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="one record per egg on stdout")
    add_tag_options(p)
    add_join_option(p)
    p.add_argument("--repair", action="store_true", help=REPAIR_HELP)
    p.set_defaults(handler=run)


def _cannot_write(dest: Path, exc: OSError) -> int:
    """One line for a WHEEL_DIR the file system refuses (full, read-only, a name too long), exit 1."""
    from migrate.fsutil import output_error

    known = output_error(exc)
    print(f"egg-migrate: {known or f'{dest}: cannot write wheels there ({exc.strerror or exc})'}", file=sys.stderr)
    return 1


def run(args) -> int:
    eggs, errors = find_eggs(args.eggs)
    for e in errors:
        print(f"egg-migrate: {e}", file=sys.stderr)
    dest = Path(args.dest)
    options = ConvertOptions(tags=tag_options(args))
    try:
        dest.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".egg-migrate-convert-", suffix=".tmp", dir=dest))
    except OSError as exc:
        return _cannot_write(dest, exc)
    try:
        work = partial(_convert_into, options=options)
        jobs = [(egg, staging / str(n)) for n, egg in enumerate(eggs)]
        results = list(progress(parallel_map(work, jobs, args.jobs), "convert", total=len(eggs)))
        # in input order, whichever worker finished first; the wheels kept made durable in one pass
        results = settle(results, options, staging, dest, args.join_py2_py3)
    except OSError as exc:
        return _cannot_write(dest, exc)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for result in results:
        _tell(result, args.json)
    repaired = _repair(results, dest) if getattr(args, "repair", False) else {}
    if args.json:
        records = [result_record(r) for r in results]
        for record, r in zip(records, results):
            if r.wheel in repaired:
                record["repaired_wheel"] = repaired[r.wheel]
        print_json(records)
    failed = sum(1 for r in results if not r.ok)
    same = sum(1 for r in results if note(r))
    print(f"converted {len(results) - failed} of {len(results)} eggs into {dest}"
          + (f"; {same} the same as an earlier egg's wheel" if same else "")
          + (f"; {failed} failed" if failed else ""), file=sys.stderr)
    return 1 if failed or errors else 0


def _convert_into(job: tuple[Path, Path], options: ConvertOptions) -> ConvertResult:
    """One egg into the staging folder (in a worker), or into a folder of its own when another
    egg's wheel there has its name already: no two eggs ever write one path."""
    egg, aside = job
    return convert_egg(egg, aside.parent, options, sync=False, aside=aside)


def _tell(result: ConvertResult, json: bool) -> None:
    if not result.ok:
        print(f"FAILED  {result.reason}", file=sys.stderr)
    elif json:
        return
    elif note(result):
        info(f"same    {os.path.basename(result.egg)}: {note(result)}", sys.stdout)
    else:  # the paths are a Path's str: basename is its .name, without parsing it again
        info(f"ok      {os.path.basename(result.egg)} -> {os.path.basename(str(result.wheel))}", sys.stdout)
        for part, why in result.tags.reasons if result.tags is not None else ():
            detail(f"        {part}: {why}", sys.stdout)


def _repair(results: list[ConvertResult], dest: Path) -> dict[str, str]:
    """{linux wheel: repaired wheel} for the wheels `auditwheel repair` can make manylinux."""
    from migrate.wheels import find_tools, repair_wheel

    todo = list(dict.fromkeys(r.wheel for r in results if r.wheel is not None and r.tags is not None
                              and r.tags.repairable))
    if not todo:
        return {}
    tools, why = find_tools()
    if tools is None:
        print(f"egg-migrate: --repair skipped for {len(todo)} wheel(s): {why}", file=sys.stderr)
        return {}
    done = {}
    for wheel in todo:
        outcome = repair_wheel(wheel, dest, tools)
        print(("repaired " if outcome.ok else "NOT REPAIRED ") + outcome.message, file=sys.stderr)
        if outcome.repaired is not None:  # outcome.ok
            done[wheel] = outcome.repaired
    return done
