"""What a publish remembers between runs: the state shards and each generation's own files.

The on-disk format of the state has one home here. A ``Row`` is one published wheel (a line of
a state shard, behind its source key); an ``Entry`` what a page line needs; a ``Gen`` what one
generation serves (its ``state.json`` and ``pages`` files). ``generation`` writes them.
"""
from __future__ import annotations

import json
import re
import zlib
from typing import TYPE_CHECKING, Any, NamedTuple, Optional

if TYPE_CHECKING:
    from migrate.mirror.pagetable import PageTable

STATE_DIR = ".egg-migrate"
SCHEMA = 2  # state.json / state shard format
SHARDS = 64
GEN = re.compile(r"^gen-(\d{6})$")
WORK = "next.tmp"  # the generation being made; still there at the start of a publish = the last one crashed
DIRTY = "sweep-needed"  # left by a crash until a full sweep of unreferenced files is done
UNSAFE = re.compile(r"[\t\n\r\x1f]")  # field and line separators of the state

Pair = tuple[str, str]  # a wheel in a state shard: (source key, row text)
PageRef = tuple[str, str]  # a page folder: (index, sig); index "" is simple/'s page store
ProjectPage = tuple[str, tuple[str, ...]]  # a project's page in a generation: (sig, the distro indexes it is in)


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
    index_name: str  # "" for simple/, else the distro folder name (``index`` would hide tuple.index)


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

    def paths(self) -> tuple[str, ...]:
        """The files this row keeps alive, relative to the mirror root."""
        if self.distro:
            return self.path, self.path + ".metadata", self.rpath, self.rpath + ".metadata"
        return self.path, self.path + ".metadata"


class Gen:
    """What a generation serves, from its state.json and pages files (rows are loaded separately)."""

    def __init__(self, number: int = 0, state: Optional[dict[str, Any]] = None,
                 pages: Optional[PageTable] = None, known: bool = True):
        from migrate.mirror.pagetable import PageTable  # it files pages by shard()

        self.number = number
        self.state = state or {}
        self.pages = pages if pages is not None else PageTable()  # project -> (sig, distro indexes it is in)
        self.known = known  # False: an older format or unreadable; what it refers to is unknown

    @property
    def distros(self) -> dict[str, int]:
        return dict(self.state.get("distros", {}))

    @property
    def shards(self) -> list[str]:
        return list(self.state.get("shards", [""] * SHARDS))


def shard(project: str) -> int:
    return zlib.crc32(project.encode("utf-8")) % SHARDS


def read_gen(state_root: str, number: int) -> Gen:
    folder = f"{state_root}/{gen(number)}"
    try:
        with open(f"{folder}/state.json", "rb") as fp:
            state = json.loads(fp.read())
    except (OSError, ValueError):
        return Gen(number, {}, None, known=False)
    if not isinstance(state, dict) or state.get("schema") != SCHEMA or len(state.get("shards", [])) != SHARDS:
        return Gen(number, {}, None, known=False)
    from migrate.mirror.pagetable import PageTable

    try:
        with open(f"{folder}/pages", "rb") as fp:
            pages = PageTable(_page_lines(fp))
    except (OSError, ValueError):
        return Gen(number, {}, None, known=False)
    return Gen(number, state, pages)


def _page_lines(fp: Any) -> Any:
    """(project, (sig, distro indexes)) of each line of a generation's ``pages`` file, read a line at a time."""
    for block in iter(lambda: fp.readlines(1 << 16), []):  # lines of 64 KB at a time
        for line in b"".join(block).decode("utf-8").splitlines():
            project, sig, idx = line.split("\t")  # an empty line: ValueError
            yield project, (sig, tuple(idx.split(",")) if idx else ())


def read_shards(state_root: str, shards: list[str]) -> tuple[dict[str, str], list[list[Pair]]]:
    """({source key: row text}, [(key, text) pairs of each shard]).

    A shard holds its n source keys, one a line, then their n rows: loading is two slices and a zip.
    """
    rows: dict[str, str] = {}
    pairs: list[list[Pair]] = []
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


def gen(number: int) -> str:
    return f"gen-{number:06d}"
