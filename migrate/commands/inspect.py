"""``egg-migrate inspect EGG... [--json]``: what was read and which tags would be chosen, and why."""
from __future__ import annotations

import sys

from migrate.commands.common import add_tag_options, find_eggs, print_json, tag_options
from migrate.run import describe, facts_record
from migrate.wheels import ConversionFailed, ConvertOptions, inspect_egg


def register(sub) -> None:
    p = sub.add_parser("inspect", help="show what an egg holds and the wheel tags it would get, with reasons",
                       description="Read eggs (nothing is written) and show their metadata, binaries, "
                       "the wheel name they would convert to and the reason for each tag.")
    p.add_argument("eggs", nargs="+", metavar="EGG", help="egg files or folders (folders are searched)")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    add_tag_options(p)
    p.set_defaults(handler=run)


def run(args) -> int:
    eggs, errors = find_eggs(args.eggs)
    for e in errors:
        print(f"egg-migrate: {e}", file=sys.stderr)
    options = ConvertOptions(tags=tag_options(args))
    records, failed = [], bool(errors)
    for egg in eggs:
        try:
            facts = inspect_egg(egg, options)
        except ConversionFailed as exc:
            failed = True
            print(f"FAILED {exc}", file=sys.stderr)
            records.append({"egg": str(egg), "error": str(exc)})
            continue
        if facts.tags is None:
            failed = True
        if args.json:
            records.append(facts_record(facts))
        else:
            print(describe(facts))
            print()
    if args.json:
        print_json(records)
    return 1 if failed else 0
