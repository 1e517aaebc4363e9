"""Wheels -> a static PEP 503 mirror with PEP 691 JSON and PEP 658/714 ``.metadata`` files.

Layout (docs/mirror.rst)::

    MIRROR/packages/<wheel>, <wheel>.metadata   immutable (a new file with a known name: packages/<sha256[:16]>/)
    MIRROR/<distro>/packages/<wheel>            a distro build re-tagged linux_<arch>
    MIRROR/simple -> .egg-migrate/current/simple
    MIRROR/<distro>/simple -> ../.egg-migrate/current/<distro>/simple
    .egg-migrate/current -> gen-N               gen-N/{state.json, pages, simple/, <distro>/simple/}
    .egg-migrate/gen-N/simple/<project> -> ../../pages/<sig>              (one symlink per project)
    .egg-migrate/pages/<sig>/{index.html,index.json}                      project pages, never rewritten
    .egg-migrate/d-<distro>/pages/<sig>/...                               the same for a distro index
    .egg-migrate/state/<sha>                    state shards: a source key and a row per wheel

Why this shape:

- Atomic: everything a publish adds is written beside the live mirror (new
  wheels, new pages, a new generation folder); then one ``rename()`` of the
  ``current`` symlink switches every index at once. A crash before it leaves
  the old mirror serving, untouched. Files an index refers to are never
  overwritten, so readers always find what a page they read points to.
- Incremental, O(what changed): a project page is stored once under the hash
  of the state rows it is made from (``sig``) and a generation is a folder of
  symlinks to pages, so an unchanged project costs a link, not a page (a new
  inode costs tens to hundreds of microseconds on a busy disk; a hard link of
  the live generation's symlink, a few). The next generation is made by
  recycling the one before the live one (its readers have had a whole publish
  to finish) and changing only the symlinks that differ. The state is 64
  content-addressed shards of a line per wheel; a publish rewrites only the
  shards whose projects changed, and makes no generation when nothing did.
- Cheap files: ``.metadata`` files with equal bytes are hard links of one
  file (wheels of one release usually share METADATA), and the durability
  flush is a few ``fsync`` calls when a publish adds a few files.

Distro builds (platform ``linux_x86_64_ubuntu_14_04``): stock pip never
installs a distro tag (FACTS.md, "Mirrors and pins"), so besides listing the
original in ``simple/`` (for ``pip download --platform ...``) each one is
re-tagged ``linux_<arch>`` (WHEEL and RECORD rewritten) and served from
``<distro>/simple/`` together with every portable wheel.
"""
from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
import re
import shutil
import struct
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, NamedTuple, Optional
from urllib.parse import quote

from packaging.tags import parse_tag
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from migrate import problems as P
from migrate.fsutil import ExclusiveLock, atomic_writer, file_sha256, fsync_dir
from migrate.parallel import parallel_map

STATE_DIR = ".egg-migrate"
SCHEMA = 2  # state.json / state shard format
RENDERER = 2  # bump when page rendering changes: every page is rewritten once
API_VERSION = "1.1"  # PEP 691 + PEP 700 (versions, size)
SHARDS = 64
_WORK = "next.tmp"  # the generation being made; still there at the start of a publish = the last one crashed
_DIRTY = "sweep-needed"  # left by a crash until a full sweep of unreferenced files is done
_IN_MEMORY = 32 * 1024 * 1024
_POOL_MIN = 2000  # new wheels worth starting a process pool for
_FEW_FILES = 512  # up to this many new files are fsynced one by one, more with one syncfs
_ARCHES = ("x86_64", "i686", "aarch64", "armv7l", "armv6l", "ppc64le", "ppc64", "s390x", "riscv64", "loongarch64")
_DISTRO_TAG = re.compile(r"^linux_(?P<arch>%s)_(?P<distro>[a-z][a-z0-9]*(?:_[a-z0-9]+)*)$" % "|".join(_ARCHES))
_GEN = re.compile(r"^gen-(\d{6})$")
_UNSAFE = re.compile(r"[\t\n\r\x1f]")  # field and line separators of the state


class MirrorError(Exception):
    """The mirror folder cannot be published to (one line, names the path)."""


class Entry(NamedTuple):
    """One file served by one index: what its page line needs."""

    filename: str
    project: str  # normalized
    version: str
    sha256: str
    size: int
    requires_python: Optional[str]
    metadata_sha256: str
    path: str  # relative to the mirror root, '/'-separated
    index: str  # "" for simple/, else the distro folder name


class Row(NamedTuple):
    """One published source wheel (and its re-tagged distro copy): one line of a state shard.

    Each row goes with a source key (absolute path, size, mtime, inode, tab-separated) that says
    whether the file can be trusted unread.
    """

    filename: str
    project: str
    version: str
    sha256: str
    size: int
    requires_python: str  # "" when none
    metadata_sha256: str
    path: str
    distro: str = ""  # "" unless re-tagged into <distro>/packages/
    rfilename: str = ""
    rsha256: str = ""
    rsize: int = 0
    rpath: str = ""

    def text(self) -> str:
        f = [self.filename, self.project, self.version, self.sha256, str(self.size), self.requires_python,
             self.metadata_sha256, "" if self.path == f"packages/{self.filename}" else self.path]
        if self.distro:
            f += [self.distro, self.rfilename, self.rsha256, str(self.rsize),
                  "" if self.rpath == f"{self.distro}/packages/{self.rfilename}" else self.rpath]
        return "\t".join(f)

    @classmethod
    def parse(cls, text: str) -> "Row":
        f = text.split("\t")
        path = f[7] or f"packages/{f[0]}"
        if len(f) == 8:
            return cls(f[0], f[1], f[2], f[3], int(f[4]), f[5], f[6], path)
        return cls(f[0], f[1], f[2], f[3], int(f[4]), f[5], f[6], path,
                   f[8], f[9], f[10], int(f[11]), f[12] or f"{f[8]}/packages/{f[9]}")

    def entry(self) -> Entry:
        return Entry(self.filename, self.project, self.version, self.sha256, self.size, self.requires_python or None,
                     self.metadata_sha256, self.path, "")

    def distro_entry(self) -> Entry:
        return Entry(self.rfilename, self.project, self.version, self.rsha256, self.rsize,
                     self.requires_python or None, self.metadata_sha256, self.rpath, self.distro)

    def paths(self) -> tuple:
        """The files this row keeps alive, relative to the mirror root."""
        if self.distro:
            return self.path, self.path + ".metadata", self.rpath, self.rpath + ".metadata"
        return self.path, self.path + ".metadata"


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


