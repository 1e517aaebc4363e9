"""After the swap: deleting what no generation in use refers to.

The previous generation stays whole for readers in the middle of a resolution, so what a
publish deletes is what only the generation before it referred to (that folder has just been
recycled). After a crash, a full sweep deletes every stored file, page and shard neither live
generation refers to: the files of a publish that never swapped in are known to no state.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from migrate.mirror.files import delete_wheel, overwrite, remove, unlink
from migrate.mirror.generation import Written
from migrate.mirror.layout import distro_dirs
from migrate.mirror.live import Live
from migrate.mirror.planning import Plan
from migrate.mirror.state import DIRTY, Row, gen


def collect_garbage(root: str, state_root: str, live: Live, plan: Plan, written: Written) -> None:
    """Delete what only the generation before the previous one referred to, and emptied distro folders."""
    sr, old = state_root, live.gen
    _delete(root, sr, written.garbage)
    if (live.crashed and old.known) or old.state.get("full_gc_next"):
        _full_gc(root, state_root, live, written)
        unlink(f"{sr}/{DIRTY}")
    _remove_emptied_distros(root, plan)
    keep = set(plan.distro_counts) | set(old.distros)
    for entry in os.scandir(sr):
        if entry.name.startswith("d-") and entry.name[2:] not in keep:
            remove(entry.path)
    overwrite(f"{sr}/{gen(old.number + 1)}/gc-done", b"")


def _delete(root: str, state_root: str, garbage: dict[str, list[Any]]) -> None:
    """The stored files, page folders and state shards of ``Written.garbage``."""
    for path in garbage["paths"]:
        delete_wheel(root, path)
    for index, sig in garbage["pages"]:
        remove(f"{state_root}/d-{index}/pages/{sig}" if index else f"{state_root}/pages/{sig}")
    for name in garbage["shards"]:
        unlink(f"{state_root}/state/{name}")


def _remove_emptied_distros(root: str, plan: Plan) -> None:
    """A distro index the next generation has no wheel for: its ``simple`` link and, once empty,
    its ``packages/`` and its folder."""
    for d in distro_dirs(Path(root)):
        if d.name not in plan.distro_counts:
            unlink(f"{d}/simple")
            for folder in (f"{d}/packages", str(d)):
                try:
                    os.rmdir(folder)
                except OSError:
                    pass


def _full_gc(root: str, state_root: str, live: Live, written: Written) -> None:
    """After a crash: delete every stored file, page and shard neither live generation refers to."""
    keep = set(written.new_paths)  # and every old row: the kept ones and the previous generation's
    for rest in live.rows.values():
        keep.update(Row.parse(rest).paths())
    _sweep_packages(Path(root), keep)
    sr, old = state_root, live.gen
    pages = written.page_refs | old.page_refs()
    indexes = [""] + [e.name[2:] for e in os.scandir(sr) if e.name.startswith("d-")]
    for index in indexes:
        store = f"{sr}/d-{index}/pages" if index else f"{sr}/pages"
        if os.path.isdir(store):
            for page in os.scandir(store):
                if (index, page.name) not in pages:
                    remove(page.path)
    shards = set(written.shards) | set(old.shards)
    if os.path.isdir(f"{sr}/state"):
        for entry in os.scandir(f"{sr}/state"):
            if entry.name not in shards:
                unlink(entry.path)


def _sweep_packages(root: Path, keep: set[str]) -> None:
    """Delete the files in ``packages/`` and ``<distro>/packages/`` not in ``keep`` (paths relative
    to the mirror root), and the folders that leaves empty."""
    for top in [root / "packages"] + [d / "packages" for d in distro_dirs(root)]:
        for dirpath, _dirs, files in os.walk(top, topdown=False):
            rel = os.path.relpath(dirpath, root).replace(os.sep, "/")
            for f in files:
                if f"{rel}/{f}" not in keep:
                    unlink(f"{dirpath}/{f}")
            if dirpath != str(top):
                try:
                    os.rmdir(dirpath)
                except OSError:
                    pass
