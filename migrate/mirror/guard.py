"""What a publish checks before it writes anything, and what ``--dry-run`` shows instead of writing.

A publish is a sync: the wheels it is not given leave the mirror. A sync given nothing, or under
half of what the mirror serves, is far more often a mistyped folder or a failed build than an
intent, so it is refused unless ``allow_shrink``; the message names what would go. A folder of
the user's where an index link must go (``MIRROR/<distro>/simple/``) is refused before the first
write, not found after the swap.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Optional, Sequence

from migrate.mirror.distro import distro_of
from migrate.mirror.layout import MirrorError
from migrate.mirror.live import Live


class ShrinkRefused(MirrorError):
    """The publish would remove most of the mirror (one line, names the mirror and what would go)."""


def served(live: Live) -> dict[str, str]:
    """{file name: sha256} of every wheel the live generation serves."""
    out = {}
    for text in live.rows.values():
        fields = text.split("\t", 4)
        out[fields[0]] = fields[3]
    return out


def check_shrink(root: str, live: Live, wheels: Sequence[str]) -> None:
    """Refuse a sync given nothing, or under half of the wheels the mirror serves."""
    serving = len(live.rows)  # one row per file name served
    if not serving:
        return  # nothing served: nothing to remove
    given = {_name(w) for w in wheels}
    if given and len(given) >= serving / 2:
        return  # what it would remove is not the half: the names served are not needed
    now = served(live)
    going = sorted(set(now) - given)
    if going and (not given or len(given) < len(now) / 2):
        raise ShrinkRefused(f"{root}: this publish would remove {len(going)} of {len(now)} wheels "
                            f"({_some(going)}) and is given {len(given)}; give --allow-shrink to publish "
                            "it anyway, or --add to add without removing")


def _name(path: str) -> str:
    """``os.path.basename``, without its call per wheel."""
    return path.rpartition(os.sep)[2]


def _some(names: list[str], shown: int = 5) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def check_folders(mirror: Path, wheels: Iterable[str]) -> None:
    """Refuse up front when a file or folder not made by publish stands where an index link goes."""
    places = [mirror / "simple"]
    for wheel in wheels:
        # the platform tag (a "/" in what the last "-" leaves means the file name has no "-": no tag)
        distro = distro_of(wheel[:-4].rpartition("-")[2]) if wheel.endswith(".whl") else None
        if distro is not None:
            places.append(mirror / distro / "simple")
    for place in dict.fromkeys(places):
        if os.path.lexists(place) and not place.is_symlink():
            raise MirrorError(f"{place}: a folder not made by egg-migrate publish is where its index goes; "
                              "move it, or choose an empty or egg-migrate mirror folder")
        if place.parent != mirror and os.path.lexists(place.parent) and not place.parent.is_dir():
            raise MirrorError(f"{place.parent}: a file not made by egg-migrate publish is where an index goes")


def preview(live: Live, wheels: Sequence[str], add: bool) -> tuple[list[str], list[str]]:
    """(file names that would be added, file names that would be removed), without reading a wheel.

    A name the mirror serves counts as unchanged: a changed file under a served name is found only
    when it is read."""
    now = served(live)
    given = {_name(w) for w in wheels}
    added = sorted(given - set(now))
    removed = [] if add else sorted(set(now) - given)
    return added, removed


def refused_by_add(found_sha: str, filename: str, now: Optional[str]) -> Optional[str]:
    """With ``--add``: why a wheel is refused (its name is served with other bytes), else None."""
    if now is None or now == found_sha:
        return None
    return f"{filename}: the mirror serves another file of this name; --add never replaces one (publish it " \
           "under a new version, or sync without --add)"