# ---------------------------------------------------------------- public entry

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
    _check_layout(mirror)
    state_root = mirror / STATE_DIR
    state_root.mkdir(exist_ok=True)
    with _Lock(state_root / "lock"):
        report = _Publish(mirror, base_url, durable, link, jobs).run(wheels)
    return _replace(report, mirror=str(Path(mirror_dir)), seconds=time.perf_counter() - started)


def index_url(mirror_dir, distro: Optional[str] = None) -> str:
    """The ``file://`` URL of a published index, for ``pip --index-url``."""
    root = Path(os.path.abspath(mirror_dir))  # not resolve(): simple/ is a symlink
    return (root / distro / "simple" if distro else root / "simple").as_uri() + "/"


def _replace(report: PublishReport, **changes) -> PublishReport:
    from dataclasses import replace

    return replace(report, **changes)


# ---------------------------------------------------------------- one publish

class _Gen:
    """What a generation serves, from its state.json and pages files (rows are loaded separately)."""

    def __init__(self, number: int = 0, state: Optional[dict] = None, pages: Optional[dict] = None,
                 known: bool = True):
        self.number = number
        self.state = state or {}
        self.pages = pages if pages is not None else {}  # project -> (sig, distro indexes it is in)
        self.known = known  # False: an older format or unreadable; what it refers to is unknown

    @property
    def distros(self) -> dict:
        return dict(self.state.get("distros", {}))

    @property
    def shards(self) -> list:
        return list(self.state.get("shards", [""] * SHARDS))

    def page_refs(self) -> set:
        return {(i, sig) for sig, idx in self.pages.values() for i in ("",) + idx}


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
        self.placer = _Placer(self.root, link)
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
            _link_indexes(Path(self.root), sorted(self.old.distros))
            pages = sum(1 + len(idx) for _sig, idx in self.old.pages.values())
            return self._report(sorted(self.old.distros), len(self.old.pages), 0, pages, ())
        self._ensure_work()
        removed = self._plan()
        self._write_generation()
        self.dirs |= _link_indexes(Path(self.root), self.distros)  # dangling until the swap, then all at once
        if self.durable:
            _sync(Path(self.root), self.files, self.dirs)
        number = self.old.number + 1
        os.replace(f"{self.state_root}/{_WORK}", f"{self.state_root}/{_gen(number)}")
        _point(Path(self.state_root) / "current", _gen(number))
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
            m = _GEN.match(target)
            if not m:
                raise MirrorError(f"{sr}/current: unexpected target {target!r}")
            number = int(m.group(1))
        self.old = _read_gen(sr, number) if number else _Gen()
        self.live_gen = f"{sr}/{_gen(number)}" if number and self.old.known else None
        stale = [e.path for e in os.scandir(sr) if _GEN.match(e.name) and int(e.name[4:]) not in (number, number - 1)]
        # Files of a publish that never swapped in are known to no state: a full sweep finds them.
        # The mark stays until that sweep is done, even if this publish is interrupted too.
        self.crashed = (os.path.lexists(f"{sr}/{_WORK}") or os.path.lexists(f"{sr}/{_DIRTY}")
                        or any(int(os.path.basename(p)[4:]) > number for p in stale))
        if self.crashed:
            _overwrite(f"{sr}/{_DIRTY}", b"")
        for path in stale + [e.path for e in os.scandir(sr) if e.name.startswith(".current.tmp-")]:
            _remove(path)
        _remove(f"{sr}/{_WORK}")
        self.old_rows, self.old_pairs = {}, [[] for _ in range(SHARDS)]
        if self.old.known and number:
            try:
                self.old_rows, self.old_pairs = _read_shards(sr, self.old.shards)
            except (OSError, ValueError, UnicodeDecodeError):
                self.old = _Gen(number, {}, {}, known=False)
        same_pages = self.old.state.get("renderer") == RENDERER and self.old.state.get("base_url") == self.base_url
        self.rerender = not (self.old.known and same_pages)

    def _ensure_work(self) -> None:
        """Make the folder of the next generation (before any new file: its presence marks a crash).

        The generation before the live one is recycled: only the symlinks that differ are changed.
        """
        if self.work_ready:
            return
        sr, work = self.state_root, f"{self.state_root}/{_WORK}"
        before = f"{sr}/{_gen(self.old.number - 1)}" if self.old.number > 1 else None
        if before and os.path.isdir(before):
            prev = _read_gen(sr, self.old.number - 1)
            if prev.known:
                os.rename(before, work)
                self.recycled = {(i, p): sig for p, (sig, idx) in prev.pages.items() for i in ("",) + idx}
                self.recycled_distros = set(prev.distros)
                self.previous_pages = prev.page_refs()  # a sig names its renderer and base URL too
            else:
                _remove(before)
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
                    and os.path.exists(f"{self.state_root}/{_gen(self.old.number)}/gc-done"))

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
            if _UNSAFE.search(path):
                self.problems.append(P.error("R001", f"{wheel!r}: control character in the path; rename it"))
                continue
            found, placed = early.get(n, (None, None))
            try:
                if found is None:
                    found = _inspect(wheel, size)
                elif isinstance(found, str):
                    raise _BadWheel(found)
            except _BadWheel as exc:
                self.problems.append(P.error("R002", f"{filename}: {exc}"))
                continue
            if filename in by_name:
                self._duplicate(wheel, filename, found.sha256)
                continue
            try:
                row = self._store(wheel, found, placed)
            except _BadWheel as exc:
                self.problems.append(P.error("R002", f"{filename}: {exc}"))
                continue
            by_name[filename] = key
            self.new_rows.append((key, row))
            self.added.append(filename)

    def _read_in_pool(self, given: list) -> dict:
        """Many new wheels: read, hash and place them in a process pool (a new file costs kernel time
        that several CPUs share out). {position in ``given``: (the wheel read, without its bytes, or
        why it is bad; its path in packages/ or None when placing it is left to ``_store``)}.

        Only the first wheel of each file name goes to the pool, so which one wins a name clash is
        decided in order, as without the pool."""
        if self.jobs < 2:
            return {}
        seen, todo = set(), []
        for n, (_wheel, path, filename, key, _size) in enumerate(given):
            if path is None:
                continue
            if filename not in seen and key not in self.old_rows and not _UNSAFE.search(path):
                todo.append(n)
            seen.add(filename)
        if len(todo) < _POOL_MIN:
            return {}
        self._ensure_work()  # before any new file: its presence marks a crash
        per_task = -(-len(todo) // (self.jobs * 8))
        tasks = [(self.root, self.link, [(given[n][0], given[n][4]) for n in todo[i:i + per_task]])
                 for i in range(0, len(todo), per_task)]
        early = {}
        positions = iter(todo)
        for results, files, dirs in parallel_map(_read_and_place, tasks, self.jobs):
            self.files += files
            self.dirs.update(dirs)
            for result in results:
                early[next(positions)] = result
        return early

    def _duplicate(self, wheel: str, filename: str, sha: str) -> None:
        first = self.by_name[filename]
        first_sha = (self.old_rows[first] if first in self.old_rows else
                     next(r.text() for k, r in self.new_rows if k == first)).split("\t")[3]
        if first_sha != sha:
            self.problems.append(P.error(
                "R003", f"{wheel}: another wheel named {filename} with different content was given; kept the first"))

    def _store(self, wheel: str, found: "_Wheel", placed: Optional[str] = None) -> Row:
        """Place the wheel (unless a pool worker ``placed`` it) and its re-tagged distro copy, with
        their .metadata files."""
        self._ensure_work()
        if placed is None:
            path = self._claim("packages", found.filename, found.sha256, found.data, wheel, found)
        else:
            path = placed
            self.claimed[placed] = found.sha256
        row = Row(found.filename, found.project, found.version, found.sha256, found.size,
                  found.requires_python, found.metadata_sha256, path)
        if found.distro is None:
            return row
        name, blob = _retag(found.data if found.data is not None else _read(wheel), found.filename)
        rsha = hashlib.sha256(blob).hexdigest()
        rpath = self._claim(f"{found.distro}/packages", name, rsha, blob, None, found)
        return row._replace(distro=found.distro, rfilename=name, rsha256=rsha, rsize=len(blob), rpath=rpath)

    def _claim(self, folder: str, filename: str, sha: str, data: Optional[bytes], source: Optional[str],
               found: "_Wheel") -> str:
        """Place a file at ``folder/filename``, or at ``folder/<sha[:16]>/filename`` when another file
        holds that name (never overwrites: an existing file is used only when its bytes are these)."""
        self.dirs.add(f"{self.root}/{folder}")
        for rel in (f"{folder}/{filename}", f"{folder}/{sha[:16]}/{filename}", f"{folder}/{sha}/{filename}"):
            if rel in self.claimed:
                if self.claimed[rel] == sha:
                    return rel
                continue
            target = f"{self.root}/{rel}"
            placed = self.placer.place(target, data, source, sha) or _sha256_or_none(target) == sha
            if not placed and rel not in self._live_paths():  # a torn or stale leftover: no index uses it
                _unlink(target)
                placed = self.placer.place(target, data, source, sha)
            if placed:
                self.claimed[rel] = sha
                self.placer.place_metadata(target + ".metadata", found)
                return rel
        raise _BadWheel(f"three other files named {filename} are in the way in {folder}/")

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
            new_pairs[_shard(row.project)].append((key, text))
        changed_shards = range(SHARDS) if everything else sorted({_shard(p) for p in changed})
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
            by_index = _project_pages([parsed.get(t) or Row.parse(t) for t in texts], self.distros)
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
        """Render and write the new project pages (in a process pool when there are many)."""
        self.pages_written = len(new_pages)
        for store, sig, *_rest in new_pages:
            self.dirs.update((store, f"{store}/{sig}"))
        if self.jobs < 2 or len(new_pages) < _POOL_MIN // 8:
            self.files += _write_pages((self.base_url, new_pages))
            return
        per_task = -(-len(new_pages) // (self.jobs * 4))
        tasks = [(self.base_url, new_pages[i:i + per_task]) for i in range(0, len(new_pages), per_task)]
        for files in parallel_map(_write_pages, tasks, self.jobs):
            self.files += files

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
            _ensure_symlink(f"{sr}/packages", "../packages")
            if index:
                _ensure_symlink(f"{sr}/d-{index}/packages", f"../../{index}/packages")
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
                    _remove(path)
                except (OSError, NotImplementedError):  # no hard links of symlinks here
                    break
        _replace_symlink(path, _link_target(index, sig))

    # -------------------------------------------------------- the generation folder

    def _write_generation(self) -> None:
        sr, work = self.state_root, f"{self.state_root}/{_WORK}"
        for d in self.recycled_distros - set(self.distros):
            _remove(f"{work}/{d}")
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
                _unlink(f"{folder}/{project}")
                touched.add(folder)
        for index in [""] + self.distros:
            folder = f"{work}/{index}/simple" if index else f"{work}/simple"
            projects = sorted(p for p, (_sig, idx) in self.pages.items() if not index or index in idx)
            page, data = render_root(projects)
            _overwrite(f"{folder}/index.html", page.encode("utf-8"))
            _overwrite(f"{folder}/index.json", data.encode("utf-8"))
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
            if not os.path.exists(f"{sr}/{_gen(self.old.number)}/gc-done"):
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
        _overwrite(f"{work}/state.json", json.dumps(state, separators=(",", ":")).encode("utf-8"))
        lines = [f"{p}\t{sig}\t{','.join(idx)}" for p, (sig, idx) in sorted(self.pages.items())]
        _overwrite(f"{work}/pages", ("\n".join(lines) + "\n").encode("utf-8"))
        _unlink(f"{work}/gc-done")
        self.files += [f"{work}/state.json", f"{work}/pages"]
        self.dirs.add(work)

    # -------------------------------------------------------- after the swap

    def _collect_garbage(self) -> None:
        """Delete what only the generation before the previous one referred to (it has just been recycled).

        The previous generation stays whole for readers in the middle of a resolution.
        """
        sr, old = self.state_root, self.old
        for path in self.garbage["paths"]:
            _delete_wheel(self.root, path)
        for index, sig in self.garbage["pages"]:
            _remove(f"{sr}/d-{index}/pages/{sig}" if index else f"{sr}/pages/{sig}")
        for name in self.garbage["shards"]:
            _unlink(f"{sr}/state/{name}")
        if (self.crashed and old.known) or old.state.get("full_gc_next"):
            self._full_gc()
            _unlink(f"{sr}/{_DIRTY}")
        for d in _distro_dirs(Path(self.root)):
            if d.name not in self.distro_counts:
                _unlink(f"{d}/simple")
                for folder in (f"{d}/packages", str(d)):
                    try:
                        os.rmdir(folder)
                    except OSError:
                        pass
        keep = set(self.distro_counts) | set(old.distros)
        for entry in os.scandir(sr):
            if entry.name.startswith("d-") and entry.name[2:] not in keep:
                _remove(entry.path)
        _overwrite(f"{sr}/{_gen(old.number + 1)}/gc-done", b"")

    def _full_gc(self) -> None:
        """After a crash: delete every stored file, page and shard neither live generation refers to."""
        sr = self.state_root
        keep = set(self.new_paths)  # and every old row: the kept ones and the previous generation's
        for rest in self.old_rows.values():
            keep.update(Row.parse(rest).paths())
        root = Path(self.root)
        for top in [root / "packages"] + [d / "packages" for d in _distro_dirs(root)]:
            for dirpath, _dirs, files in os.walk(top, topdown=False):
                rel = os.path.relpath(dirpath, root).replace(os.sep, "/")
                for f in files:
                    if f"{rel}/{f}" not in keep:
                        _unlink(f"{dirpath}/{f}")
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
                        _remove(page.path)
        shards = set(self.shards) | set(self.old.shards)
        if os.path.isdir(f"{sr}/state"):
            for entry in os.scandir(f"{sr}/state"):
                if entry.name not in shards:
                    _unlink(entry.path)


def _project_pages(rows: list, distros: list) -> dict:
    """{index: sorted entries} of one project: simple/ lists every wheel as given; a distro index its
    own re-tagged builds plus every portable wheel (its own build wins on a name clash)."""
    main = sorted((r.entry() for r in rows), key=lambda e: e.filename)
    out = {"": main}
    own = {}
    for r in rows:
        if r.distro:
            own.setdefault(r.distro, []).append(r.distro_entry())
    portable = [e for e in main if not is_distro_platform(e.filename)]
    for d in distros:
        mine = own.get(d, [])
        names = {e.filename for e in mine}
        files = mine + [e._replace(index=d) for e in portable if e.filename not in names]
        if files:
            out[d] = sorted(files, key=lambda e: e.filename)
    return out


class _Everything:
    def __contains__(self, item) -> bool:
        return True


def _link_target(index: str, sig: str) -> str:
    """Relative to ``gen-N/simple/`` (``gen-N/<distro>/simple/``)."""
    return f"../../../d-{index}/pages/{sig}" if index else f"../../pages/{sig}"


def _shard(project: str) -> int:
    return zlib.crc32(project.encode("utf-8")) % SHARDS


def _read_gen(state_root: str, number: int) -> _Gen:
    folder = f"{state_root}/{_gen(number)}"
    try:
        with open(f"{folder}/state.json", "rb") as fp:
            state = json.loads(fp.read())
    except (OSError, ValueError):
        return _Gen(number, {}, {}, known=False)
    if not isinstance(state, dict) or state.get("schema") != SCHEMA or len(state.get("shards", [])) != SHARDS:
        return _Gen(number, {}, {}, known=False)
    pages = {}
    try:
        with open(f"{folder}/pages", "rb") as fp:
            for line in fp.read().decode("utf-8").splitlines():
                project, sig, idx = line.split("\t")
                pages[project] = (sig, tuple(idx.split(",")) if idx else ())
    except (OSError, ValueError):
        return _Gen(number, {}, {}, known=False)
    return _Gen(number, state, pages)


def _read_shards(state_root: str, shards: list) -> tuple:
    """({source key: row text}, [(key, text) pairs of each shard]).

    A shard holds its n source keys, one a line, then their n rows: loading is two slices and a zip.
    """
    rows, pairs = {}, []
    for name in shards:
        if not name:
            pairs.append([])
            continue
        with open(f"{state_root}/state/{name}", "rb") as fp:
            lines = fp.read().decode("utf-8").split("\n")
        half = len(lines) // 2
        if len(lines) % 2:
            raise ValueError(f"state/{name}: odd number of lines")
        found = list(zip(lines[:half], lines[half:]))
        pairs.append(found)
        rows.update(found)
    return rows, pairs


# ---------------------------------------------------------------- placing new files

class _Placer:
    """Creates the mirror's new files (wheels copied or linked, their ``.metadata`` files, pages);
    never overwrites one an index may refer to. One per publish, and one per pool worker."""

    def __init__(self, root: str, link: bool):
        self.root = root
        self.link = link
        self.files, self.dirs = [], set()  # created: flushed before the swap
        self.meta_first = {}  # metadata sha256 -> the first .metadata file placed with those bytes

    def place_first(self, folder: str, found: "_Wheel", source: Optional[str]) -> Optional[str]:
        """Place a wheel under its own name in ``folder`` with its .metadata; its relative path, or
        None when another file holds that name (the caller decides where it goes then)."""
        rel = f"{folder}/{found.filename}"
        target = f"{self.root}/{rel}"
        self.dirs.add(f"{self.root}/{folder}")
        if not (self.place(target, found.data, source, found.sha256) or _sha256_or_none(target) == found.sha256):
            return None
        self.place_metadata(target + ".metadata", found)
        return rel

    def place_metadata(self, target: str, found: "_Wheel") -> None:
        """``<wheel>.metadata``: a hard link of an equal one placed this run (a release's wheels usually
        share METADATA, and a link costs a fifth of a new file), else a new file."""
        first = self.meta_first.get(found.metadata_sha256)
        if first is not None:
            try:
                os.link(first, target)
                return
            except OSError:  # the name is taken, or too many links: as below
                pass
        try:
            self.new_file(target, found.metadata)
        except FileExistsError:
            try:
                same = _read(target) == found.metadata
            except OSError:
                same = False
            if not same:  # a torn leftover of an interrupted run: the wheel beside it is ours
                with atomic_writer(target) as fp:
                    fp.write(found.metadata)
        if first is None:
            self.meta_first[found.metadata_sha256] = target

    def place(self, target: str, data: Optional[bytes], source: Optional[str], sha: str) -> bool:
        """Create ``target`` (a hard link with --link, else a copy); False when that name is taken."""
        try:
            return self._try_place(target, data, source, sha)
        except FileNotFoundError:
            folder = os.path.dirname(target)
            os.makedirs(folder, exist_ok=True)
            self.dirs.update((folder, os.path.dirname(folder)))
        try:
            return self._try_place(target, data, source, sha)
        except FileNotFoundError:
            raise _BadWheel("cannot read (it vanished while being published)") from None

    def _try_place(self, target: str, data: Optional[bytes], source: Optional[str], sha: str) -> bool:
        try:
            if self.link and source is not None:
                try:
                    os.link(source, target)
                    return True
                except FileExistsError:
                    raise
                except FileNotFoundError:
                    if data is None or not os.path.isdir(os.path.dirname(target)):
                        raise
                    # the source is gone but its bytes are here: copy them
                except OSError:
                    pass  # another file system, no permission, too many links: copy
            if data is None:
                self._copy(source, target, sha)
            else:
                self.new_file(target, data)
            return True
        except FileExistsError:
            return False

    def _copy(self, source: str, target: str, sha: str) -> None:
        """Copy a wheel too large for memory, checking that the bytes are the ones hashed."""
        def chunks():
            h = hashlib.sha256()
            with open(source, "rb") as src:
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    h.update(chunk)
                    yield chunk
            if h.hexdigest() != sha:
                raise _BadWheel("changed while being published; publish again")

        self.write_new(target, chunks())

    def new_file(self, target: str, data: bytes) -> None:
        """Create a file that no index refers to yet; FileExistsError when the name is taken."""
        self.write_new(target, (data,))

    def write_new(self, target: str, chunks) -> None:
        """Write ``chunks`` to a file that must not exist yet; on any failure it is removed."""
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        try:
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view):]
        except BaseException:
            os.close(fd)
            os.unlink(target)
            raise
        os.close(fd)
        self.files.append(target)


