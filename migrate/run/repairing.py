"""``run --repair``: a converted wheel that is linux_<arch> only because of its libraries, repaired.

Done in the convert worker after the checks (they compare the wheel with its egg
byte for byte, and the repair rewrites the binaries' RPATHs), so the manifest,
the mirror and the pins see the repaired wheel (or the linux one, with a warning
saying why the repair did not happen).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from migrate import problems as P
from migrate.wheels import ConvertResult, repair_wheel

REPAIR_FAILED = "R001"  # run --repair: auditwheel could not repair the wheel; the linux_<arch> one is kept


def repaired_result(result: ConvertResult, dest: str) -> ConvertResult:
    """``result`` with its wheel repaired in ``dest`` when its tags say it can be; else unchanged."""
    if result.wheel is None or result.tags is None or not result.tags.repairable:
        return result
    outcome = repair_wheel(result.wheel, dest)
    if outcome.repaired is None:
        return replace(result, problems=result.problems + (P.warning(REPAIR_FAILED, outcome.message),))
    platform = Path(outcome.repaired).name[:-len(".whl")].rsplit("-", 1)[-1]
    why = f"auditwheel repair grafted in {', '.join(result.tags.external_libs) or 'the libraries'}"
    reasons = tuple((part, why if part == "platform" else text) for part, text in result.tags.reasons)
    tags = replace(result.tags, platform=platform, reasons=reasons, external_libs=(), repairable=False)
    return replace(result, wheel=outcome.repaired, tags=tags)
