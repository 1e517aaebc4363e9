"""Writing the next generation beside the live one: ``.egg-migrate/next.tmp``, renamed ``gen-N`` at the swap.

``prepare_next`` makes its folder before the first new file of a publish (so its presence marks a
crash), recycling the generation before the live one: its readers have had a whole publish to
finish. ``write_generation`` then changes only the project symlinks that differ, writes the root
pages, the state shards that changed, and the generation's own ``state.json`` and ``pages`` files,
which also say what the next publishes may delete.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Iterable, Iterator, Optional

from migrate.mirror.files import Placer, overwrite, remove, replace_symlink, unlink
from migrate.mirror.given import Given
from migrate.mirror.live import Live
from migrate.mirror.pages import RENDERER, root_html, root_json
from migrate.mirror.pagetable import PageTable
from migrate.mirror.planning import Plan
from migrate.mirror.state import SCHEMA, SHARDS, WORK, PageRef, Row, gen, read_gen


@dataclass(frozen=True)
class Recycled:
    """What the recycled folder (the generation before the live one) already holds."""

    pages: PageTable = field(default_factory=PageTable)  # project -> (the sig its symlinks name, distro indexes)
    distros: set[str] = field(default_factory=set)  # its distro indexes


@dataclass(frozen=True)
class Written:
    """What the new generation refers to, and what the publish deletes once it is live."""

    shards: list[str]  # the names of its 64 state shards ("" for an empty one)
    new_rows: Iterable[tuple[str, Row]]  # the rows of the wheels read this time (their stored files)
    # {"paths": [path], "pages": [(index, sig)], "shards": [name]} (pages as JSON lists once read back):
    released: dict[str, list[Any]]  # what the live generation refers to and this one does not
    garbage: dict[str, list[Any]]  # what only the generation before the live one referred to


def prepare_next(root: str, state_root: str, live: Live, dirs: set[str]) -> Recycled:
    """Make the folder of the next generation (before any new file: its presence marks a crash).

    The generation before the live one is recycled: only the symlinks that differ are changed.
    """
    sr, work, number = state_root, f"{state_root}/{WORK}", live.gen.number
    recycled = Recycled()
    before = f"{sr}/{gen(number - 1)}" if number > 1 else None
    if before and os.path.isdir(before):
        prev = read_gen(sr, number - 1)
        if prev.known:
            os.rename(before, work)
            recycled = Recycled(prev.pages, set(prev.distros))  # a sig names its renderer and base URL too
        else:
            remove(before)
    if not os.path.isdir(work):
        os.mkdir(work)
        os.mkdir(f"{work}/simple")
    os.makedirs(f"{root}/packages", exist_ok=True)
    dirs.add(sr)
    return recycled


def write_generation(state_root: str, live: Live, given: Given, plan: Plan, recycled: Recycled, placer: Placer,
                     base_url: Optional[str]) -> Written:
    """Fill the next generation's folder; nothing a reader sees changes until it is swapped in."""
    work = f"{state_root}/{WORK}"
    _link_projects(work, live, plan, recycled, placer.dirs)
    _write_root_pages(work, plan, placer)
    shards = _write_shards(state_root, live, plan, placer)
    written = _references(state_root, live, given, plan, shards)
    state = {
        "schema": SCHEMA, "renderer": RENDERER, "base_url": base_url,
        "files": given.files, "projects": len(plan.pages), "distros": plan.distro_counts,
        "shards": shards, "released": written.released, "garbage": written.garbage,
        # an older or unreadable live state: what it referred to is unknown until it is the previous one
        "full_gc_next": not live.gen.known and bool(live.gen.number),
    }
    _write_state(work, state, plan.pages, placer)
    return written


def _index_folder(work: str, index: str) -> str:
    return f"{work}/{index}/simple" if index else f"{work}/simple"


def _link_projects(work: str, live: Live, plan: Plan, recycled: Recycled, dirs: set[str]) -> None:
    """``simple/<project>`` (and ``<distro>/simple/<project>``) -> its page, where the recycled folder differs."""
    for d in recycled.distros - set(plan.distros):
        remove(f"{work}/{d}")
    for d in plan.distros:
        if d not in recycled.distros:
            os.makedirs(f"{work}/{d}/simple", exist_ok=True)
            dirs.add(f"{work}/{d}")
    touched = set()
    for project, (sig, idx) in plan.pages.items():
        for index in ("",) + idx:
            if not recycled.pages.refers(project, index, sig):
                folder = _index_folder(work, index)
                _link_page(live, folder, index, project, sig)
                touched.add(folder)
    for project, (_sig, linked) in recycled.pages.items():
        page = plan.pages.get(project)
        for index in ("",) + linked:
            wanted = page is not None and (not index or index in page[1])
            if not wanted and (not index or index in plan.distro_counts):
                folder = _index_folder(work, index)
                unlink(f"{folder}/{project}")
                touched.add(folder)
    dirs |= touched


def _link_page(live: Live, folder: str, index: str, project: str, sig: str) -> None:
    """``simple/<project>`` -> its page folder.

    A new symlink costs a new inode (up to 0.2 ms on a busy disk); when the live generation shows
    the same page, a hard link of its symlink (link(2) does not follow it) shares that inode, so a
    generation made from scratch costs one cheap link per unchanged project.
    """
    path = f"{folder}/{project}"
    shown = live.gen.pages.get(project)
    if shown is not None and shown[0] == sig and (not index or index in shown[1]) and live.folder:
        source = f"{live.folder}/{index}/simple/{project}" if index else f"{live.folder}/simple/{project}"
        for _attempt in (1, 2):
            try:
                os.link(source, path, follow_symlinks=False)
                return
            except FileExistsError:
                remove(path)
            except (OSError, NotImplementedError):  # no hard links of symlinks here
                break
    replace_symlink(path, _link_target(index, sig))