def _read_and_place(task: tuple) -> tuple:
    """Pool worker: read and place a share of the new wheels (see ``_Publish._read_in_pool``)."""
    root, link, items = task
    placer = _Placer(root, link)
    results = []
    for wheel, size in items:
        try:
            found = _inspect(wheel, size)
            placed = placer.place_first("packages", found, wheel) if found.distro is None else None
        except _BadWheel as exc:
            results.append((str(exc), None))
            continue
        results.append((found._replace(data=None), placed))
    return results, placer.files, placer.dirs


def _write_pages(task: tuple) -> list:
    """Render and write project pages, each in a new folder ``<store>/<sig>``; the files made.

    In the pool too: each page is a folder and two files nobody refers to yet."""
    base_url, new_pages = task
    placer = _Placer("", False)
    for store, sig, project, files, depth in new_pages:
        folder = f"{store}/{sig}"
        page, data = render_project(project, files, depth, base_url)
        try:
            os.mkdir(folder)
        except FileExistsError:  # a leftover of an interrupted run: no index refers to it
            shutil.rmtree(folder)
            os.mkdir(folder)
        placer.new_file(f"{folder}/index.html", page.encode("utf-8"))
        placer.new_file(f"{folder}/index.json", data.encode("utf-8"))
    return placer.files


