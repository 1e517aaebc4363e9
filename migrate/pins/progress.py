"""``pin()``'s progress reports (projects pinned, projects known) turned into a bar's steps.

The total is not known up front: dependencies turn up as projects are pinned, so the
bar's total grows (``add_total``) while its count moves (``update``).
"""
from __future__ import annotations

from typing import Protocol


class GrowingBar(Protocol):
    def add_total(self, n: int) -> None: ...

    def update(self, n: int = 1) -> None: ...


class BarProgress:
    """A ``progress(done, total)`` callable for :func:`migrate.pins.pin` that moves ``bar``."""

    def __init__(self, bar: GrowingBar, total: int = 0):
        self.bar, self.done, self.total = bar, 0, total

    def __call__(self, done: int, total: int) -> None:
        if total > self.total:
            self.bar.add_total(total - self.total)
            self.total = total
        if done > self.done:
            self.bar.update(done - self.done)
            self.done = done
