"""The run's pin stage: the published mirror + the roots + a target -> ``requirements.txt``
(and, with an eggs.ini, Galaxy's ``pinned-requirements.txt``).

The roots are ``--pin``, else the eggs.ini pins whose egg became a good wheel,
else every converted project with a wheel for the target. The target defaults to
what most converted wheels are for. Pins are redone only when the mirror, the
roots, the target or the command change.
"""
from __future__ import annotations

import shlex
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional, Sequence, Union

from packaging.tags import Tag
from packaging.utils import canonicalize_name, parse_wheel_filename

from migrate import __version__
from migrate.fsutil import file_sha256
from migrate.mirror import index_url
from migrate.records import EggRecord
from migrate.run import runstate
from migrate.run.keeping import serves
from migrate.run.publishing import published_fingerprint
from migrate.run.runstate import checkpoint, read_json, remove, write_json
from migrate.run.stage import RunContext, RunOptions, since

if TYPE_CHECKING:
    from migrate.galaxy import EggsIni
    from migrate.pins import Root, Target

Roots = Sequence[Union[str, "Root"]]  # requirements to pin: strings or eggs.ini roots


def default_target(records: Sequence[EggRecord]) -> tuple[str, Optional[str], tuple[str, ...]]:
    """(python, abi, platforms) most converted wheels are for: what the eggs target."""
    seen: Counter[tuple[str, Optional[str]]] = Counter()
    for _r, tags in _good_wheel_tags(records):
        for tag in tags:
            if tag.interpreter.startswith("cp") and tag.abi != "none":
                seen[(tag.interpreter, tag.abi)] += 1
    if not seen:
        for r in records:
            if r.egg_python:
                seen[(f"cp{r.egg_python.replace('.', '')}", None)] += 1
    if not seen:
        return "3.11", None, ()
    (interp, abi), _ = seen.most_common(1)[0]
    return f"{interp[2]}.{interp[3:]}", abi, ()


def pin_requirements(ctx: RunContext) -> None:
    """requirements.txt for the target; on failure none at all (pins of an older mirror would only mislead)."""
    from migrate import pins

    report, say = ctx.report, ctx.say
    started = time.perf_counter()
    path, stamp = ctx.out / "requirements.txt", ctx.state / "pins.json"
    if not report.published:
        remove(path)
        remove(stamp)
        say("pin: nothing published, nothing to pin")
        return
    try:
        target = _target(ctx.options, report.records)
        report.target = target.describe()
        report.other_targets = _other_pythons(report.records, target)
        roots, notes = _pin_roots(ctx, target)
        command = _run_command(ctx.options, ctx.out)
        fingerprint = runstate.fingerprint({"mirror": published_fingerprint(ctx.options, report.records),
                                            "roots": [str(r) for r in roots], "target": target.describe(),
                                            "command": command, "generator": __version__})
        done = read_json(stamp)
        if done.get("fingerprint") == fingerprint and path.is_file() and file_sha256(path) == done.get("sha256"):
            report.pins_file, report.pins_count, report.work["pin"] = path, done.get("pins", 0), 0
            say(f"pin: {path} unchanged ({report.pins_count} pins for {target.describe()})")
            return
        _pin(ctx, roots, notes, target, command, fingerprint, started)
    except (pins.PinError, pins.Unresolvable) as exc:
        report.pins_error = str(exc)
        remove(path)
        remove(stamp)
        say(f"pin: FAILED {exc}")


def _target(options: RunOptions, records: Sequence[EggRecord]) -> Target:
    """``--target-*``, the rest from what the eggs target (an ABI only with its own Python)."""
    from migrate import pins

    python, abi, platforms = default_target(records)
    python = options.target_python or python
    abi = options.target_abi or (abi if not options.target_python else None)
    platforms = options.target_platforms or platforms or ("manylinux_2_17_x86_64",)
    return pins.Target.make(python, [abi] if abi else [], platforms)


def _pin(ctx: RunContext, roots: Roots, notes: list[str], target: Target, command: str, fingerprint: str,
         started: float) -> None:
    """Resolve against the mirror and write requirements.txt, then its stamp."""
    from migrate import pins

    report, path = ctx.report, ctx.out / "requirements.txt"
    bar = ctx.bar("pin", len(roots), "project")
    try:
        result = pins.pin(roots, report.mirror, target, pre=ctx.options.pre, progress=pins.BarProgress(bar, len(roots)))
    finally:
        bar.close()
    base_url = ctx.options.base_url
    pins.write_requirements(result, path, command=command,
                            index_url=base_url.rstrip("/") + "/simple/" if base_url else None)
    checkpoint("pin")
    write_json(ctx.state / "pins.json", {"fingerprint": fingerprint, "sha256": file_sha256(path),
                                         "pins": len(result.pins)})
    count = report.pins_count = report.work["pin"] = len(result.pins)
    report.pins_file = path
    ctx.say(f"pin: {count} pin{'' if count == 1 else 's'} with hashes for {target.describe()} in {path}"
            f"{since(started)}")
    for note in notes:
        ctx.say(f"pin: {note}")
    for problem in result.problems:
        ctx.say(f"pin: {problem.severity}: {problem.message}")