# ---------------------------------------------------------------- reading wheels

class _BadWheel(Exception):
    pass


class _Wheel(NamedTuple):
    filename: str
    project: str
    version: str
    sha256: str
    size: int
    data: Optional[bytes]  # None for a wheel too large to hold in memory
    metadata: bytes
    metadata_sha256: str
    requires_python: str
    distro: Optional[str]


_WHEEL_NAME = re.compile(r"^[\w._]+\Z", re.UNICODE)  # as packaging.utils checks them
_BUILD_TAG = re.compile(r"(\d+)(.*)\Z", re.ASCII)


@lru_cache(maxsize=1 << 16)
def _name_version(prefix: str) -> Optional[tuple]:
    """(normalized name, Version, its text) of ``name-version[-build]``; None when invalid.
    Cached, as are the tags: a release has many wheels, and parsing them is most of the cost."""
    parts = prefix.split("-")
    if len(parts) not in (2, 3) or "__" in parts[0] or not _WHEEL_NAME.match(parts[0]) \
            or (len(parts) == 3 and not _BUILD_TAG.match(parts[2])):
        return None
    try:
        version = Version(parts[1])
    except InvalidVersion:
        return None
    return canonicalize_name(parts[0]), version, str(version)


@lru_cache(maxsize=4096)
def _tags_valid(tags: str) -> bool:
    try:
        parse_tag(tags)
        return True
    except Exception:  # packaging's InvalidTag and friends, whatever this version calls them
        return False


