"""``egg-migrate convert EGG_OR_DIR... -d WHEEL_DIR``: eggs in, correctly tagged wheels out."""
from __future__ import annotations

import sys
import tempfile
from functools import partial
from pathlib import Path

from migrate.commands.common import (
    REPAIR_HELP,
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
from migrate.wheels import ConvertOptions, ConvertResult, convert_egg, move_wheels


def register(sub) -> None:
    p = sub.add_parser("convert", help="convert eggs into wheels",
                       description="Convert eggs (files, folders, develop .egg-info folders; folders are "
                       "searched for eggs) into wheels in WHEEL_DIR. A bad egg is reported in one line "
                       "and the rest go on; the exit code is 1 when any egg failed.")
    p.add_argument("eggs", nargs="+", metavar="EGG_OR_DIR")
    p.add_argument("-d", "--dest", required=True, metavar="WHEEL_DIR", help="where the wheels are written")
    p.add_argument("-j", "--jobs", type=jobs_count, default=default_jobs(), metavar="N",
                   help="eggs converted in parallel (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="one record per egg on stdout")
    add_tag_options(p)
    p.add_argument("--repair", action="store_true", help=REPAIR_HELP)
    p.set_defaults(handler=run)


def run(args) -> int:
    eggs, errors = find_eggs(args.eggs)
    for e in errors:
        print(f"egg-migrate: {e}", file=sys.stderr)
    dest = Path(args.dest)
    dest.mkdir(parents=True, exist_ok=True)
    options = ConvertOptions(tags=tag_options(args))
    # wheels are written unsynced into a temp folder, then made durable in one pass and renamed
    # into place: one fsync per wheel cost more than converting a small egg
    with tempfile.TemporaryDirectory(prefix=".egg-migrate-", suffix=".tmp", dir=dest) as staging:
        work = partial(convert_egg, out_dir=staging, options=options, sync=False)
        results = []
        for result in progress(parallel_map(work, eggs, args.jobs), "convert", total=len(eggs)):
            results.append(result)
            if result.ok:
                if not args.json:
                    info(f"ok      {Path(result.egg).name} -> {Path(result.wheel).name}", sys.stdout)
                    for part, why in result.tags.reasons if result.tags is not None else ():
                        detail(f"        {part}: {why}", sys.stdout)
            else:
                print(f"FAILED  {result.reason}", file=sys.stderr)
        results = move_wheels(results, Path(staging), dest)
    repaired = _repair(results, dest) if getattr(args, "repair", False) else {}
    if args.json:
        records = [result_record(r) for r in results]
        for record, r in zip(records, results):
            if r.wheel in repaired:
                record["repaired_wheel"] = repaired[r.wheel]
        print_json(records)
    failed = sum(1 for r in results if not r.ok)
    print(f"converted {len(results) - failed} of {len(results)} eggs into {dest}"
          + (f"; {failed} failed" if failed else ""), file=sys.stderr)
    return 1 if failed or errors else 0


def _repair(results: list[ConvertResult], dest: Path) -> dict[str, str]:
    """{linux wheel: repaired wheel} for the wheels `auditwheel repair` can make manylinux."""
    from migrate.wheels import find_tools, repair_wheel

    todo = [r.wheel for r in results if r.wheel is not None and r.tags is not None and r.tags.repairable]
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