def _other_pythons(records: Sequence[EggRecord], target: Target) -> tuple[str, ...]:
    """Pythons ("3.10", ...) other than the target's that converted binary wheels are for."""
    found: set[str] = set()
    for _r, tags in _good_wheel_tags(records):
        for tag in tags:
            if tag.interpreter.startswith("cp") and tag.interpreter[2:].isdigit():
                found.add(f"{tag.interpreter[2]}.{tag.interpreter[3:]}")
    found.discard(target.short)
    return tuple(sorted(found, key=lambda v: tuple(int(x) for x in v.split("."))))


def _run_command(options: RunOptions, out: Path) -> str:
    """The command line that makes these pins (written into requirements.txt)."""
    words = ["egg-migrate", "run"] + ([options.source] if options.source else []) + ["-o", str(out)]
    if options.eggs_ini:
        words += ["--eggs-ini", str(options.eggs_ini)]
    if options.target_python:
        words += ["--target-python", options.target_python]
    if options.target_abi:
        words += ["--target-abi", options.target_abi]
    for platform in options.target_platforms:
        words += ["--target-platform", platform]
    for req in options.pin:
        words += ["--pin", req]
    if options.pre:
        words.append("--pre")
    return " ".join(shlex.quote(w) for w in words)


def _pin_roots(ctx: RunContext, target: Target) -> tuple[Roots, list[str]]:
    """(roots, notes): ``--pin``, else the eggs.ini pins that have a good wheel, else every project for the target."""
    from migrate import pins

    if ctx.options.pin:
        return list(ctx.options.pin), []
    if ctx.ini is not None:
        roots, notes = pins.read_eggs_ini(ctx.ini.path, ctx.out / "manifest.json")
        return _published_roots(roots, notes, ctx.report.records)
    accepted = {str(t) for t in target.tags()}
    names = []
    for r, tags in _good_wheel_tags(ctx.report.records):
        if r.project and {str(t) for t in tags} & accepted:
            names.append(canonicalize_name(r.project))
    return sorted(set(names)), []


def _good_wheel_tags(records: Sequence[EggRecord]) -> Iterator[tuple[EggRecord, frozenset[Tag]]]:
    """(record, its wheel's tags) of each egg whose wheel is good (converted, checks passed)."""
    for r in records:
        if r.wheel is not None and serves(r):
            yield r, parse_wheel_filename(r.wheel.filename)[3]


def _published_roots(roots: list[Root], notes: list[str], records: Sequence[EggRecord]) -> tuple[list[Root], list[str]]:
    """eggs.ini roots whose egg failed or was skipped are left out (noted): one egg never sinks the pins."""
    published = {canonicalize_name(r.project) for r in records if serves(r) and r.project}
    kept, notes = [], list(notes)
    for root in roots:
        name = canonicalize_name(root.requirement.name)
        if name in published:
            kept.append(root)
        else:
            notes.append(f"{root.requirement.name}: not pinned, its egg has no good wheel (see the report)")
    return kept, notes


def galaxy_pins(ctx: RunContext, ini: EggsIni) -> None:
    """Galaxy's own format beside requirements.txt (issue 8)."""
    from migrate import galaxy

    report, path = ctx.report, ctx.out / galaxy.FILENAME
    try:
        report.galaxy_pins = galaxy.write_pinned_requirements(ini, report.records, path,
                                                              index_url=index_url(report.mirror),
                                                              hashes=ctx.options.hashes)
    except OSError as exc:
        problem = f"{path}: cannot write ({exc.strerror or exc})"
        report.pins_error = report.pins_error or problem
        ctx.say(f"pin: FAILED {problem}")
        return
    result = galaxy.pins_for(ini, report.records)
    ctx.say(f"pin: {len(result.pins)} Galaxy-style pins in {report.galaxy_pins}"
            + (f" ({len(result.unpinned)} eggs.ini eggs listed as comments: no_auto or no wheel)"
               if result.unpinned else ""))
