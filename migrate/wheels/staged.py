"""``convert``'s side of one wheel name, one decision: staged wheels -> the output folder.

Each egg is converted into a staging folder of its own (never straight into the output,
where a later egg would replace an earlier one's wheel). :func:`settle` applies
:func:`~migrate.wheels.collisions.decide` in input order: a kept wheel is moved into the
output, a re-tagged one is made again with the python tag decided, an egg whose files
are the same as an earlier one's points at that wheel with a note, a refused egg gets
the one-line reason and no wheel.
"""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Optional

from migrate import problems as P
from migrate.wheels.collisions import CLASH, KEEP, REFUSE, RETAG, SAME, Decision, claim_of, decide, payload_digest
from migrate.wheels.convert import ConvertOptions, ConvertResult, convert_egg

SAME_FILES = "C011"  # the (info) code of an egg whose wheel is an earlier egg's, byte for byte the same files


def settle(results: list[ConvertResult], options: ConvertOptions, dest: Path, join: bool = False) -> list[ConvertResult]:
    """The results after the decisions, in input order; kept wheels moved from staging into ``dest``.
    ``join``: see :func:`~migrate.wheels.collisions.decide`."""
    decisions = decide([claim_of(r) for r in results], lambda i: payload_digest(str(results[i].wheel)), join)
    settled: list[ConvertResult] = []
    for r, d in zip(results, decisions):
        settled.append(_apply(r, d, options, dest))
    for n, (r, d) in enumerate(zip(settled, decisions)):
        if d is not None and d.action == SAME and d.other is not None:
            kept = settled[d.other]
            if kept.wheel is None:  # the kept egg's wheel could not be written after all
                missing = P.error("C001", f"{Path(r.egg).name}: {d.message}, but that wheel was not written")
                settled[n] = replace(r, wheel=None, problems=r.problems + (missing,))
                continue
            facts = replace(r.facts, tags=kept.tags) if r.facts is not None else None
            settled[n] = replace(r, wheel=kept.wheel, tags=kept.tags, facts=facts)
    return settled


def _apply(result: ConvertResult, d: Optional[Decision], options: ConvertOptions, dest: Path) -> ConvertResult:
    if d is None:
        return result
    staged = Path(str(result.wheel))
    if d.action == RETAG:
        staged.unlink()
        result = convert_egg(result.egg, staged.parent, replace(options, python_tag=d.python, python_tag_why=d.message))
        if not result.ok:
            return result
    if d.action in (KEEP, RETAG):
        placed = dest / Path(str(result.wheel)).name
        try:
            os.replace(str(result.wheel), placed)
        except OSError as exc:
            failed = P.error("C001", f"{Path(result.egg).name}: cannot write {placed} ({exc.strerror or exc})")
            return replace(result, wheel=None, problems=result.problems + (failed,))
        return replace(result, wheel=str(placed))
    staged.unlink()
    if d.action == REFUSE:
        return replace(result, wheel=None, problems=result.problems + (P.error(CLASH, d.message),))
    return replace(result, problems=result.problems + (P.info(SAME_FILES, d.message),))


def note(result: ConvertResult) -> Optional[str]:
    """The note of an egg served by another egg's wheel; None for the others."""
    return next((p.message for p in result.problems if p.code == SAME_FILES), None)
