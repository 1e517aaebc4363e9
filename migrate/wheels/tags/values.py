"""The values the tag choosers share: the options, the chosen tags with their reasons, the refusal."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from migrate.errors import MigrateError
from migrate.problems import Problem

PLATFORM_MODES = ("auto", "manylinux", "linux", "distro")


class TagError(MigrateError, ValueError):
    """No correct tag can be chosen; the message says why and what to pass.

    ``problems``: the cross-check findings behind the refusal (a T012 OS disagreement), for the manifest.
    """

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()):
        super().__init__(message)
        self.problems = problems


@dataclass(frozen=True)
class TagOptions:
    platform_tag: str = "auto"  # auto | manylinux | linux | distro
    distro: Optional[str] = None  # "ubuntu:14.04"
    py2_unicode: Optional[str] = None  # "ucs2" | "ucs4"
    trust_name: bool = False
    universal: bool = False  # pure eggs: py2.py3 (the user vouches the code runs on both)


@dataclass(frozen=True)
class WheelTags:
    """A (possibly compressed) tag triple and why each part was chosen."""

    python: str
    abi: str
    platform: str
    reasons: tuple[tuple[str, str], ...] = ()  # (("python", why), ("abi", why), ("platform", why))
    external_libs: tuple[str, ...] = ()  # libraries the deployment must provide
    problems: tuple[Problem, ...] = field(default=())
    repairable: bool = False  # linux_<arch> only because of external libraries: `auditwheel repair` can fix it

    def __str__(self) -> str:
        return f"{self.python}-{self.abi}-{self.platform}"

    @property
    def is_pure(self) -> bool:
        return self.abi == "none" and self.platform == "any"

    def expanded(self) -> list[str]:
        """Every single tag of the compressed set, for WHEEL ``Tag:`` lines."""
        return [
            f"{py}-{abi}-{plat}"
            for py in self.python.split(".")
            for abi in self.abi.split(".")
            for plat in self.platform.split(".")
        ]

    def reason(self, part: str) -> str:
        return dict(self.reasons).get(part, "")

