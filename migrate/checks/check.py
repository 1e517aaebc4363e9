"""One wheel -> a list of problems, each with a severity and a stable code.

What a packaging expert would assemble from ``twine check``,
``check-wheel-contents``, installer's RECORD validation and ``auditwheel show``,
plus what only the converter knows: the egg the wheel came from. The checks
live one area per module in ``migrate.checks``; ``docs/check.rst`` lists the
codes. ``check_wheel`` never raises for a bad wheel.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Iterable, Optional, Union

from migrate import problems as P
from migrate.checks import binaries, encoding, metadata, names, record, smells, source, wheelinfo, zipsafety
from migrate.checks.reader import OpenWheel, UnreadableWheel
from migrate.errors import MigrateError
from migrate.problems import Problem

if TYPE_CHECKING:
    from migrate.checks.smoke import SmokeResult
    from migrate.wheels import EggFacts

CHECKS = (names, zipsafety, record, metadata, encoding, wheelinfo, binaries, smells)


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one wheel."""

    wheel: str
    problems: tuple[Problem, ...] = field(default=())
    source_egg: Optional[str] = None
    smoke: Optional[SmokeResult] = None  # when --smoke ran

    def with_smoke(self, smoke: SmokeResult) -> CheckResult:
        """This result plus an install-and-import verdict (its problems join the list)."""
        return replace(self, problems=self.problems + tuple(smoke.problems), smoke=smoke)

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == P.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if p.severity == P.WARNING)

    @property
    def ok(self) -> bool:
        return self.errors == 0

    @property
    def status(self) -> str:
        return "errors" if self.errors else "warnings" if self.warnings else "ok"

    @property
    def codes(self) -> list[str]:
        return sorted({p.code for p in self.problems if p.severity != P.INFO})

    def as_dict(self) -> dict[str, Any]:
        return {
            "wheel": self.wheel,
            "status": self.status,
            "errors": self.errors,
            "warnings": self.warnings,
            "source_egg": self.source_egg,
            "problems": [p.as_dict() for p in self.problems],
            "smoke": _smoke_summary(self.smoke),
        }


def _smoke_summary(smoke: Optional[SmokeResult]) -> Optional[dict[str, Any]]:
    if smoke is None:
        return None
    record = smoke.as_dict()
    record.pop("problems", None)  # they are in the result's own list
    record.pop("wheel", None)
    return record


def check_wheel(path: Union[str, Path], source_egg: Union[str, Path, None] = None,
                facts: Optional[EggFacts] = None) -> CheckResult:
    """Run every static check on one wheel (and against its egg, when given).

    ``facts``: the ``EggFacts`` the converter read from ``source_egg``, so it is not read twice.
    """
    path = Path(path)
    found: list[Problem] = []
    try:
        with OpenWheel(path) as w:
            for module in CHECKS:
                found += _run(module, w)
            if source_egg is not None:
                found += _run(source, w, source_egg, facts)
    except UnreadableWheel as exc:
        found = [P.error("W001", f"{path.name}: {exc}")]
    return CheckResult(str(path), tuple(found), str(source_egg) if source_egg is not None else None)


def _run(module: ModuleType, *args: Any) -> list[Problem]:
    """A bug in one check must not hide the others' findings: it becomes a W002 error."""
    try:
        return module.check(*args)
    except Exception as exc:  # noqa: BLE001
        area = module.__name__.rsplit(".", 1)[-1]
        return [P.error("W002", f"the {area} check failed ({type(exc).__name__}: {exc}); please report it")]


def find_wheels(arguments: Iterable[str]) -> tuple[list[Path], list[str]]:
    """(wheel paths, errors): ``.whl`` files, and folders searched for them."""
    wheels: list[Path] = []
    errors: list[str] = []
    for arg in arguments:
        path = Path(arg)
        if path.is_dir():
            found = sorted(Path(d) / f for d, _, files in os.walk(path) for f in files if f.endswith(".whl"))
            if not found:
                errors.append(f"{arg}: no wheels found in this folder")
            wheels += found
        elif not path.exists():
            errors.append(f"{arg}: no such file or folder")
        elif path.name.endswith(".whl"):
            wheels.append(path)
        else:
            errors.append(f"{arg}: not a wheel (expected a .whl file or a folder)")
    return list(dict.fromkeys(wheels)), errors


class BadManifest(MigrateError, ValueError):
    """A manifest that cannot be read; the message names the file and the reason."""


def eggs_from_manifest(path: Union[str, Path]) -> dict[str, Path]:
    """{wheel file name: egg path} from a manifest.json (or ``convert --json`` output).

    Accepts a list of records or an object holding one under ``eggs``,
    ``records`` or ``results``; a record names its egg under ``egg`` and its
    wheel under ``wheel_path`` or ``wheel``. Relative egg paths are taken
    relative to the manifest's folder when they do not exist as given.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise BadManifest(f"{path}: cannot read the manifest ({exc})") from None
    if isinstance(data, dict):
        data = next((data[k] for k in ("eggs", "records", "results") if isinstance(data.get(k), list)), None)
    if not isinstance(data, list):
        raise BadManifest(f"{path}: no list of records in the manifest")
    found = {}
    for record_ in data:
        if not isinstance(record_, dict):
            continue
        egg = record_.get("egg")
        wheel = record_.get("wheel_path") or record_.get("wheel")
        if isinstance(wheel, dict):
            wheel = wheel.get("path") or wheel.get("filename")
        if isinstance(egg, dict):
            egg = egg.get("path") or egg.get("file")
        if not isinstance(egg, str) or not isinstance(wheel, str):
            continue
        egg_path = Path(egg)
        if not egg_path.is_absolute() and not egg_path.exists():
            egg_path = path.parent / egg_path
        found[Path(wheel).name] = egg_path
    return found
