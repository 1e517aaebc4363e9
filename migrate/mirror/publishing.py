"""``publish()``: the steps of one publish, from reading the live generation to collecting garbage.

Under the mirror's lock, one ``_Publish`` reads the live generation and its state, sorts the
wheels given into known and new, places the new files (in a process pool when there are
thousands), renders the pages that do not exist yet, writes the next generation beside the live
one, swaps ``current`` with one rename, and then deletes what no generation in use refers to.
The package docstring (``migrate/mirror/__init__.py``) says why it is shaped this way.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from migrate import problems as P
from migrate.fsutil import fsync_dir
from migrate.mirror.distro import retag
from migrate.mirror.files import (
    Placer,
    delete_wheel,
    ensure_symlink,
    overwrite,
    point,
    read_wheels,
    remove,
    render_pages,
    replace_symlink,
    sha256_or_none,
    sync,
    unlink,
    write_page,
)
from migrate.mirror.layout import MirrorError, check_layout, distro_dirs, link_indexes, lock
from migrate.mirror.pages import RENDERER, project_pages, render_root
from migrate.mirror.state import GEN, SCHEMA, SHARDS, STATE_DIR, UNSAFE, Gen, Row, gen, read_gen, read_shards, shard
from migrate.mirror.wheels import BadWheel, Wheel, inspect, read
from migrate.parallel import bounded_map, paused_gc

_WORK = "next.tmp"  # the generation being made; still there at the start of a publish = the last one crashed
_DIRTY = "sweep-needed"  # left by a crash until a full sweep of unreferenced files is done
_POOL_MIN = 2000  # new wheels worth starting a process pool for
_PER_TASK = 512  # wheels per pool task (pages: an eighth of that)


@dataclass(frozen=True)
class PublishReport:
    mirror: str
    files: int  # wheel files listed in simple/
    projects: int
    distros: tuple  # distro index names
    added: tuple  # filenames newly read this time
    removed: tuple  # filenames no longer published
    pages_written: int  # project pages rendered
    pages_reused: int  # project pages kept from an earlier publish
    problems: tuple = field(default=())
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not P.has_errors(self.problems)


def publish(wheels: Iterable, mirror_dir, base_url: Optional[str] = None, durable: bool = True,
            link: bool = False, jobs: int = 1) -> PublishReport:
    """Make ``mirror_dir`` serve exactly ``wheels`` (a sync, not an append); atomic, incremental.

    ``durable``: flush new files before the swap (survives power loss, not only crashes).
    ``link``: hard-link wheels into packages/ instead of copying them (cheaper; only for wheel
    folders whose files are replaced by rename, never rewritten in place, as ``egg-migrate
    convert`` does).
    ``jobs``: processes that read and place new wheels and write pages when there are many.
    """
    started = time.perf_counter()
    mirror = Path(os.path.abspath(mirror_dir))
    base_url = base_url.rstrip("/") + "/" if base_url else None
    mirror.mkdir(parents=True, exist_ok=True)
    check_layout(mirror)
    state_root = mirror / STATE_DIR
    state_root.mkdir(exist_ok=True)
    with lock(state_root / "lock"), paused_gc():
        report = _Publish(mirror, base_url, durable, link, jobs).run(wheels)
    return _replace(report, mirror=str(Path(mirror_dir)), seconds=time.perf_counter() - started)


def _replace(report: PublishReport, **changes) -> PublishReport:
    from dataclasses import replace

    return replace(report, **changes)


class _Publish:
    """The steps of one publish, holding what they share (one object per call, under the lock)."""

    def __init__(self, mirror: Path, base_url: Optional[str], durable: bool, link: bool, jobs: int = 1):
        self.root = str(mirror)
        self.state_root = f"{mirror}/{STATE_DIR}"
        self.base_url = base_url
        self.durable = durable
        self.link = link
        self.jobs = jobs
        self.problems, self.added = [], []
        self.placer = Placer(link)
        self.files, self.dirs = self.placer.files, self.placer.dirs  # created this run: flushed before the swap
        self.claimed = {}  # path -> sha256 placed this run
        self.stores = set()
        self.live_paths = None
        self.work_ready = False
        self.recycled, self.recycled_distros, self.previous_pages = {}, set(), set()

    # -------------------------------------------------------- the steps

    def run(self, wheels) -> PublishReport:
        self._open()
        self._collect(wheels)
        if self._nothing_changed():
            link_indexes(Path(self.root), sorted(self.old.distros))
            pages = sum(1 + len(idx) for _sig, idx in self.old.pages.values())
            return self._report(sorted(self.old.distros), len(self.old.pages), 0, pages, ())
        self._ensure_work()
        removed = self._plan()
        self._write_generation()
        self.dirs |= link_indexes(Path(self.root), self.distros)  # dangling until the swap, then all at once
        if self.durable:
            sync(Path(self.root), self.files, self.dirs)
        number = self.old.number + 1
        os.replace(f"{self.state_root}/{_WORK}", f"{self.state_root}/{gen(number)}")
        point(Path(self.state_root) / "current", gen(number))
        if self.durable:
            fsync_dir(self.state_root)
        self._collect_garbage()
        written = self.pages_written
        total = sum(1 + len(idx) for _sig, idx in self.pages.values())
        return self._report(self.distros, len(self.pages), written, total - written, removed)

    def _report(self, distros, projects, written, reused, removed) -> PublishReport:
        return PublishReport(
            mirror=self.root, files=len(self.by_name), projects=projects, distros=tuple(distros),
            added=tuple(sorted(self.added)), removed=tuple(sorted(removed)), pages_written=written,
            pages_reused=reused, problems=tuple(self.problems))

    # -------------------------------------------------------- the live generation

    def _open(self) -> None:
        """Read the live generation, its rows, and clear what an interrupted publish left."""
        sr = self.state_root
        try:
            target = os.readlink(f"{sr}/current")
        except FileNotFoundError:
            target = None
        except OSError as exc:
            raise MirrorError(f"{sr}/current: {exc.strerror or exc}") from None
        number = 0
        if target is not None:
            m = GEN.match(target)
            if not m:
                raise MirrorError(f"{sr}/current: unexpected target {target!r}")
            number = int(m.group(1))
        self.old = read_gen(sr, number) if number else Gen()
        self.live_gen = f"{sr}/{gen(number)}" if number and self.old.known else None
        stale = [e.path for e in os.scandir(sr) if GEN.match(e.name) and int(e.name[4:]) not in (number, number - 1)]
        # Files of a publish that never swapped in are known to no state: a full sweep finds them.
        # The mark stays until that sweep is done, even if this publish is interrupted too.
        self.crashed = (os.path.lexists(f"{sr}/{_WORK}") or os.path.lexists(f"{sr}/{_DIRTY}")
                        or any(int(os.path.basename(p)[4:]) > number for p in stale))
        if self.crashed:
            overwrite(f"{sr}/{_DIRTY}", b"")
        for path in stale + [e.path for e in os.scandir(sr) if e.name.startswith(".current.tmp-")]:
            remove(path)
        remove(f"{sr}/{_WORK}")
        self.old_rows, self.old_pairs = {}, [[] for _ in range(SHARDS)]
        if self.old.known and number:
            try:
                self.old_rows, self.old_pairs = read_shards(sr, self.old.shards)
            except (OSError, ValueError, UnicodeDecodeError):
                self.old = Gen(number, {}, {}, known=False)
        same_pages = self.old.state.get("renderer") == RENDERER and self.old.state.get("base_url") == self.base_url
        self.rerender = not (self.old.known and same_pages)

    def _ensure_work(self) -> None:
        """Make the folder of the next generation (before any new file: its presence marks a crash).

        The generation before the live one is recycled: only the symlinks that differ are changed.
        """
        if self.work_ready:
            return
        sr, work = self.state_root, f"{self.state_root}/{_WORK}"
        before = f"{sr}/{gen(self.old.number - 1)}" if self.old.number > 1 else None
        if before and os.path.isdir(before):
            prev = read_gen(sr, self.old.number - 1)
            if prev.known:
                os.rename(before, work)
                self.recycled = {(i, p): sig for p, (sig, idx) in prev.pages.items() for i in ("",) + idx}
                self.recycled_distros = set(prev.distros)
                self.previous_pages = prev.page_refs()  # a sig names its renderer and base URL too
            else:
                remove(before)
        if not os.path.isdir(work):
            os.mkdir(work)
            os.mkdir(f"{work}/simple")
        os.makedirs(f"{self.root}/packages", exist_ok=True)
        self.dirs.add(sr)
        self.work_ready = True

    def _nothing_changed(self) -> bool:
        return bool(self.old.known and self.old.number and not self.rerender and not self.crashed
                    and not self.new_rows and len(self.kept) == len(self.old_rows)
                    and not self.old.state.get("full_gc_next")
                    and os.path.exists(f"{self.state_root}/{gen(self.old.number)}/gc-done"))

    # -------------------------------------------------------- reading the wheels given

    def _collect(self, wheels) -> None:
        """Sort the wheels into known (state line unchanged: not read) and new (read and stored)."""
        old_rows, cwd = self.old_rows, os.getcwd()
        self.kept, self.new_rows, self.by_name = [], [], {}
        given = []  # (wheel, absolute path, file name, state key, size); an OSError for the key when unreadable
        for wheel in wheels:
            wheel = os.fspath(wheel)
            try:
                st = os.stat(wheel)
            except OSError as exc:
                given.append((wheel, None, None, exc, 0))
                continue
            path = wheel if wheel[:1] == os.sep else os.path.join(cwd, wheel)  # isabs(), without the call
            key = f"{path}\t{st.st_size}\t{st.st_mtime_ns}\t{st.st_ino}"
            given.append((wheel, path, path.rpartition(os.sep)[2], key, st.st_size))
        early = self._read_in_pool(given)
        upcoming = next(early, None)  # (position in given, what the pool read there)
        by_name = self.by_name
        for n, (wheel, path, filename, key, size) in enumerate(given):
            if path is None:
                self.problems.append(P.error("R001", f"{wheel}: cannot read ({key.strerror or key})"))
                continue
            if key in old_rows:
                if filename in by_name:
                    self._duplicate(wheel, filename, Row.parse(old_rows[key]).sha256)
                    continue
                by_name[filename] = key
                self.kept.append(key)
                continue
            if UNSAFE.search(path):
                self.problems.append(P.error("R001", f"{wheel!r}: control character in the path; rename it"))
                continue
            found = None
            if upcoming is not None and upcoming[0] == n:
                found, upcoming = upcoming[1], next(early, None)
            try:
                if found is None:
                    found = inspect(wheel, size)
                elif isinstance(found, str):
                    raise BadWheel(found)
            except BadWheel as exc:
                self.problems.append(P.error("R002", f"{filename}: {exc}"))
                continue
            if filename in by_name:
                self._duplicate(wheel, filename, found.sha256)
                continue
            try:
                row = self._store(wheel, found)
            except BadWheel as exc:
                self.problems.append(P.error("R002", f"{filename}: {exc}"))
                continue
            by_name[filename] = key
            self.new_rows.append((key, row))
            self.added.append(filename)

    def _read_in_pool(self, given: list):
        """Many new wheels: read and hash them in a process pool while this process places the ones
        read (one process creating files: several would spin on the folder's lock in the kernel).
        Yields (position in ``given``, the wheel read or why it is bad), in order.

        Only the first wheel of each file name goes to the pool, so which one wins a name clash is
        decided in order, as without the pool."""
        if self.jobs < 2:
            return
        seen, todo = set(), []
        for n, (_wheel, path, filename, key, _size) in enumerate(given):
            if path is None:
                continue
            if filename not in seen and key not in self.old_rows and not UNSAFE.search(path):
                todo.append(n)
            seen.add(filename)
        if len(todo) < _POOL_MIN:
            return
        tasks = ([(n, given[n][0], given[n][4]) for n in todo[i:i + _PER_TASK]] for i in range(0, len(todo), _PER_TASK))
        for results in bounded_map(read_wheels, tasks, self.jobs):
            yield from results

    def _duplicate(self, wheel: str, filename: str, sha: str) -> None:
        first = self.by_name[filename]
        first_sha = (self.old_rows[first] if first in self.old_rows else
                     next(r.text() for k, r in self.new_rows if k == first)).split("\t")[3]
        if first_sha != sha:
            self.problems.append(P.error(
                "R003", f"{wheel}: another wheel named {filename} with different content was given; kept the first"))

    def _store(self, wheel: str, found: Wheel) -> Row:
        """Place the wheel and its re-tagged distro copy, with their .metadata files."""
        self._ensure_work()
        path = self._claim("packages", found.filename, found.sha256, found.data, wheel, found)
        row = Row(found.filename, found.project, found.version, found.sha256, found.size,
                  found.requires_python, found.metadata_sha256, path)
        if found.distro is None:
            return row
        name, blob = retag(found.data if found.data is not None else read(wheel), found.filename)
        rsha = hashlib.sha256(blob).hexdigest()
        rpath = self._claim(f"{found.distro}/packages", name, rsha, blob, None, found)
        return row._replace(distro=found.distro, rfilename=name, rsha256=rsha, rsize=len(blob), rpath=rpath)

    def _claim(self, folder: str, filename: str, sha: str, data: Optional[bytes], source: Optional[str],
               found: Wheel) -> str:
        """Place a file at ``folder/filename``, or at ``folder/<sha[:16]>/filename`` when another file
        holds that name (never overwrites: an existing file is used only when its bytes are these)."""
        self.dirs.add(f"{self.root}/{folder}")
        for rel in (f"{folder}/{filename}", f"{folder}/{sha[:16]}/{filename}", f"{folder}/{sha}/{filename}"):
            if rel in self.claimed:
                if self.claimed[rel] == sha:
                    return rel
                continue
            target = f"{self.root}/{rel}"
            placed = self.placer.place(target, data, source, sha) or sha256_or_none(target) == sha
            if not placed and rel not in self._live_paths():  # a torn or stale leftover: no index uses it
                unlink(target)
                placed = self.placer.place(target, data, source, sha)
            if placed:
                self.claimed[rel] = sha
                self.placer.place_metadata(target + ".metadata", found)
                return rel
        raise BadWheel(f"three other files named {filename} are in the way in {folder}/")

    def _live_paths(self):
        """Stored files the live or the previous generation refers to (worked out on the first name clash)."""
        if self.live_paths is None:
            if not self.old.known and self.old.number:
                self.live_paths = _Everything()  # an older layout: every file may be in use
            else:
                found = set(self.old.state.get("released", {}).get("paths", []))
                for text in self.old_rows.values():
                    found.update(Row.parse(text).paths()[::2])
                self.live_paths = found
        return self.live_paths

    # -------------------------------------------------------- what the new generation serves

    def _plan(self) -> list:
        """Rows, shards and pages of the new generation; renders the pages that do not exist yet.

        Returns the file names no longer published.
        """
        old_rows = self.old_rows
        removed_keys = set(old_rows).difference(self.kept) if len(self.kept) != len(old_rows) else set()
        removed_rows = [Row.parse(old_rows[k]) for k in removed_keys]
        changed = {r.project for _k, r in self.new_rows} | {r.project for r in removed_rows}
        counts = self.old.distros if self.old.known else {}
        for r in removed_rows:
            if r.distro:
                counts[r.distro] = counts.get(r.distro, 0) - 1
        for _k, r in self.new_rows:
            if r.distro:
                counts[r.distro] = counts.get(r.distro, 0) + 1
        self.distro_counts = {d: n for d, n in sorted(counts.items()) if n > 0}
        self.distros = sorted(self.distro_counts)
        everything = self.rerender or not self.old.known or set(self.distros) != set(self.old.distros)

        new_pairs = [[] for _ in range(SHARDS)]
        parsed = {}  # row text -> Row, for the rows read this time
        for key, row in self.new_rows:
            text = row.text()
            parsed[text] = row
            new_pairs[shard(row.project)].append((key, text))
        changed_shards = range(SHARDS) if everything else sorted({shard(p) for p in changed})
        self.shard_pairs = {}
        groups = {}
        for i in changed_shards:
            pairs = self.old_pairs[i]
            if removed_keys:
                pairs = [pair for pair in pairs if pair[0] not in removed_keys]
            pairs = sorted(pairs + new_pairs[i])
            self.shard_pairs[i] = pairs
            for _key, text in pairs:
                project = text.split("\t", 2)[1]
                if everything or project in changed:
                    groups.setdefault(project, []).append(text)

        pages = dict(self.old.pages) if self.old.known else {}
        for project in changed - set(groups):
            pages.pop(project, None)  # no wheels left
        known = self.old.page_refs() | self.previous_pages  # page folders that exist, complete
        new_pages = []  # (page store, sig, project, entries, depth)
        for project, texts in groups.items():
            texts.sort()
            sig = hashlib.sha256("\n".join([f"renderer {RENDERER}", self.base_url or "", *texts])
                                 .encode("utf-8")).hexdigest()[:32]
            old = pages.get(project)
            if old is not None and old[0] == sig and not everything:
                continue
            by_index = project_pages([parsed.get(t) or Row.parse(t) for t in texts], self.distros)
            for index, files in by_index.items():
                if (index, sig) not in known:
                    new_pages.append((self._page_store(index), sig, project, files, 3 if index else 2))
            pages[project] = (sig, tuple(i for i in sorted(by_index) if i))
        self._write_pages(new_pages)
        self.pages = pages
        removed_names = {r.filename for r in removed_rows} - set(self.by_name)
        self.removed_rows = removed_rows
        return sorted(removed_names)

    def _write_pages(self, new_pages: list) -> None:
        """Render the new project pages (in a process pool when there are many) and write them."""
        self.pages_written = len(new_pages)
        for store, sig, *_rest in new_pages:
            self.dirs.update((store, f"{store}/{sig}"))
        per_task = max(1, _PER_TASK // 8)  # a page is about eight wheels' work
        tasks = ((self.base_url, new_pages[i:i + per_task]) for i in range(0, len(new_pages), per_task))
        pool = self.jobs > 1 and len(new_pages) >= _POOL_MIN // 8
        for rendered in bounded_map(render_pages, tasks, self.jobs) if pool else map(render_pages, tasks):
            for folder, page, data in rendered:
                write_page(self.placer, folder, page, data)

    def _page_store(self, index: str) -> str:
        """``.egg-migrate/pages`` or ``.egg-migrate/d-<distro>/pages``; made on first use.

        The page folders sit as deep as the pages they are served as, and ``packages`` links beside
        them, so the relative links also resolve for tools that follow them on the file system.
        """
        sr = self.state_root
        store = f"{sr}/d-{index}/pages" if index else f"{sr}/pages"
        if store in self.stores:
            return store
        self.stores.add(store)
        if not os.path.isdir(store):
            os.makedirs(store, exist_ok=True)
            ensure_symlink(f"{sr}/packages", "../packages")
            if index:
                ensure_symlink(f"{sr}/d-{index}/packages", f"../../{index}/packages")
                self.dirs.add(f"{sr}/d-{index}")
        return store

    def _link_page(self, folder: str, index: str, project: str, sig: str) -> None:
        """``simple/<project>`` -> its page folder.

        A new symlink costs a new inode (up to 0.2 ms on a busy disk); when the live generation shows
        the same page, a hard link of its symlink (link(2) does not follow it) shares that inode, so a
        generation made from scratch costs one cheap link per unchanged project.
        """
        path = f"{folder}/{project}"
        live = self.old.pages.get(project)
        if live is not None and live[0] == sig and (not index or index in live[1]) and self.live_gen:
            source = f"{self.live_gen}/{index}/simple/{project}" if index else f"{self.live_gen}/simple/{project}"
            for _attempt in (1, 2):
                try:
                    os.link(source, path, follow_symlinks=False)
                    return
                except FileExistsError:
                    remove(path)
                except (OSError, NotImplementedError):  # no hard links of symlinks here
                    break
        replace_symlink(path, _link_target(index, sig))

    # -------------------------------------------------------- the generation folder

    def _write_generation(self) -> None:
        sr, work = self.state_root, f"{self.state_root}/{_WORK}"
        for d in self.recycled_distros - set(self.distros):
            remove(f"{work}/{d}")
        for d in self.distros:
            if d not in self.recycled_distros:
                os.makedirs(f"{work}/{d}/simple", exist_ok=True)
                self.dirs.add(f"{work}/{d}")
        want = {}
        for project, (sig, idx) in self.pages.items():
            want[("", project)] = sig
            for d in idx:
                want[(d, project)] = sig
        recycled = self.recycled
        touched = set()
        for (index, project), sig in want.items():
            if recycled.get((index, project)) != sig:
                folder = f"{work}/{index}/simple" if index else f"{work}/simple"
                self._link_page(folder, index, project, sig)
                touched.add(folder)
        for (index, project) in recycled.keys() - want.keys():
            if not index or index in self.distro_counts:
                folder = f"{work}/{index}/simple" if index else f"{work}/simple"
                unlink(f"{folder}/{project}")
                touched.add(folder)
        for index in [""] + self.distros:
            folder = f"{work}/{index}/simple" if index else f"{work}/simple"
            projects = sorted(p for p, (_sig, idx) in self.pages.items() if not index or index in idx)
            page, data = render_root(projects)
            overwrite(f"{folder}/index.html", page.encode("utf-8"))
            overwrite(f"{folder}/index.json", data.encode("utf-8"))
            self.files += [f"{folder}/index.html", f"{folder}/index.json"]
            touched.add(folder)
        self.dirs |= touched

        shards = self.old.shards if self.old.known else [""] * SHARDS
        os.makedirs(f"{sr}/state", exist_ok=True)
        self.dirs.add(f"{sr}/state")
        for i, pairs in self.shard_pairs.items():
            if not pairs:
                shards[i] = ""
                continue
            text = "\n".join([k for k, _t in pairs] + [t for _k, t in pairs]).encode("utf-8")
            name = hashlib.sha256(text).hexdigest()[:32]
            if name != shards[i]:
                try:
                    self.placer.new_file(f"{sr}/state/{name}", text)
                except FileExistsError:
                    pass  # same bytes under the same hash
                shards[i] = name
        self.shards = shards

        # What the live generation refers to and this one does not: deleted after the next swap.
        new_paths = {p for _k, r in self.new_rows for p in r.paths()}
        self.new_paths = new_paths
        new_refs = {(i, sig) for sig, idx in self.pages.values() for i in ("",) + idx}
        self.page_refs = new_refs
        released = {
            "paths": sorted({p for r in self.removed_rows for p in r.paths()[::2]} - new_paths),
            "pages": sorted(self.old.page_refs() - new_refs) if self.old.known else [],
            "shards": sorted(set(self.old.shards) - set(shards) - {""}) if self.old.known else [],
        }
        # What only the generation before the live one referred to: deleted right after this swap
        # (and again by the next publish if this one is interrupted before it is done).
        garbage = {"paths": [], "pages": [], "shards": []}
        if self.old.known and self.old.number:
            sources = [self.old.state.get("released", {})]
            if not os.path.exists(f"{sr}/{gen(self.old.number)}/gc-done"):
                sources.append(self.old.state.get("garbage", {}))
            for kind, refs in (("paths", new_paths), ("pages", new_refs), ("shards", set(shards))):
                found = {tuple(x) if isinstance(x, list) else x for src in sources for x in src.get(kind, [])}
                garbage[kind] = sorted(found - refs)
        self.garbage = garbage
        state = {
            "schema": SCHEMA, "renderer": RENDERER, "base_url": self.base_url,
            "files": len(self.by_name), "projects": len(self.pages), "distros": self.distro_counts,
            "shards": shards, "released": released, "garbage": garbage,
            # an older or unreadable live state: what it referred to is unknown until it is the previous one
            "full_gc_next": not self.old.known and bool(self.old.number),
        }
        overwrite(f"{work}/state.json", json.dumps(state, separators=(",", ":")).encode("utf-8"))
        lines = [f"{p}\t{sig}\t{','.join(idx)}" for p, (sig, idx) in sorted(self.pages.items())]
        overwrite(f"{work}/pages", ("\n".join(lines) + "\n").encode("utf-8"))
        unlink(f"{work}/gc-done")
        self.files += [f"{work}/state.json", f"{work}/pages"]
        self.dirs.add(work)

    # -------------------------------------------------------- after the swap

    def _collect_garbage(self) -> None:
        """Delete what only the generation before the previous one referred to (it has just been recycled).

        The previous generation stays whole for readers in the middle of a resolution.
        """
        sr, old = self.state_root, self.old
        for path in self.garbage["paths"]:
            delete_wheel(self.root, path)
        for index, sig in self.garbage["pages"]:
            remove(f"{sr}/d-{index}/pages/{sig}" if index else f"{sr}/pages/{sig}")
        for name in self.garbage["shards"]:
            unlink(f"{sr}/state/{name}")
        if (self.crashed and old.known) or old.state.get("full_gc_next"):
            self._full_gc()
            unlink(f"{sr}/{_DIRTY}")
        for d in distro_dirs(Path(self.root)):
            if d.name not in self.distro_counts:
                unlink(f"{d}/simple")
                for folder in (f"{d}/packages", str(d)):
                    try:
                        os.rmdir(folder)
                    except OSError:
                        pass
        keep = set(self.distro_counts) | set(old.distros)
        for entry in os.scandir(sr):
            if entry.name.startswith("d-") and entry.name[2:] not in keep:
                remove(entry.path)
        overwrite(f"{sr}/{gen(old.number + 1)}/gc-done", b"")

    def _full_gc(self) -> None:
        """After a crash: delete every stored file, page and shard neither live generation refers to."""
        sr = self.state_root
        keep = set(self.new_paths)  # and every old row: the kept ones and the previous generation's
        for rest in self.old_rows.values():
            keep.update(Row.parse(rest).paths())
        root = Path(self.root)
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
        pages = self.page_refs | self.old.page_refs()
        indexes = [""] + [e.name[2:] for e in os.scandir(sr) if e.name.startswith("d-")]
        for index in indexes:
            store = f"{sr}/d-{index}/pages" if index else f"{sr}/pages"
            if os.path.isdir(store):
                for page in os.scandir(store):
                    if (index, page.name) not in pages:
                        remove(page.path)
        shards = set(self.shards) | set(self.old.shards)
        if os.path.isdir(f"{sr}/state"):
            for entry in os.scandir(f"{sr}/state"):
                if entry.name not in shards:
                    unlink(entry.path)


# ---------------------------------------------------------------- helpers of the steps

class _Everything:
    def __contains__(self, item) -> bool:
        return True


def _link_target(index: str, sig: str) -> str:
    """Relative to ``gen-N/simple/`` (``gen-N/<distro>/simple/``)."""
    return f"../../../d-{index}/pages/{sig}" if index else f"../../pages/{sig}"
