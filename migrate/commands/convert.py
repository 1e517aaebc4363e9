"""``egg-migrate convert EGG_OR_DIR... -d WHEEL_DIR``: eggs in, correctly tagged wheels out."""
from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

from migrate.commands.common import (add_tag_options, default_jobs, find_eggs, parallel_map, print_json,
                                     progress, tag_options)
from migrate.convert import ConvertOptions, convert_egg
from migrate.report import result_record


def register(sub) -> None:
    p = sub.add_parser("convert", help="convert eggs into wheels",
                       description="Convert eggs (files, folders, develop .egg-info folders; folders are "
                       "searched for eggs) into wheels in WHEEL_DIR. A bad egg is reported in one line "
                       "and the rest go on; the exit code is 1 when any egg failed.")
    p.add_argument("eggs", nargs="+", metavar="EGG_OR_DIR")
    p.add_argument("-d", "--dest", required=True, metavar="WHEEL_DIR", help="where the wheels are written")
    p.add_argument("-j", "--jobs", type=int, default=default_jobs(), metavar="N",
                   help="eggs converted in parallel (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="one record per egg on stdout")
    add_tag_options(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    eggs, errors = find_eggs(args.eggs)
    for e in errors:
        print(f"egg-migrate: {e}", file=sys.stderr)
    dest = Path(args.dest)
    dest.mkdir(parents=True, exist_ok=True)
    options = ConvertOptions(tags=tag_options(args))
    work = partial(convert_egg, out_dir=dest, options=options)
    results = []
    for result in progress(parallel_map(work, eggs, args.jobs), "convert", total=len(eggs)):
        results.append(result)
        if result.ok:
            if not args.json:
                print(f"ok      {Path(result.egg).name} -> {Path(result.wheel).name}")
        else:
            print(f"FAILED  {result.reason}", file=sys.stderr)
    if args.json:
        print_json([result_record(r) for r in results])
    failed = sum(1 for r in results if not r.ok)
    print(f"converted {len(results) - failed} of {len(results)} eggs into {dest}"
          + (f"; {failed} failed" if failed else ""), file=sys.stderr)
    return 1 if failed or errors else 0