def _link_target(index: str, sig: str) -> str:
    """Relative to ``gen-N/simple/`` (``gen-N/<distro>/simple/``)."""
    return f"../../../d-{index}/pages/{sig}" if index else f"../../pages/{sig}"


def _write_root_pages(work: str, plan: Plan, placer: Placer) -> None:
    """``index.html`` and ``index.json`` of ``simple/`` and of each distro index: every project it lists."""
    for index in [""] + plan.distros:
        folder = _index_folder(work, index)
        def projects() -> Iterator[str]:
            return (p for p, (_sig, idx) in plan.pages.sorted_items() if not index or index in idx)

        overwrite(f"{folder}/index.html", (piece.encode("utf-8") for piece in root_html(projects())))
        overwrite(f"{folder}/index.json", (piece.encode("utf-8") for piece in root_json(projects())))
        placer.files += [f"{folder}/index.html", f"{folder}/index.json"]
        placer.dirs.add(folder)


def _write_shards(state_root: str, live: Live, plan: Plan, placer: Placer) -> list[str]:
    """Write the state shards that changed (named by the hash of their bytes); returns all 64 names."""
    sr = state_root
    shards = live.gen.shards if live.gen.known else [""] * SHARDS
    os.makedirs(f"{sr}/state", exist_ok=True)
    placer.dirs.add(f"{sr}/state")
    for i, pairs in plan.shard_pairs.items():
        if not pairs:
            shards[i] = ""
            continue
        text = "\n".join([k for k, _t in pairs] + [t for _k, t in pairs]).encode("utf-8")
        name = hashlib.sha256(text).hexdigest()[:32]
        if name != shards[i]:
            try:
                placer.new_file(f"{sr}/state/{name}", text)
            except FileExistsError:
                pass  # same bytes under the same hash
            shards[i] = name
    return shards


def _references(state_root: str, live: Live, given: Given, plan: Plan, shards: list[str]) -> Written:
    """What the new generation refers to; what the live one released; what is garbage after the swap.

    Worked out without a set of every path and page the new generation refers to: the candidates
    (what was removed, what the state lists) are few, and the new rows and pages are walked past them."""
    old = live.gen
    # What the live generation refers to and this one does not: deleted after the next swap.
    released: dict[str, list[Any]] = {
        "paths": sorted(_not_in_rows({p for r in plan.removed_rows for p in r.paths()[::2]}, given.new_rows)),
        "pages": sorted(_released_pages(old.pages, plan.pages)) if old.known else [],
        "shards": sorted(set(old.shards) - set(shards) - {""}) if old.known else [],
    }
    # What only the generation before the live one referred to: deleted right after this swap
    # (and again by the next publish if this one is interrupted before it is done).
    garbage: dict[str, list[Any]] = {"paths": [], "pages": [], "shards": []}
    if old.known and old.number:
        sources = [old.state.get("released", {})]
        if not os.path.exists(f"{state_root}/{gen(old.number)}/gc-done"):
            sources.append(old.state.get("garbage", {}))
        paths: set[str] = {x for src in sources for x in src.get("paths", [])}
        pages: set[PageRef] = {(x[0], x[1]) for src in sources for x in src.get("pages", [])}
        garbage["paths"] = sorted(_not_in_rows(paths, given.new_rows))
        garbage["pages"] = sorted(pages.difference(page_refs(plan.pages)) if pages else ())
        garbage["shards"] = sorted({x for src in sources for x in src.get("shards", [])} - set(shards))
    return Written(shards, given.new_rows, released, garbage)


def _not_in_rows(paths: set[str], rows: Iterable[tuple[str, Row]]) -> set[str]:
    """The ``paths`` no row in ``rows`` keeps alive."""
    if paths:
        for _key, row in rows:
            paths.difference_update(row.paths())
    return paths


def page_refs(pages: PageTable) -> Iterator[PageRef]:
    """The page folders a generation's pages refer to, one at a time."""
    for sig, idx in pages.values():
        for index in ("",) + idx:
            yield index, sig


def _released_pages(old: PageTable, new: PageTable) -> set[PageRef]:
    """The page folders of ``old`` that ``new`` does not refer to. A sig is a hash of a project's
    rows, which name the project: no two projects share one, so projects are compared one by one."""
    released: set[PageRef] = set()
    for project, (sig, idx) in old.items():
        now = new.get(project)
        for index in ("",) + idx:
            if now is None or now[0] != sig or (index and index not in now[1]):
                released.add((index, sig))
    return released


def _write_state(work: str, state: dict[str, Any], pages: PageTable, placer: Placer) -> None:
    """The generation's ``state.json`` and ``pages`` files (``state.read_gen`` reads them)."""
    overwrite(f"{work}/state.json", json.dumps(state, separators=(",", ":")).encode("utf-8"))
    lines = (f"{p}\t{sig}\t{','.join(idx)}\n" for p, (sig, idx) in pages.sorted_items())
    pieces = iter(lambda: "".join(islice(lines, 512)).encode("utf-8"), b"")  # 512 lines a write
    overwrite(f"{work}/pages", pieces if len(pages) else b"\n")
    unlink(f"{work}/gc-done")
    placer.files += [f"{work}/state.json", f"{work}/pages"]
    placer.dirs.add(work)
