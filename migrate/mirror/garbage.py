"""After the swap: deleting what no generation in use refers to.

The previous generation stays whole for readers in the middle of a resolution, so what a
publish deletes is what only the generation before it referred to (that folder has just been
recycled). After a crash, a full sweep deletes every stored file, page and shard neither live
generation refers to: the files of a publish that never swapped in are known to no state.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from migrate.mirror.files import delete_wheel, overwrite, remove, unlink
from migrate.mirror.generation import Written, page_refs
from migrate.mirror.journal import Journal, recorded
from migrate.mirror.live import Live
from migrate.mirror.planning import Plan
from migrate.mirror.state import DIRTY, STATE_DIR, Row, gen


def collect_garbage(root: str, state_root: str, live: Live, plan: Plan, written: Written, journal: Journal) -> None:
    """Delete what only the generation before the previous one referred to, and emptied distro folders.

    The files about to go are journaled first, so that an interrupted collection is finished by the
    next publish's sweep; the journal is emptied once nothing recorded in it is left to settle."""
    sr, old = state_root, live.gen
    journal.record(f"{root}/{p}" for path in written.garbage["paths"] for p in (path, f"{path}.metadata"))
    _delete(root, sr, written.garbage)
    full = (live.crashed and old.known) or old.state.get("full_gc_next")
    if full:
        _full_gc(root, state_root, live, plan, written)
        unlink(f"{sr}/{DIRTY}")
    takeover = not old.known and bool(old.number)  # an older layout's generation: it kept no journal
    if takeover:  # its wheels are the mirror's own: swept once its generation is no longer in use
        journal.record(f"{root}/{rel}" for rel in _wheel_names(Path(root), "packages"))
    elif full or not live.crashed:
        journal.clear()
    _remove_emptied_distros(root, sr, live, plan)
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


def _remove_emptied_distros(root: str, state_root: str, live: Live, plan: Plan) -> None:
    """A distro index the next generation has no wheel for: its ``simple`` link and, once empty,
    its ``packages/`` and its folder (only indexes this mirror made, only the link it made)."""
    for name in owned_distros(state_root, live):
        if name in plan.distro_counts:
            continue
        link = f"{root}/{name}/simple"
        if os.path.islink(link) and os.readlink(link) == f"../{STATE_DIR}/current/{name}/simple":
            unlink(link)
        for folder in (f"{root}/{name}/packages", f"{root}/{name}"):
            try:
                os.rmdir(folder)
            except OSError:
                pass


def owned_distros(state_root: str, live: Live) -> set[str]:
    """The distro indexes this mirror made: the live generation's, and those it keeps pages for."""
    found = set(live.gen.distros)
    try:
        found.update(e.name[2:] for e in os.scandir(state_root) if e.name.startswith("d-"))
    except OSError:
        pass
    return found


def _full_gc(root: str, state_root: str, live: Live, plan: Plan, written: Written) -> None:
    """After a crash: delete every stored file, page and shard neither live generation refers to."""
    keep = {p for _key, row in written.new_rows for p in row.paths()}  # and every old row's
    for rest in live.rows.values():
        keep.update(Row.parse(rest).paths())
    _sweep_packages(Path(root), keep, owned_distros(state_root, live), recorded(state_root))
    sr, old = state_root, live.gen
    pages = set(page_refs(plan.pages)) | set(page_refs(old.pages))
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




_OWN_FOLDER = re.compile(r"^(?:[0-9a-f]{16}|[0-9a-f]{64})$")  # packages/<sha256[:16]>/ or <sha256>/


def _sweep_packages(root: Path, keep: set[str], distros: set[str], recorded: set[str]) -> None:
    """Delete the files the journal recorded (``recorded``) that are not in ``keep`` (paths relative
    to the mirror root), in ``packages/`` and the distro indexes' ``packages/`` only, and the hash
    folders that leaves empty. A file the journal never recorded is not the mirror's to delete."""
    tops = ("packages/",) + tuple(f"{d}/packages/" for d in sorted(distros))
    for rel in sorted(recorded - keep):
        if not rel.startswith(tops):
            continue
        unlink(root / rel)
        folder = rel.rsplit("/", 1)[0]
        if _OWN_FOLDER.match(folder.rsplit("/", 1)[-1]):
            try:
                os.rmdir(root / folder)
            except OSError:
                pass


def _wheel_names(root: Path, top: str) -> list[str]:
    """Wheels and .metadata files in ``top`` and its hash folders (paths relative to the mirror root)."""
    found = []
    for entry in _entries(root / top):
        if entry.is_dir(follow_symlinks=False) and _OWN_FOLDER.match(entry.name):
            found += [f"{top}/{entry.name}/{e.name}" for e in _entries(Path(entry.path)) if _is_wheel_file(e)]
        elif _is_wheel_file(entry):
            found.append(f"{top}/{entry.name}")
    return found


def _is_wheel_file(entry: os.DirEntry) -> bool:
    return entry.name.endswith((".whl", ".whl.metadata")) and entry.is_file(follow_symlinks=False)


def _entries(folder: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as it:
            return list(it)
    except OSError:
        return []