def _parse_filename(filename: str) -> tuple:
    """(name, Version, its text, distro or None) from a wheel file name, as strict as ``parse_wheel_filename``."""
    parts = filename[:-4].split("-") if filename.endswith(".whl") else []
    found = _name_version("-".join(parts[:-3])) if len(parts) in (5, 6) else None
    if found is None or not _tags_valid("-".join(parts[-3:])):
        try:
            name, version, _build, _tags = parse_wheel_filename(filename)  # its own message, or a second opinion
        except InvalidWheelFilename as exc:
            raise _BadWheel(f"not a wheel file name ({exc})") from None
        found = name, version, str(version)
    return (*found, _distro_of(parts[-1]))


def _inspect(wheel: str, size: int) -> _Wheel:
    """Hash the wheel and take its METADATA (checked against the file name); nothing is written."""
    filename = os.path.basename(wheel)
    name, version, version_text, distro = _parse_filename(filename)
    try:
        if size <= _IN_MEMORY:
            data = _read(wheel, size)
            sha, size = hashlib.sha256(data).hexdigest(), len(data)
            metadata = _metadata(data, name, version)
        else:
            data = None
            sha, size = file_sha256(wheel), os.stat(wheel).st_size
            metadata = _metadata(wheel, name, version)
    except OSError as exc:
        raise _BadWheel(f"cannot read ({exc.strerror or exc})") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, struct.error) as exc:
        raise _BadWheel(f"not a valid zip archive ({exc})") from None
    fields = _headers(metadata)
    meta_name, meta_version = fields.get("name"), fields.get("version")
    if not meta_name or _canonical(meta_name) != name:
        raise _BadWheel(f"METADATA Name {meta_name!r} does not match the file name")
    try:
        if meta_version is None or (meta_version != version_text and Version(meta_version) != version):
            raise _BadWheel(f"METADATA Version {meta_version!r} does not match the file name")
    except InvalidVersion:
        raise _BadWheel(f"METADATA Version {meta_version!r} is not a version") from None
    rp = fields.get("requires-python") or ""
    if _UNSAFE.search(rp):
        raise _BadWheel("METADATA Requires-Python holds a control character")
    return _Wheel(filename, name, version_text, sha, size, data, metadata, hashlib.sha256(metadata).hexdigest(),
                  rp, distro)


