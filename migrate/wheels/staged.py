"""``convert``'s side of one wheel name, one decision: staged wheels -> the output folder.

Each egg is converted into a staging folder (never straight into the output, where a later
egg would replace an earlier one's wheel), into a folder of its own there when another egg's
wheel has taken its wheel's name. :func:`settle` applies
:func:`~migrate.wheels.collisions.decide` in input order: a kept wheel is moved into the
output, a re-tagged one is made again with the python tag decided, an egg whose files
are the same as an earlier one's points at that wheel with a note, a refused egg gets
the one-line reason and no wheel.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Optional

from migrate import problems as P
from migrate.wheels.collisions import CLASH, KEEP, REFUSE, RETAG, SAME, Decision, claim_of, decide, payload_digest
from migrate.wheels.convert import ConvertOptions, ConvertResult, convert_egg, move_wheels

SAME_FILES = "C011"  # the (info) code of an egg whose wheel is an earlier egg's, byte for byte the same files


def settle(results: list[ConvertResult], options: ConvertOptions, staging: Path, dest: Path,
           join: bool = False) -> list[ConvertResult]:
    """The results after the decisions, in input order; the wheels kept made durable in one pass and
    moved from ``staging`` (written with ``sync=False``) into ``dest``. ``join``: see
    :func:`~migrate.wheels.collisions.decide`. Raises OSError when ``dest`` cannot take them."""
    decisions = decide([claim_of(r) for r in results], lambda i: payload_digest(str(results[i].wheel)), join)
    settled = [_apply(r, d, options, staging, n) for n, (r, d) in enumerate(zip(results, decisions))]
    kept = [n for n, (r, d) in enumerate(zip(settled, decisions))
            if d is not None and d.action in (KEEP, RETAG) and r.wheel is not None]
    for n, placed in zip(kept, move_wheels([settled[n] for n in kept], staging, dest)):
        settled[n] = placed
    for n, (r, d) in enumerate(zip(settled, decisions)):
        if d is not None and d.action == SAME and d.other is not None:
            first = settled[d.other]
            if first.wheel is None:  # the kept egg's wheel could not be made again
                missing = P.error("C001", f"{Path(r.egg).name}: {d.message}, but that wheel was not written")
                settled[n] = replace(r, wheel=None, problems=r.problems + (missing,))
                continue
            facts = replace(r.facts, tags=first.tags) if r.facts is not None else None
            settled[n] = replace(r, wheel=first.wheel, tags=first.tags, facts=facts)
    return settled


def _apply(result: ConvertResult, d: Optional[Decision], options: ConvertOptions, staging: Path, n: int) -> ConvertResult:
    """A re-tagged egg made again (in the staging folder, or ``<n>.again`` there when its new name is taken),
    a refused or duplicate one's wheel removed."""
    if d is None or d.action == KEEP:
        return result
    staged = Path(str(result.wheel))
    staged.unlink()
    if d.action == RETAG:
        return convert_egg(result.egg, staging, replace(options, python_tag=d.python, python_tag_why=d.message),
                           sync=False, aside=staging / f"{n}.again")
    if d.action == REFUSE:
        return replace(result, wheel=None, problems=result.problems + (P.error(CLASH, d.message),))
    return replace(result, problems=result.problems + (P.info(SAME_FILES, d.message),))


def note(result: ConvertResult) -> Optional[str]:
    """The note of an egg served by another egg's wheel; None for the others."""
    return next((p.message for p in result.problems if p.code == SAME_FILES), None)
