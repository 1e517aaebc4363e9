"""The first step of a publish: the live generation as it finds it, and what an interrupted one left.

``open_live`` reads which generation ``current`` names, its state and rows, and clears the debris
of a publish that never swapped in (marking that a full sweep of unreferenced files is due).
``Live`` is what the later steps know of the mirror before this publish changes it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from migrate.mirror.files import overwrite, remove
from migrate.mirror.journal import pending
from migrate.mirror.layout import MirrorError
from migrate.mirror.pages import RENDERER
from migrate.mirror.state import (
    DIRTY,
    GEN,
    SHARDS,
    WORK,
    Gen,
    Pair,
    gen,
    read_gen,
    read_shards,
)


@dataclass(frozen=True)
class Live:
    """The live generation before this publish (``Gen()``, number 0, when there is none)."""

    gen: Gen
    folder: Optional[str]  # its folder, when its symlinks can be hard-linked into the next one
    rows: dict[str, str]  # source key -> row text, of every wheel it serves
    pairs: list[list[Pair]]  # per shard: its (source key, row text) pairs
    crashed: bool  # a publish was interrupted since the last full sweep
    rerender: bool  # its pages were made by another renderer or for another base URL


def open_live(state_root: str, base_url: Optional[str], clear: bool = True) -> Live:
    """Read the live generation, its rows, and clear what an interrupted publish left (unless not ``clear``)."""
    number = _live_number(state_root)
    old = read_gen(state_root, number) if number else Gen()
    folder = f"{state_root}/{gen(number)}" if number and old.known else None
    crashed = _clear_debris(state_root, number) if clear else False
    rows: dict[str, str] = {}
    pairs: list[list[Pair]] = [[] for _ in range(SHARDS)]
    if old.known and number:
        try:
            rows, pairs = read_shards(state_root, old.shards)
        except (OSError, ValueError, UnicodeDecodeError):
            old = Gen(number, {}, None, known=False)
    same_pages = old.state.get("renderer") == RENDERER and old.state.get("base_url") == base_url
    return Live(old, folder, rows, pairs, crashed, rerender=not (old.known and same_pages))


def _live_number(state_root: str) -> int:
    """The number of the generation ``current`` names; 0 when there is none."""
    try:
        target = os.readlink(f"{state_root}/current")
    except FileNotFoundError:
        return 0
    except OSError as exc:
        raise MirrorError(f"{state_root}/current: {exc.strerror or exc}") from None
    m = GEN.match(target)
    if not m:
        raise MirrorError(f"{state_root}/current: unexpected target {target!r}")
    return int(m.group(1))


def _clear_debris(state_root: str, number: int) -> bool:
    """Remove generations other than the live one and the one before it, and the unfinished next
    one; True when a publish was interrupted (then the mark that a full sweep is due is left)."""
    sr = state_root
    stale = [e.path for e in os.scandir(sr) if GEN.match(e.name) and int(e.name[4:]) not in (number, number - 1)]
    # Files of a publish that never swapped in are known to no state: a full sweep finds them.
    # The mark stays until that sweep is done, even if this publish is interrupted too.
    crashed = (os.path.lexists(f"{sr}/{WORK}") or os.path.lexists(f"{sr}/{DIRTY}") or pending(sr)
               or any(int(os.path.basename(p)[4:]) > number for p in stale))
    if crashed:
        overwrite(f"{sr}/{DIRTY}", b"")
    for path in stale + [e.path for e in os.scandir(sr) if e.name.startswith(".current.tmp-")]:
        remove(path)
    remove(f"{sr}/{WORK}")
    return crashed
