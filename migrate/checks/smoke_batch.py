"""Which wheels ``check --smoke`` installs together, and whose ``pip check`` line is whose.

pip's start-up is most of a smoke test's CPU: two pip runs a wheel (install, check), each
importing pip for most of a second before it does anything. Wheels for one interpreter
that cannot meet in a venv (no top-level name, data path or distribution name in common
with each other or with the base venv) share one venv, one ``pip install`` and one
``pip check``. Each is then imported in a venv of its own, a *view*: the base venv plus
only the files its RECORD lists in the shared venv (hard links), so no wheel's import
can be answered by another wheel's modules, as if it had been installed alone.
"""
from __future__ import annotations

import csv
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

from packaging.utils import canonicalize_name

from migrate.fsutil import link_or_copy, linked_copy

MAX_BATCH = 32  # wheels a pip run installs at most: enough to spread pip's start-up, few to redo on a failure
_LINE = re.compile(r"^(?P<name>\S+) (?P<version>\S+) (?P<rest>.+)$")
_HAS = re.compile(r"has requirement .*, but you have (?P<dep>\S+) \S+$")


@dataclass(frozen=True)
class Footprint:
    """What a wheel takes in a venv: its distribution (canonical name), its ``.dist-info`` folder,
    its top-level names in site-packages and its other data paths (``scheme/path``)."""

    name: str
    dist_info: Optional[str]
    taken: frozenset[str]


def footprint(wheel: Union[str, Path], name: str) -> Footprint:
    with zipfile.ZipFile(wheel) as zf:
        members = [n for n in zf.namelist() if not n.endswith("/")]
    dist_info = next((n.split("/", 1)[0] for n in members if n.split("/", 1)[0].endswith(".dist-info")), None)
    taken = set()
    for member in members:
        first, _, rest = member.partition("/")
        if first.endswith(".dist-info"):
            continue
        if first.endswith(".data"):
            scheme, _, inner = rest.partition("/")
            taken.add(_top(inner) if scheme in ("purelib", "platlib") else f"{scheme}/{inner}")
        else:
            taken.add(_top(member))
    return Footprint(canonicalize_name(name), dist_info, frozenset(taken))


def _top(path: str) -> str:
    """``pkg/mod.py`` -> ``pkg``; ``mod.cpython-310-x86_64-linux-gnu.so`` -> ``mod`` (one name to Python's import)."""
    first, slash, _ = path.partition("/")
    return first if slash else first.split(".", 1)[0]


def base_footprint(site_packages: Path) -> Footprint:
    """The base venv's distributions and top-level names: a wheel meeting them is installed alone."""
    names, taken = set(), set()
    for entry in site_packages.iterdir():
        if entry.name.endswith((".dist-info", ".egg-info")):
            names.add(canonicalize_name(entry.name.split("-", 1)[0].rsplit(".", 1)[0]))
        elif entry.name != "__pycache__":
            taken.add(_top(entry.name))
    return Footprint("", None, frozenset(taken | {f"dist:{n}" for n in names}))


def plan(members: Sequence[Footprint], base: Footprint, size: int) -> list[list[int]]:
    """Indexes of ``members`` in groups of at most ``size`` that can share a venv, first fit, in order.
    A wheel that meets the base venv, or has no ``.dist-info``, is a group of its own."""
    groups: list[tuple[list[int], set[str]]] = []
    alone: list[list[int]] = []
    for i, member in enumerate(members):
        taken = member.taken | {f"dist:{member.name}"}
        if member.dist_info is None or taken & base.taken:
            alone.append([i])
            continue
        for indexes, used in groups:
            if len(indexes) < size and not taken & used:
                indexes.append(i)
                used.update(taken)
                break
        else:
            groups.append(([i], set(taken)))
    return [indexes for indexes, _ in groups] + alone


def ignored(line: str) -> bool:
    """A ``pip check`` line that says nothing against the wheel: dependencies are left out on purpose."""
    return (not line or "which is not installed" in line or line.startswith("No broken requirements")
            or "DEPRECATION" in line or line.startswith("WARNING: pip is being invoked"))


def complaints(output: str, names: Iterable[str]) -> Optional[dict[str, list[str]]]:
    """``pip check``'s lines by the member (canonical name) each is about; None when a line is about none of
    them. A requirement on another member is left out too: installed alone, that member would be missing."""
    members = set(names)
    found: dict[str, list[str]] = {name: [] for name in members}
    for line in (raw.strip() for raw in output.splitlines()):
        if ignored(line):
            continue
        matched = _LINE.match(line)
        owner = canonicalize_name(matched["name"]) if matched else None
        if owner not in found:
            return None
        other = _HAS.search(line)
        if other and canonicalize_name(other["dep"]) in members:
            continue
        found[owner].append(line)
    return found


def view(shared: Path, base: Path, dist_info: str, dest: Path) -> Path:
    """A venv at ``dest``: a copy of ``base`` plus the files that ``dist_info``'s RECORD lists in the
    venv ``shared`` (hard links: pip replaces files, never writes into one). Returns its python."""
    records = list(shared.glob(f"lib/*/site-packages/{dist_info}/RECORD"))
    if len(records) != 1:
        raise OSError(f"{dist_info}/RECORD is not in the shared venv")
    site = records[0].parent.parent
    linked_copy(base, dest)
    with open(records[0], newline="", encoding="utf-8") as handle:
        rows = [row[0] for row in csv.reader(handle) if row]
    for row in rows:
        source = os.path.normpath(site / row)
        inside = os.path.relpath(source, shared)
        if inside.startswith(os.pardir) or not os.path.isfile(source):
            continue
        target = dest / inside
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            link_or_copy(source, target)
    return dest / "bin" / "python"