@lru_cache(maxsize=1 << 16)
def _canonical(name: str) -> str:
    return canonicalize_name(name)


def _sha256_or_none(path: str) -> Optional[str]:
    try:
        return file_sha256(path)
    except OSError:
        return None


def _read(path: str, size: int = 1 << 16) -> bytes:
    """The whole file (``size``: the expected length, to read it in one call)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = [os.read(fd, size + 1)]
        if len(chunks[0]) <= size and chunks[0]:  # a short read of a regular file: its end
            return chunks[0]
        while chunks[-1]:
            chunks.append(os.read(fd, max(size, 1 << 16)))
    finally:
        os.close(fd)
    return b"".join(chunks)
def _metadata(source, name, version) -> bytes:
    """The bytes of ``<name>-<version>.dist-info/METADATA``: a direct central-directory read for
    ordinary in-memory wheels (5x faster than ``zipfile``), ``zipfile`` for anything else."""
    if isinstance(source, bytes):
        found = _fast_members(source)
        if found is not None:
            wanted = [m for m in found if _dist_info_matches(m[0][:-len(".dist-info/METADATA")], name, version)]
            if len(wanted) == 1:
                return _fast_read(source, *wanted[0][1:])
            if len(wanted) > 1:
                raise _BadWheel("several .dist-info/METADATA files")
            raise _BadWheel("no <name>-<version>.dist-info/METADATA matching the file name")
        source = io.BytesIO(source)
    with zipfile.ZipFile(source) as zf:
        candidates = [n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        wanted = [n for n in candidates if _dist_info_matches(n.split("/")[0][: -len(".dist-info")], name, version)]
        if len(wanted) != 1:
            raise _BadWheel("no <name>-<version>.dist-info/METADATA matching the file name" if not wanted
                            else "several .dist-info/METADATA files")
        return zf.read(wanted[0])


_EOCD = struct.Struct("<4s4H2LH")
_CDIR = struct.Struct("<4s6H3L5H2L")
_CDIR_LENGTHS = struct.Struct("<3H")  # name, extra and comment lengths, at offset 28
_LOCAL = struct.Struct("<4s5H3L2H")


def _fast_members(data: bytes):
    """[(name, method, flags, crc, csize, usize, local offset)] of top-level ``*.dist-info/METADATA``
    members, or None when the archive is not a plain one (comment, ZIP64, several disks)."""
    if len(data) < 22:
        raise zipfile.BadZipFile("File is not a zip file")
    sig, disk, cd_disk, n_here, n_total, cd_size, cd_offset, comment = _EOCD.unpack_from(data, len(data) - 22)
    if sig != b"PK\x05\x06" or disk or cd_disk or n_here != n_total or comment or cd_offset == 0xFFFFFFFF \
            or n_total == 0xFFFF or cd_offset + cd_size > len(data) - 22:
        return None
    out, pos, lengths, suffix = [], cd_offset, _CDIR_LENGTHS.unpack_from, b".dist-info/METADATA"
    for _ in range(n_total):  # only the lengths of each entry; the whole header of a match
        if data[pos:pos + 4] != b"PK\x01\x02":
            raise zipfile.BadZipFile("bad central directory")
        nlen, elen, clen = lengths(data, pos + 28)
        end = pos + 46 + nlen
        if data.endswith(suffix, pos + 46, end) and data.count(b"/", pos + 46, end) == 1:
            (_sig, _made, _need, flags, method, _t, _d, crc, csize, usize, _n, _e, _c, _disk, _int, _ext,
             offset) = _CDIR.unpack_from(data, pos)
            if 0xFFFFFFFF in (csize, usize, offset):
                return None
            out.append((data[pos + 46:end].decode("utf-8", "surrogateescape"), method, flags, crc, csize, usize, offset))
        pos = end + elen + clen
    return out


def _fast_read(data: bytes, method: int, flags: int, crc: int, csize: int, usize: int, offset: int) -> bytes:
    sig, _need, _flags, _m, _t, _d, _crc, _cs, _us, nlen, elen = _LOCAL.unpack_from(data, offset)
    if sig != b"PK\x03\x04" or flags & 1:
        raise zipfile.BadZipFile("bad local header or encrypted member")
    start = offset + 30 + nlen + elen
    raw = data[start:start + csize]
    if method == 0:
        out = raw
    elif method == 8:
        out = zlib.decompress(raw, -15)
    else:
        raise zipfile.BadZipFile(f"unsupported compression method {method}")
    if len(out) != usize or zlib.crc32(out) != crc:
        raise zipfile.BadZipFile("METADATA does not match its size/CRC")
    return out


@lru_cache(maxsize=1 << 16)
def _dist_info_stem(stem: str):
    project, _, ver = stem.rpartition("-")
    try:
        return canonicalize_name(project), Version(ver)
    except InvalidVersion:
        return None


def _dist_info_matches(stem: str, name, version) -> bool:
    return _dist_info_stem(stem) == (name, version)


_HEADER = re.compile(rb"^(name|version|requires-python)[ \t]*:[ \t]*(.*?)[ \t\r]*$", re.M | re.I)
_BLANK_LINE = re.compile(rb"\n[ \t\r]*\n")


def _headers(metadata: bytes) -> dict:
    """Name, Version, Requires-Python from the header block (first value wins); no full email parse."""
    text = b"\n" + metadata
    end = _BLANK_LINE.search(text)
    out = {}
    for key, value in _HEADER.findall(text[:end.start()] if end else text):
        key = key.decode("ascii").lower()
        if key not in out:
            out[key] = value.decode("utf-8", "surrogateescape")
    return out


# ---------------------------------------------------------------- distro builds

def is_distro_platform(filename_or_tag: str) -> bool:
    tag = filename_or_tag[:-4].rsplit("-", 1)[-1] if filename_or_tag.endswith(".whl") else filename_or_tag
    return _all_distro(tag)


@lru_cache(maxsize=4096)
def _all_distro(platform_tag: str) -> bool:
    return all(_DISTRO_TAG.match(p) for p in platform_tag.split("."))


@lru_cache(maxsize=4096)
def _distro_of(platform_tag: str) -> Optional[str]:
    """The distro folder for a wheel whose every platform tag is one distro's; else None."""
    found = set()
    for platform in platform_tag.split("."):
        m = _DISTRO_TAG.match(platform)
        if not m:
            return None
        found.add(m.group("distro"))
    return found.pop() if len(found) == 1 else None


