"""Problems found while reading, converting or checking: one value type for all."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

ERROR = "error"
WARNING = "warning"
INFO = "info"

# Codes a later stage acts on: the stage that reports one and the stage that reads it share the name.
WHEEL_NOT_WRITTEN = "C001"  # convert: writing the wheel failed (a full disk?): worth trying again
REQUIRES_ADDED = "M007"  # egginfo: Requires-Dist added from eggs.ini [dependencies]


@dataclass(frozen=True)
class Problem:
    """One finding. ``code`` is stable (documented in README); ``message`` is for people."""

    severity: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.code} {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"severity": self.severity, "code": self.code, "message": self.message}


def error(code: str, message: str) -> Problem:
    return Problem(ERROR, code, message)


def warning(code: str, message: str) -> Problem:
    return Problem(WARNING, code, message)


def info(code: str, message: str) -> Problem:
    return Problem(INFO, code, message)


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity == ERROR for p in problems)
