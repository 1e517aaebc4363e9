"""Progress bars on stderr, drawn only when it is a terminal: the one place subcommands make them.

``progress`` wraps an iterable (``convert``, ``check``); ``bar`` is one tqdm bar (``fetch``
draws two); ``stage_bars`` gives ``run`` a bar per stage (``migrate.run.stage.Bars``).
tqdm is imported only when a bar is drawn (with ``import_module``: it ships no type hints).
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from importlib import import_module
from typing import Callable, Iterator, Optional

from migrate.commands.common import quiet


def on_terminal() -> bool:
    """Bars are drawn on a terminal, and not under ``-q`` (pip's rule too)."""
    return sys.stderr.isatty() and not quiet()


def bar(desc: str, total: Optional[int] = None, unit: str = "egg", **options):
    """A tqdm bar on stderr that disappears when closed."""
    tqdm = import_module("tqdm").tqdm
    return tqdm(desc=desc, total=total, unit=unit, leave=False, file=sys.stderr, **options)


def progress(items, desc: str, total: Optional[int] = None, unit: str = "egg"):
    """``items``, drawn as a bar while they are consumed when stderr is a terminal."""
    return bar(desc, total, unit, iterable=items) if on_terminal() else items


class StageBar:
    """One stage of ``run`` (``migrate.run.stage.Bar``): a bar whose total can grow."""

    def __init__(self, stage: str, total: int, unit: str):
        self.bar = bar(stage, total, unit)

    def add_total(self, n: int) -> None:
        self.bar.total = (self.bar.total or 0) + n
        self.bar.refresh()

    def update(self, n: int = 1) -> None:
        self.bar.update(n)

    def close(self) -> None:
        self.bar.close()


def stage_bars():
    """``run``'s bar maker when stderr is a terminal, else None (no bars)."""
    return StageBar if on_terminal() else None


class PublishBar:
    """``publish``'s bar (a ``migrate.mirror.PublishProgress``): one step per wheel sorted, so it moves
    while wheels are read and placed; drawn only on a terminal."""

    def __init__(self):
        self.bar = None

    def start(self, total: int) -> None:
        if on_terminal():
            self.bar = bar("publish", total, "wheel", mininterval=0.2)

    def step(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def publish_bar() -> PublishBar:
    return PublishBar()


@contextmanager
def resolving(unit: str = "project") -> Iterator[Optional[Callable[[int, int], None]]]:
    """A ``progress`` callback for ``pins.pin`` that draws a "pin" bar, or None off a terminal."""
    if not on_terminal():
        yield None
        return
    from migrate.pins import BarProgress

    stage = StageBar("pin", 0, unit)
    try:
        yield BarProgress(stage)
    finally:
        stage.close()