def _retag(data: bytes, filename: str) -> tuple:
    """(new file name, wheel bytes): platform ``linux_<arch>_<distro>`` -> ``linux_<arch>``; WHEEL, RECORD updated."""
    from migrate.wheelzip import WheelZipWriter, record_hash

    def plain(platform: str) -> str:
        m = _DISTRO_TAG.match(platform)
        return f"linux_{m.group('arch')}" if m else platform

    stem, _, tag = filename[:-4].rpartition("-")
    new_platform = ".".join(dict.fromkeys(plain(p) for p in tag.split(".")))
    new_name = f"{stem}-{new_platform}.whl"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        dist_info = next(i.filename.split("/")[0] for i in infos if i.filename.endswith(".dist-info/WHEEL")
                         and i.filename.count("/") == 1)
        wheel_name, record_name = f"{dist_info}/WHEEL", f"{dist_info}/RECORD"
        lines = zf.read(wheel_name).decode("utf-8").split("\n")
        for i, line in enumerate(lines):
            if line.lower().startswith("tag:"):
                py, abi, plat = line.split(":", 1)[1].strip().split("-")
                lines[i] = f"Tag: {py}-{abi}-{plain(plat)}"
        new_wheel = "\n".join(_dedupe_lines(lines)).encode("utf-8")
        rows = list(csv.reader(io.StringIO(zf.read(record_name).decode("utf-8"))))
        for row in rows:
            if row and row[0] == wheel_name:
                row[1:3] = [record_hash(hashlib.sha256(new_wheel).digest()), str(len(new_wheel))]
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        writer = WheelZipWriter(out)
        for info in infos:
            mode = (info.external_attr >> 16) & 0o777 or 0o644
            if info.filename == wheel_name:
                writer.add_bytes(info.filename, new_wheel, mode)
            elif info.filename == record_name:
                writer.add_bytes(info.filename, buf.getvalue().encode("utf-8"), mode)
            else:
                writer.add_bytes(info.filename, zf.read(info), mode)
        writer.close()
    return new_name, out.getvalue()


def _dedupe_lines(lines: list) -> list:
    seen, out = set(), []
    for line in lines:
        if line.startswith("Tag: ") and line in seen:
            continue
        seen.add(line)
        out.append(line)
    return out


# ---------------------------------------------------------------- rendering


# ---------------------------------------------------------------- rendering

_PLAIN_URL = re.compile(r"[A-Za-z0-9_.~/-]*")  # what quote() leaves alone
_PLAIN_HTML = re.compile(r"[^&<>\"']*")  # what html.escape() leaves alone


def _quote(text: str) -> str:
    return text if _PLAIN_URL.fullmatch(text) else quote(text)


def _escape(text: str) -> str:
    return text if _PLAIN_HTML.fullmatch(text) else html.escape(text)


def _url(entry: Entry, depth: int, base_url: Optional[str]) -> str:
    if base_url:
        return base_url + _quote(entry.path)
    if entry.index and entry.path.startswith(entry.index + "/"):  # the distro's own packages/
        return "../../" + _quote(entry.path[len(entry.index) + 1:])
    return "../" * depth + _quote(entry.path)


