"""What fetching one egg came to (:class:`Result`, one row of the fetch manifest), and the
:class:`Progress` sink the downloads report to.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from migrate.fetch.listing import Link

DOWNLOADED = "downloaded"
VERIFIED = "already-verified"
SKIPPED = "skipped"
MISSING = "missing"
FAILED = "failed"


@dataclass(frozen=True)
class Result:
    """What happened to one egg (one row of the fetch manifest)."""

    filename: str
    url: Optional[str]
    status: str  # downloaded / already-verified / skipped / missing / failed
    path: Optional[Path] = None
    size: Optional[int] = None
    sha256: Optional[str] = None  # of the file; for a folder egg, of its sorted (path, sha256) list
    reason: str = ""  # why skipped / missing / failed
    note: str = ""  # what else to know: resumed, copied, hard-linked, compatible platform...
    selected: str = ""  # why this file was chosen, when not simply by its name (stable across runs)
    project: Optional[str] = None  # eggs.ini key or listing folder
    target: Optional[str] = None  # eggs.ini mode: ``py2.7-linux-x86_64-ucs4``

    @property
    def ok(self) -> bool:
        return self.status in (DOWNLOADED, VERIFIED, SKIPPED)


class Progress:
    """Progress sink; the default does nothing. The CLI passes tqdm bars on a terminal."""

    def add_files(self, n: int) -> None:
        """``n`` more eggs are expected."""

    def add_bytes(self, n: int) -> None:
        """``n`` bytes arrived (any egg, any thread)."""

    def done(self, result: Result) -> None:
        """One egg finished, whatever the outcome."""

    def close(self) -> None:
        pass


def failed(link: Link, reason: str) -> Result:
    """``link`` could not be fetched, and why."""
    return Result(link.filename, link.url, FAILED, reason=reason)
