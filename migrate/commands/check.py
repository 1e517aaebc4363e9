"""``egg-migrate check WHEEL_OR_DIR... [--smoke] [--json]``: prove each wheel correct before publishing."""
from __future__ import annotations

import sys
from pathlib import Path

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import Version

from migrate import interpreters
from migrate import problems as P
from migrate.checks import BadManifest, CheckResult, check_wheel, eggs_from_manifest, find_wheels
from migrate.commands.common import default_jobs, jobs_count, print_json, quiet, verbose
from migrate.commands.progress import progress
from migrate.parallel import parallel_map
from migrate.wheels import ConversionFailed, inspect_egg


def register(sub) -> None:
    p = sub.add_parser(
        "check", help="check wheels: RECORD, METADATA, WHEEL, tags vs binaries, zip safety, smells",
        description="Check wheels (files, or folders searched for .whl files) and print one line per "
        "wheel (OK / ERRORS n / WARNINGS n) with its problems below it. Every problem has a stable "
        "code (docs/check.rst). With the source eggs (--manifest, --egg) each wheel is also compared "
        "with its egg; with --smoke each wheel is installed with stock pip into a throwaway venv of "
        "a matching interpreter and its modules imported. Exit code 1 when any wheel has an error.")
    p.add_argument("wheels", nargs="+", metavar="WHEEL_OR_DIR")
    p.add_argument("--smoke", action="store_true",
                   help="also install each wheel (pip --no-index --no-deps) into a venv and import it; "
                   "no matching interpreter is reported as a skip")
    p.add_argument("--json", action="store_true", help="one record per wheel on stdout")
    p.add_argument("-j", "--jobs", type=jobs_count, default=default_jobs(), metavar="N",
                   help="wheels checked (and smoke-tested) in parallel (default: %(default)s)")
    p.add_argument("--interpreter", action="append", default=[], metavar="PATH",
                   help="a Python to smoke-test with, tried before pyenv and PATH ones (repeatable)")
    p.add_argument("--venv-cache", metavar="DIR",
                   help="keep the base venvs of --smoke here and reuse them next time (default: a temp folder, removed)")
    p.add_argument("--manifest", metavar="MANIFEST.json",
                   help="manifest.json (or convert --json output): compare each wheel with its egg")
    p.add_argument("--egg", action="append", default=[], metavar="EGG",
                   help="a source egg: compared with the wheel of the same name and version (repeatable)")
    p.set_defaults(handler=run)


def run(args) -> int:
    wheels, errors = find_wheels(args.wheels)
    sources = _sources(args, wheels, errors)
    for e in errors:
        print(f"egg-migrate: {e}", file=sys.stderr)
    pairs = [(w, sources.get(w)) for w in wheels]
    results = list(progress(parallel_map(_check_pair, pairs, args.jobs), "check", total=len(pairs), unit="wheel"))
    if args.smoke and wheels:
        results, smoke_errors = _smoke(args, results)
        for e in smoke_errors:
            print(f"egg-migrate: {e}", file=sys.stderr)
        errors += smoke_errors
    if args.json:
        print_json([r.as_dict() for r in results])
    else:
        for r in results:
            if r.errors or not quiet():  # -q: only the wheels with errors; -v: info lines too
                print(render(r, verbose()))
    print(summary(results), file=sys.stderr)
    return 1 if errors or any(not r.ok for r in results) else 0


def _check_pair(pair) -> CheckResult:
    return check_wheel(*pair)


def _sources(args, wheels: list[Path], errors: list[str]) -> dict[Path, Path]:
    """{wheel path: egg path} from --manifest and --egg."""
    found: dict[Path, Path] = {}
    if args.manifest:
        try:
            by_name = eggs_from_manifest(args.manifest)
        except BadManifest as exc:
            errors.append(str(exc))
            by_name = {}
        found.update({w: by_name[w.name] for w in wheels if w.name in by_name})
    by_identity: dict[tuple[str, Version], list[Path]] = {}
    for w in wheels:
        try:
            name, version, _, _ = parse_wheel_filename(w.name)
        except InvalidWheelFilename:
            continue
        by_identity.setdefault((name, version), []).append(w)
    for egg in args.egg:
        try:
            facts = inspect_egg(egg)
            key = (canonicalize_name(facts.project), Version(facts.version))
        except (ConversionFailed, ValueError) as exc:
            errors.append(f"{egg}: cannot read the egg ({exc})")
            continue
        matched = by_identity.get(key, [])
        if not matched:
            errors.append(f"{egg}: no wheel given for {facts.project} {facts.version}")
        for w in matched:
            found[w] = Path(egg)
    return found


def _smoke(args, results: list[CheckResult]) -> tuple[list[CheckResult], list[str]]:
    from migrate.checks import smoke_test

    errors: list[str] = []
    extra: list[str] = []
    for path in args.interpreter:
        if interpreters.probe(path) is None:
            errors.append(f"--interpreter {path}: does not run as a Python interpreter")
        else:
            extra.append(path)
    found = interpreters.discover(extra)
    smoked = smoke_test([r.wheel for r in results], jobs=args.jobs, interpreters=found, cache_dir=args.venv_cache)
    return [r.with_smoke(s) for r, s in zip(results, smoked)], errors


def render(result: CheckResult, verbose: bool = False) -> str:
    """One line for the wheel, its problems indented below it."""
    if result.errors:
        head = f"ERRORS {result.errors}"
    elif result.warnings:
        head = f"WARNINGS {result.warnings}"
    else:
        head = "OK"
    line = f"{head:<12} {Path(result.wheel).name}"
    smoke = result.smoke
    if smoke is not None:
        python = f" on Python {smoke.python.split()[0]}" if smoke.python else ""
        line += f"  [smoke: {smoke.status}{python}]"
    lines = [line]
    for p in result.problems:
        if p.severity == P.INFO and not verbose:
            continue
        lines.append(f"    {p.severity:<7} {p.code} {p.message}")
    return "\n".join(lines)


def summary(results: list[CheckResult]) -> str:
    bad = sum(1 for r in results if r.errors)
    warned = sum(1 for r in results if not r.errors and r.warnings)
    text = f"checked {len(results)} wheel{'' if len(results) == 1 else 's'}: {len(results) - bad - warned} ok, {warned} with warnings, {bad} with errors"
    smoked = [r.smoke for r in results if r.smoke is not None]
    if smoked:
        counts = {s: sum(1 for x in smoked if x.status == s) for s in ("passed", "failed", "skipped")}
        text += "; smoke: " + ", ".join(f"{n} {s}" for s, n in counts.items())
    return text