def render_project(project: str, files: list, depth: int = 2, base_url: Optional[str] = None) -> tuple:
    """(index.html, index.json) of one project page (PEP 503, 629, 658, 691, 700, 714)."""
    links, items = [], []
    for e in files:
        url = _url(e, depth, base_url)
        attrs = [f'href="{_escape(url)}#sha256={e.sha256}"']
        if e.requires_python:
            attrs.append(f'data-requires-python="{_escape(e.requires_python)}"')
        attrs.append(f'data-core-metadata="sha256={e.metadata_sha256}"')
        attrs.append(f'data-dist-info-metadata="sha256={e.metadata_sha256}"')
        links.append(f"    <a {' '.join(attrs)}>{_escape(e.filename)}</a><br>")
        item = {"filename": e.filename, "url": url, "hashes": {"sha256": e.sha256}}
        if e.requires_python:
            item["requires-python"] = e.requires_python
        item["core-metadata"] = {"sha256": e.metadata_sha256}
        item["dist-info-metadata"] = {"sha256": e.metadata_sha256}
        item["size"] = e.size
        item["yanked"] = False
        items.append(item)
    versions = sorted({e.version for e in files}, key=Version)
    page = _HTML.format(title=f"Links for {html.escape(project)}", body="\n".join(links))
    data = {"meta": {"api-version": API_VERSION}, "name": project, "versions": versions, "files": items}
    return page, json.dumps(data, separators=(",", ":")) + "\n"


def render_root(projects: list) -> tuple:
    links = [f'    <a href="{_quote(p)}/">{_escape(p)}</a><br>' for p in projects]
    page = _HTML.format(title="Simple index", body="\n".join(links))
    data = {"meta": {"api-version": API_VERSION}, "projects": [{"name": p} for p in projects]}
    return page, json.dumps(data, separators=(",", ":")) + "\n"


_HTML = """<!DOCTYPE html>
<html>
  <head>
    <meta name="pypi:repository-version" content="1.1">
    <title>{title}</title>
  </head>
  <body>
    <h1>{title}</h1>
{body}
  </body>
</html>
"""


# ---------------------------------------------------------------- generations, swap, garbage


# ---------------------------------------------------------------- layout and file-system helpers

def _check_layout(mirror: Path) -> None:
    simple = mirror / "simple"
    if simple.exists() and not simple.is_symlink():
        raise MirrorError(f"{simple}: a folder not made by egg-migrate publish; choose an empty or egg-migrate mirror folder")


def _gen(number: int) -> str:
    return f"gen-{number:06d}"


def _point(link: Path, target: str) -> None:
    """Atomically make ``link`` a symlink to ``target`` (rename over the old one)."""
    tmp = link.with_name(f".{link.name}.tmp-{os.getpid()}")
    _unlink(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, link)


def _link_indexes(mirror: Path, distros: list) -> set:
    """``simple`` and ``<distro>/simple`` -> the live generation (made once; they dangle until it has them).

    Returns the folders that gained a link.
    """
    want = {mirror / "simple": f"{STATE_DIR}/current/simple"}
    for d in distros:
        want[mirror / d / "simple"] = f"../{STATE_DIR}/current/{d}/simple"
    changed = set()
    for link, target in want.items():
        link.parent.mkdir(exist_ok=True)
        if link.is_symlink() and os.readlink(link) == target:
            continue
        if os.path.lexists(link) and not link.is_symlink():
            raise MirrorError(f"{link}: a folder not made by egg-migrate publish")
        _point(link, target)
        changed |= {str(link.parent), str(link.parent.parent)}
    return changed


_DISTRO_DIR = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


def _distro_dirs(mirror: Path) -> list:
    """Folders at the mirror root that are (or were) a distro index."""
    out = []
    try:
        for entry in os.scandir(mirror):
            if entry.name in ("packages", "simple") or not _DISTRO_DIR.match(entry.name) \
                    or not entry.is_dir(follow_symlinks=False):
                continue
            if os.path.lexists(os.path.join(entry.path, "simple")) or os.path.isdir(os.path.join(entry.path, "packages")):
                out.append(Path(entry.path))
    except OSError:
        pass
    return out


def _delete_wheel(root: str, path: str) -> None:
    """A stored wheel and its .metadata; an emptied ``<sha256[:16]>/`` folder too."""
    _unlink(f"{root}/{path}")
    _unlink(f"{root}/{path}.metadata")
    if path.count("/") > (1 if path.startswith("packages/") else 2):
        try:
            os.rmdir(f"{root}/{path.rsplit('/', 1)[0]}")
        except OSError:
            pass


def _unlink(path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _remove(path) -> None:
    """A file, a symlink or a whole folder; nothing when missing."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        _unlink(path)


def _overwrite(path: str, data: bytes) -> None:
    # Only for files inside the generation being made: no reader can see them yet.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _replace_symlink(path: str, target: str) -> None:
    try:
        os.symlink(target, path)
    except FileExistsError:
        _remove(path)
        os.symlink(target, path)


def _ensure_symlink(path: str, target: str) -> None:
    try:
        if os.readlink(path) == target:
            return
    except OSError:
        pass
    _remove(path)
    os.symlink(target, path)


def _sync(root: Path, files=(), dirs=()) -> None:
    """Make everything this publish wrote durable before the swap.

    A few new files: fsync each, then the folders that gained entries. Many: one syncfs of the
    file system (cheaper than thousands of fsync calls; it also flushes other programs' writes).
    """
    if len(files) <= _FEW_FILES:
        for path in files:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        for folder in sorted(dirs):
            fsync_dir(folder)
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(root, os.O_RDONLY)
        try:
            if libc.syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    except (OSError, AttributeError):
        pass
    os.sync()


def _Lock(path: Path) -> ExclusiveLock:
    """One publish at a time per mirror."""
    return ExclusiveLock(path, MirrorError(f"{Path(path).parent.parent}: another publish is running"))
