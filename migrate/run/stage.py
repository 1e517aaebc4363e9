"""What every stage of a run is given and adds to: the options, the report, the progress bars.

A stage (:mod:`~migrate.run.fetching`, :mod:`~migrate.run.converting`,
:mod:`~migrate.run.publishing`, :mod:`~migrate.run.pinning`) is a function of one
:class:`RunContext`. It tells people what it did through ``say`` (one line each)
and shows progress through a :class:`Bar`; drawing bars is the command layer's
job, so a stage only asks the context for one.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

from migrate.records import FAILED
from migrate.run import manifest
from migrate.run.recordlog import RecordLog
from migrate.wheels import ConvertOptions

if TYPE_CHECKING:  # not imported at run time: a run without --eggs-ini never reads one
    from migrate.fetch import FetchOptions
    from migrate.galaxy import EggsIni
    from migrate.mirror import PublishReport

STATE = ".state"  # OUT/.state: what each stage finished (docs/run.rst)


@dataclass(frozen=True)
class RunOptions:
    out: Path
    source: Optional[str] = None  # None: the bundled sample repository
    jobs: int = 2
    eggs_ini: Optional[Path] = None
    python: Optional[str] = None
    platforms: tuple[str, ...] = ()  # egg platforms to fetch (linux-x86_64-ucs4 ...)
    projects: tuple[str, ...] = ()
    convert: ConvertOptions = ConvertOptions()
    pin: tuple[str, ...] = ()  # requirements to pin; default: the eggs.ini pins, else every converted project
    target_python: Optional[str] = None  # pins target; default: what most converted wheels are for
    target_abi: Optional[str] = None
    target_platforms: tuple[str, ...] = ()
    pre: bool = False  # --pre: pins may pick pre-releases (as pip --pre)
    publish_broken: bool = False
    allow_shrink: bool = False  # the publish may remove half of the mirror or more
    join_py2_py3: bool = False  # pure py2 + py3 eggs with the same files -> one py2.py3 wheel
    base_url: Optional[str] = None
    hashes: bool = False  # --hashes: pinned-requirements.txt (eggs.ini) carries sha256 hashes too
    fetch_options: Optional[FetchOptions] = None
    repair: bool = False  # --repair: auditwheel repair for wheels linux_<arch> only because of their libraries


@dataclass
class RunReport:
    out: Path
    records: RecordLog = field(default_factory=RecordLog)  # on disk: memory stays flat in the number of eggs
    errors: list[str] = field(default_factory=list)  # one-line run-level errors (source, publish)
    gone: tuple[str, ...] = ()  # eggs the last run published that the source no longer lists (left the mirror)
    publish: Optional[PublishReport] = None  # None when skipped (unchanged)
    published: int = 0
    pins_file: Optional[Path] = None
    pins_error: Optional[str] = None
    galaxy_pins: Optional[Path] = None
    work: dict[str, int] = field(default_factory=dict)  # stage -> how many items were (re)done
    seconds: dict[str, float] = field(default_factory=dict)  # stage -> wall-clock seconds
    cpu: dict[str, float] = field(default_factory=dict)  # stage -> CPU seconds (this process and its finished workers)
    pins_count: int = 0
    target: Optional[str] = None  # what requirements.txt pins for, e.g. "CPython 2.7 (cp27mu) on ..."
    other_targets: tuple[str, ...] = ()  # ("3.10", ...): other Pythons the mirror has binary wheels for
    finished: bool = False  # False: stopped after fetch (source unreadable), OUT left as it was

    @property
    def counts(self) -> dict[str, int]:
        return manifest.counts(self.records)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.pins_error and self.counts[FAILED] == 0

    @property
    def mirror(self) -> Path:
        return self.out / "mirror"


class Bar:
    """One stage's progress: ``total`` items of some unit, of which ``update`` says how many are done.

    This one draws nothing; the command layer passes bars that do (``Bars``).
    """

    def add_total(self, n: int) -> None:
        """``n`` more items are expected."""

    def update(self, n: int = 1) -> None:
        """``n`` more items are done."""

    def close(self) -> None:
        pass


Bars = Callable[[str, int, str], Bar]  # (stage, total, unit) -> the stage's bar


@dataclass(frozen=True)
class RunContext:
    """One run: what it was asked, where it writes, what it has found so far, how it talks."""

    options: RunOptions
    ini: Optional[EggsIni]  # when --eggs-ini was given
    out: Path
    report: RunReport
    say: Callable[[str], None]
    bars: Optional[Bars] = None

    @property
    def state(self) -> Path:
        return self.out / STATE

    def bar(self, stage: str, total: int, unit: str) -> Bar:
        """The stage's progress bar (one that draws nothing when the caller gave no ``bars``)."""
        return self.bars(stage, total, unit) if self.bars else Bar()


def since(started: float) -> str:
    """`` in 1.2 s``: the time since ``started`` (``time.perf_counter()``), for a stage's line."""
    return f" in {time.perf_counter() - started:.1f} s"
