"""``egg-migrate pin REQUIREMENT... --mirror MIRROR --target-python X.Y``: hash pins for a target."""
from __future__ import annotations

import argparse
import shlex
import sys
from typing import TYPE_CHECKING, Any, Optional, Union

from migrate.commands.common import (
    DeprecatedAlias,
    add_target_options,
    detail,
    info,
    print_json,
    source_option,
    target_problem,
)
from migrate.commands.progress import resolving

if TYPE_CHECKING:
    from migrate.pins import PinResult, Root, Target


def register(sub) -> None:
    p = sub.add_parser(
        "pin", help="pin requirements against a mirror for a target interpreter",
        description="Resolve requirements against a PEP 503 mirror for the TARGET interpreter and "
        "platform (not this host: tags from packaging.tags, markers evaluated for the target) with "
        "resolvelib, and write pip-compile style hash pins. Unresolvable requirements are explained "
        "in one paragraph and exit 1. See docs/pins.rst.")
    p.add_argument("requirements", nargs="*", metavar="REQUIREMENT", help="PEP 508 requirements, e.g. 'bx-python>=0.7'")
    p.add_argument("-r", "--requirement", action="append", default=[], metavar="FILE", dest="files",
                   help="read requirements from FILE (requirements.in style); repeatable")
    p.add_argument("--eggs-ini", metavar="FILE",
                   help="pin every egg a Galaxy eggs.ini lists ([eggs:platform], [eggs:noplatform], [tags])")
    p.add_argument("--manifest", metavar="MANIFEST_JSON",
                   help="with --eggs-ini: take each egg's wheel version from this manifest.json")
    p.add_argument("--mirror", required=True, type=source_option, metavar="MIRROR_DIR_OR_URL",
                   help="the mirror folder, its simple/ folder, or an index URL (http(s)://.../simple/)")
    add_target_options(p, "required")
    p.add_argument("--implementation", choices=("cp", "pp"), default="cp", help="target interpreter (default: cp)")
    for old, new in (("--python", "--target-python"), ("--abi", "--target-abi"), ("--platform", "--target-platform")):
        p.add_argument(old, dest=new[2:].replace("-", "_"), action=DeprecatedAlias, new=new, help=argparse.SUPPRESS)
    p.add_argument("--pre", action="store_true",
                   help="allow pre-releases (as pip --pre); without it a pre-release is pinned only when a "
                   "specifier names one (==1.0rc2, >=2.0b1) or nothing else matches")
    p.add_argument("-o", "--output", metavar="FILE", help="write requirements.txt here (default: stdout)")
    p.add_argument("--lock", metavar="PYLOCK", help="also write a PEP 751 lock file (pylock.toml or pylock.NAME.toml)")
    p.add_argument("--json", action="store_true", help="the pins as JSON on stdout")
    p.set_defaults(handler=run, parser=p)


def run(args) -> int:
    from migrate import pins

    if not args.target_python:
        args.parser.error("the following arguments are required: --target-python")
    try:
        target = pins.Target.make(args.target_python, args.target_abi, args.target_platform, args.implementation)
    except pins.BadTarget as exc:
        return _say(target_problem(exc), 2)
    try:
        with resolving() as progress:
            result = pins.pin(_roots(args), args.mirror, target, pre=args.pre, progress=progress)
    except (pins.Unresolvable, pins.PinError) as exc:
        return _say(exc, 1)
    for p in result.problems:
        print(f"egg-migrate: {p.severity}: {p.message}", file=sys.stderr)
    for one in result.pins:
        detail(f"  {one.name}=={one.version} via {', '.join(one.via) or 'the requirements'}")
    command = "egg-migrate pin " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if len(sys.argv) > 2 else None
    try:
        _write_files(args, result, command)
    except pins.PinError as exc:
        return _say(exc, 2)
    if args.json:
        print_json(_as_json(target, result))
    elif not args.output:
        for chunk in pins.requirements_chunks(result, command):
            sys.stdout.write(chunk)
    count = len(result.pins)
    print(f"pinned {count} project{'' if count == 1 else 's'} for {target.describe()}"
          + (f" into {args.output}" if args.output else ""), file=sys.stderr)
    return 0


def _roots(args) -> list[Union[str, Root]]:
    """The requirements to pin: the arguments, then -r files, then the eggs.ini's pins (its notes said)."""
    from migrate import pins

    roots = list(args.requirements)
    for f in args.files:
        roots += pins.read_requirements_file(f)
    if args.eggs_ini:
        found, notes = pins.read_eggs_ini(args.eggs_ini, args.manifest)
        roots += found
        for note in notes:
            info(f"egg-migrate: {note}")
    return roots


def _write_files(args, result: PinResult, command: Optional[str]) -> None:
    """requirements.txt (-o) and pylock.toml (--lock) when asked for; raises ``PinError`` for a bad lock name."""
    from migrate import pins

    if args.output:
        pins.write_requirements(result, args.output, command)
    if args.lock:
        pins.write_pylock(result, args.lock)


def _as_json(target: Target, result: PinResult) -> dict[str, Any]:
    return {"target": target.describe(), "index": result.index, "pins": [
        {"name": p.name, "version": p.version, "extras": list(p.extras), "via": list(p.via),
         "files": [{"filename": f.filename, "url": f.url, "sha256": sha} for f, sha in p.files]}
        for p in result.pins]}


def _say(exc: object, status: int) -> int:
    print(f"egg-migrate: {exc}", file=sys.stderr)
    return status
