"""Wheels -> a static PEP 503 mirror with PEP 691 JSON and PEP 658/714 ``.metadata`` files.

Layout (docs/mirror.rst)::

    MIRROR/packages/<wheel>              immutable; + <wheel>.metadata (byte copy of METADATA)
    MIRROR/simple -> .egg-migrate/current/simple
    MIRROR/<distro>/packages/<wheel>     a distro build re-tagged linux_<arch>
    MIRROR/<distro>/simple -> ../.egg-migrate/current/<distro>/simple
    MIRROR/.egg-migrate/current -> gen-N   gen-N/{state.json, simple/, <distro>/simple/}

Why this shape: every index page of a publish is written into a new generation
folder beside the live one, then one ``rename()`` of the ``current`` symlink
swaps all indexes at once. A crash before that leaves the old mirror serving,
untouched. Wheel files are never overwritten while an index refers to them
(a changed file with a known name goes to ``packages/<sha256[:16]>/``), so
readers always find what a page they read points to.

Incremental: ``state.json`` remembers each source wheel by (path, size, mtime,
inode) with its hash and metadata, so a republish reads only new or changed
wheels and renders only projects whose files changed; unchanged pages are
hard-linked into the new generation.

Distro builds (platform ``linux_x86_64_ubuntu_14_04``): stock pip never
installs a distro tag (FACTS.md, "Mirrors and pins"), so besides listing the
original in ``simple/`` (for ``pip download --platform ...``) each one is
re-tagged ``linux_<arch>`` (WHEEL and RECORD rewritten) and served from
``<distro>/simple/`` together with every portable wheel.
"""
from __future__ import annotations

import csv
import errno
import hashlib
import html
import io
import json
import os
import re
import shutil
import struct
import time
import zlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, NamedTuple, Optional
from urllib.parse import quote

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from migrate import problems as P

STATE_DIR = ".egg-migrate"
RENDERER = 1  # bump when page rendering changes: every page is rewritten once
API_VERSION = "1.1"  # PEP 691 + PEP 700 (versions, size)
_IN_MEMORY = 32 * 1024 * 1024
_ARCHES = ("x86_64", "i686", "aarch64", "armv7l", "armv6l", "ppc64le", "ppc64", "s390x", "riscv64", "loongarch64")
_DISTRO_TAG = re.compile(r"^linux_(?P<arch>%s)_(?P<distro>[a-z][a-z0-9]*(?:_[a-z0-9]+)*)$" % "|".join(_ARCHES))
_GEN = re.compile(r"^gen-(\d{6})$")
_SEP = "\x1f"


class MirrorError(Exception):
    """The mirror folder cannot be published to (one line, names the path)."""


class Entry(NamedTuple):
    """One file served by one index; what its page line and state row need.

    A NamedTuple (immutable, and cheap to build 100,000 times from state.json).
    """

    filename: str
    project: str  # normalized
    version: str
    sha256: str
    size: int
    requires_python: Optional[str]
    metadata_sha256: str
    path: str  # relative to the mirror root, '/'-separated
    index: str  # "" for simple/, else the distro folder name
    source: tuple = ()  # (path, size, mtime_ns, inode) of the wheel it came from

    def dump(self) -> str:
        """One state.json row: the fields joined by U+001F (100,000 strings load 5x faster than lists)."""
        return _SEP.join((*self[:4], str(self.size), self.requires_python or "", *self[6:9],
                          self.source[0], *map(str, self.source[1:])))

    @classmethod
    def load(cls, text: str) -> "Entry":
        f = text.split(_SEP)
        return cls(f[0], f[1], f[2], f[3], int(f[4]), f[5] or None, f[6], f[7], f[8],
                   (f[9], int(f[10]), int(f[11]), int(f[12])))


@dataclass(frozen=True)
class PublishReport:
    mirror: str
    files: int  # wheel files listed in simple/
    projects: int
    distros: tuple  # distro index names
    added: tuple  # filenames newly read this time
    removed: tuple  # filenames no longer published
    pages_written: int  # project pages rendered
    pages_reused: int  # project pages hard-linked from the previous generation
    problems: tuple = field(default=())
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not P.has_errors(self.problems)


# ---------------------------------------------------------------- public entry

def publish(wheels: Iterable, mirror_dir, base_url: Optional[str] = None, durable: bool = True,
            link: bool = False) -> PublishReport:
    """Make ``mirror_dir`` serve exactly ``wheels`` (a sync, not an append); atomic, incremental.

    ``durable``: flush the file system before the swap (survives power loss, not only crashes).
    ``link``: hard-link wheels into packages/ instead of copying them (5x cheaper per file; only
    for wheel folders whose files are replaced by rename, never rewritten in place, as
    ``egg-migrate convert`` does).
    """
    started = time.perf_counter()
    mirror = Path(mirror_dir)
    base_url = base_url.rstrip("/") + "/" if base_url else None
    mirror.mkdir(parents=True, exist_ok=True)
    _check_layout(mirror)
    state_root = mirror / STATE_DIR
    state_root.mkdir(exist_ok=True)
    with _Lock(state_root / "lock"):
        current, old_state, old_entries = _load_current(state_root)
        previous_paths = _previous_paths(state_root, current)
        sources = _source_index(old_entries)
        (mirror / "packages").mkdir(exist_ok=True)
        existing = _listing(mirror)
        entries, problems, added = _collect(wheels, mirror, sources, old_entries, previous_paths, existing, link)
        reusable = old_state.get("renderer") == RENDERER and old_state.get("base_url") == base_url
        gen_name = f"gen-{(current or 0) + 1:06d}"
        tmp = state_root / f"{gen_name}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        written, reused = _build_generation(tmp, entries, old_entries if reusable else [],
                                            state_root / _gen(current) if current else None, base_url)
        _write_json(tmp / "state.json", {
            "schema": 1, "renderer": RENDERER, "base_url": base_url,
            "files": [e.dump() for e in entries],
        })
        if durable:
            _sync(mirror)
        os.replace(tmp, state_root / gen_name)
        _point(state_root / "current", gen_name)
        distros = sorted({e.index for e in entries if e.index})
        _link_indexes(mirror, distros)
        if durable:
            _sync(mirror)
        _collect_garbage(mirror, state_root, gen_name, entries, old_entries, existing)
    old_names = {e.filename for e in old_entries if not e.index}
    new_names = {e.filename for e in entries if not e.index}
    return PublishReport(
        mirror=str(mirror), files=len(new_names), projects=len({e.project for e in entries if not e.index}),
        distros=tuple(distros), added=tuple(sorted(added)), removed=tuple(sorted(old_names - new_names)),
        pages_written=written, pages_reused=reused, problems=tuple(problems),
        seconds=time.perf_counter() - started,
    )


def index_url(mirror_dir, distro: Optional[str] = None) -> str:
    """The ``file://`` URL of a published index, for ``pip --index-url``."""
    root = Path(os.path.abspath(mirror_dir))  # not resolve(): simple/ is a symlink
    return (root / distro / "simple" if distro else root / "simple").as_uri() + "/"


# ---------------------------------------------------------------- reading wheels

def _collect(wheels, mirror: Path, sources: dict, old_entries: list, previous_paths: dict, existing: set,
             link: bool = False):
    """(entries for every index, problems, filenames read this time)."""
    problems, added, entries, by_name = [], [], [], {}
    live = {e.path: e.sha256 for e in old_entries}
    live.update(previous_paths)
    cwd = os.getcwd()
    for wheel in wheels:
        wheel = os.fspath(wheel)
        try:
            st = os.stat(wheel)
        except OSError as exc:
            problems.append(P.error("R001", f"{wheel}: cannot read ({exc.strerror or exc})"))
            continue
        key = (wheel if os.path.isabs(wheel) else os.path.join(cwd, wheel), st.st_size, st.st_mtime_ns, st.st_ino)
        if _SEP in key[0]:
            problems.append(P.error("R001", f"{wheel!r}: control character in the path; rename it"))
            continue
        cached = sources.get(key)
        if cached is not None and all(e.path in existing and e.path + ".metadata" in existing for e in cached):
            found = cached
        else:
            try:
                found = _read_and_store(wheel, key, mirror, live, existing, link)
            except _BadWheel as exc:
                problems.append(P.error("R002", f"{os.path.basename(wheel)}: {exc}"))
                continue
            added.append(os.path.basename(wheel))
        main = found[0]
        other = by_name.get(main.filename)
        if other is not None:
            if other.sha256 != main.sha256:
                problems.append(P.error("R003", f"{wheel}: another wheel named {main.filename} with different content was given; kept the first"))
            continue
        by_name[main.filename] = main
        entries.extend(found)
    return _resolve_distro_collisions(entries), problems, added


def _resolve_distro_collisions(entries: list) -> list:
    """A distro index lists its own builds plus portable wheels; on a name clash its own build wins."""
    distro_names = {(e.index, e.filename) for e in entries if e.index}
    distros = {e.index for e in entries if e.index}
    out = list(entries)
    for distro in sorted(distros):
        for e in entries:
            if not e.index and not is_distro_platform(e.filename) and (distro, e.filename) not in distro_names:
                out.append(e._replace(index=distro))
    return out


class _BadWheel(Exception):
    pass


def _read_and_store(wheel: str, key: tuple, mirror: Path, live: dict, existing: set, link: bool = False) -> list:
    """Hash the wheel, take its METADATA, copy both under packages/; distro builds also re-tagged."""
    filename = os.path.basename(wheel)
    try:
        name, version, _build, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        raise _BadWheel(f"not a wheel file name ({exc})") from None
    try:
        data = _read(wheel) if key[1] <= _IN_MEMORY else None
        sha = hashlib.sha256(data).hexdigest() if data is not None else _file_sha256(wheel)
        metadata = _metadata(data if data is not None else wheel, name, version)
    except OSError as exc:
        raise _BadWheel(f"cannot read ({exc.strerror or exc})") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, struct.error) as exc:
        raise _BadWheel(f"not a valid zip archive ({exc})") from None
    fields = _headers(metadata)
    meta_name, meta_version = fields.get("name"), fields.get("version")
    if not meta_name or canonicalize_name(meta_name) != name:
        raise _BadWheel(f"METADATA Name {meta_name!r} does not match the file name")
    try:
        if meta_version is None or (meta_version != str(version) and Version(meta_version) != version):
            raise _BadWheel(f"METADATA Version {meta_version!r} does not match the file name")
    except InvalidVersion:
        raise _BadWheel(f"METADATA Version {meta_version!r} is not a version") from None
    meta_sha = hashlib.sha256(metadata).hexdigest()
    rp = fields.get("requires-python")
    path = _store(mirror, "packages", filename, sha, live, existing, data, wheel, metadata, link)
    main = Entry(filename, name, str(version), sha, key[1], rp, meta_sha, path, "", key)
    distro = _distro_of(tags)
    if distro is None:
        return [main]
    retagged_name, blob = _retag(data if data is not None else _read(wheel), filename, tags)
    rsha = hashlib.sha256(blob).hexdigest()
    rpath = _store(mirror, f"{distro}/packages", retagged_name, rsha, live, existing, blob, None, metadata)
    return [main, Entry(retagged_name, name, str(version), rsha, len(blob), rp, meta_sha, rpath, distro, key)]


def _read(path: str) -> bytes:
    with open(path, "rb", buffering=0) as fp:
        return fp.readall()


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
    out, pos = [], cd_offset
    for _ in range(n_total):
        (sig, _made, _need, flags, method, _t, _d, crc, csize, usize, nlen, elen, clen, _disk, _int, _ext,
         offset) = _CDIR.unpack_from(data, pos)
        if sig != b"PK\x01\x02":
            raise zipfile.BadZipFile("bad central directory")
        name = data[pos + 46:pos + 46 + nlen]
        if name.endswith(b".dist-info/METADATA") and name.count(b"/") == 1:
            if 0xFFFFFFFF in (csize, usize, offset):
                return None
            out.append((name.decode("utf-8", "surrogateescape"), method, flags, crc, csize, usize, offset))
        pos += 46 + nlen + elen + clen
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


def _dist_info_matches(stem: str, name, version) -> bool:
    project, _, ver = stem.rpartition("-")
    try:
        return canonicalize_name(project) == name and Version(ver) == version
    except InvalidVersion:
        return False


def _headers(metadata: bytes) -> dict:
    """Name, Version, Requires-Python from the header block (first value wins); no full email parse."""
    wanted = {"name", "version", "requires-python"}
    out = {}
    text = metadata.decode("utf-8", "surrogateescape")
    for line in text.split("\n"):
        if not line.strip():
            break
        if line[:1] in " \t":
            continue
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if sep and key in wanted and key not in out:
            out[key] = value.strip()
    return out


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fp:
        for chunk in iter(lambda: fp.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _store(mirror: Path, folder: str, filename: str, sha: str, live: dict, existing: set,
           data: Optional[bytes], source, metadata: bytes, link: bool = False) -> str:
    """Place a wheel and its .metadata; never overwrite a file a live index refers to."""
    path = f"{folder}/{filename}"
    if path in live and live[path] != sha:
        path = f"{folder}/{sha[:16]}/{filename}"
    if live.get(path) == sha and path in existing and path + ".metadata" in existing:
        return path
    target = f"{mirror}/{path}"
    if folder != "packages" or "/" in path[len(folder) + 1:]:
        os.makedirs(os.path.dirname(target), exist_ok=True)
    if not (link and source is not None and _link(source, target)):
        if data is not None:
            _write_new(target, data)
        else:
            shutil.copyfile(source, target)
    _write_new(target + ".metadata", metadata)
    existing.add(path)
    existing.add(path + ".metadata")
    return path


def _link(source, target: str) -> bool:
    """Hard-link ``source`` as ``target`` (an unreferenced leftover there is replaced); False if impossible."""
    try:
        os.unlink(target)
    except FileNotFoundError:
        pass
    except OSError:
        return False
    try:
        os.link(source, target)
        return True
    except OSError:  # another file system, no permission...
        return False


def _write_new(path, data: bytes) -> None:
    # Unreferenced by any index (checked by the caller), so writing in place is safe.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


# ---------------------------------------------------------------- distro builds

def is_distro_platform(filename_or_tag: str) -> bool:
    tag = filename_or_tag[:-4].rsplit("-", 1)[-1] if filename_or_tag.endswith(".whl") else filename_or_tag
    return all(_DISTRO_TAG.match(p) for p in tag.split("."))


def _distro_of(tags) -> Optional[str]:
    """The distro folder for a wheel whose every platform tag is one distro's; else None."""
    found = set()
    for t in tags:
        m = _DISTRO_TAG.match(t.platform)
        if not m:
            return None
        found.add(m.group("distro"))
    return found.pop() if len(found) == 1 else None


def _retag(data: bytes, filename: str, tags) -> tuple:
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

def _build_generation(tmp: Path, entries: list, old_entries: list, old_gen: Optional[Path], base_url) -> tuple:
    """Write every index of the new generation into ``tmp``; (pages rendered, pages hard-linked)."""
    groups = {}
    for e in entries:
        groups.setdefault(e.index, {}).setdefault(e.project, []).append(e)
    old_groups = {}
    for e in old_entries:
        old_groups.setdefault((e.index, e.project), set()).add(_page_key(e))
    written = reused = 0
    tmp = str(tmp)
    old = str(old_gen) if old_gen is not None else None
    os.makedirs(tmp)
    for index in sorted(groups) or [""]:
        rel = f"{index}/simple" if index else "simple"
        simple = f"{tmp}/{rel}"
        os.makedirs(simple)
        depth = 3 if index else 2
        projects = groups.get(index, {})
        for project in sorted(projects):
            files = sorted(projects[project], key=lambda e: e.filename)
            page = f"{simple}/{project}"
            os.mkdir(page)
            if old is not None and old_groups.get((index, project)) == {_page_key(e) for e in files}:
                try:
                    os.link(f"{old}/{rel}/{project}/index.html", f"{page}/index.html")
                    os.link(f"{old}/{rel}/{project}/index.json", f"{page}/index.json")
                    reused += 1
                    continue
                except OSError:  # never write through a link into the live generation
                    for name in ("index.html", "index.json"):
                        try:
                            os.unlink(f"{page}/{name}")
                        except FileNotFoundError:
                            pass
            html_text, json_text = render_project(project, files, depth, base_url)
            _write_new(f"{page}/index.html", html_text.encode("utf-8"))
            _write_new(f"{page}/index.json", json_text.encode("utf-8"))
            written += 1
        html_text, json_text = render_root(sorted(projects))
        _write_new(f"{simple}/index.html", html_text.encode("utf-8"))
        _write_new(f"{simple}/index.json", json_text.encode("utf-8"))
        # Clients resolve relative links on the URL (simple/x/../../packages); a tool that resolves
        # them on the file system goes through the simple/ symlink into this generation instead,
        # so the generation links back to the real package folder as well.
        os.symlink("../../packages" if not index else f"../../../{index}/packages",
                   f"{tmp}/{index}/packages" if index else f"{tmp}/packages")
    return written, reused


def _page_key(row) -> tuple:
    """What a page line depends on: every field but the source stat key."""
    return tuple(row[:9])


def _url(entry: Entry, depth: int, base_url: Optional[str]) -> str:
    if base_url:
        return base_url + quote(entry.path)
    if entry.index and entry.path.startswith(entry.index + "/"):  # the distro's own packages/
        return "../../" + quote(entry.path[len(entry.index) + 1:])
    return "../" * depth + quote(entry.path)


def render_project(project: str, files: list, depth: int = 2, base_url: Optional[str] = None) -> tuple:
    """(index.html, index.json) of one project page (PEP 503, 629, 658, 691, 700, 714)."""
    links, items = [], []
    for e in files:
        url = _url(e, depth, base_url)
        attrs = [f'href="{html.escape(url)}#sha256={e.sha256}"']
        if e.requires_python:
            attrs.append(f'data-requires-python="{html.escape(e.requires_python)}"')
        attrs.append(f'data-core-metadata="sha256={e.metadata_sha256}"')
        attrs.append(f'data-dist-info-metadata="sha256={e.metadata_sha256}"')
        links.append(f"    <a {' '.join(attrs)}>{html.escape(e.filename)}</a><br>")
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
    links = [f'    <a href="{quote(p)}/">{html.escape(p)}</a><br>' for p in projects]
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

def _check_layout(mirror: Path) -> None:
    simple = mirror / "simple"
    if simple.exists() and not simple.is_symlink():
        raise MirrorError(f"{simple}: a folder not made by egg-migrate publish; choose an empty or egg-migrate mirror folder")


def _gen(number: int) -> str:
    return f"gen-{number:06d}"


def _load_current(state_root: Path) -> tuple:
    """(generation number, state.json, its entries) of the live generation; (None, {}, []) when none."""
    link = state_root / "current"
    try:
        target = os.readlink(link)
    except OSError:
        return None, {}, []
    m = _GEN.match(target)
    if not m:
        raise MirrorError(f"{link}: unexpected target {target!r}")
    try:
        state = json.loads((state_root / target / "state.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise MirrorError(f"{state_root / target / 'state.json'}: unreadable ({exc})") from None
    if state.get("schema") != 1:
        return int(m.group(1)), {}, []
    try:
        entries = [Entry.load(text) for text in state.get("files", [])]
    except (ValueError, IndexError, AttributeError):
        raise MirrorError(f"{state_root / target / 'state.json'}: unreadable rows") from None
    return int(m.group(1)), state, entries


def _previous_paths(state_root: Path, current: Optional[int]) -> dict:
    """Files the previous generation referred to: kept one more publish for readers in flight."""
    if not current:
        return {}
    try:
        state = json.loads((state_root / _gen(current - 1) / "state.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    found = {}
    for text in state.get("files", []):
        f = text.split(_SEP, 8)
        found[f[7]] = f[3]
    return found


def _source_index(entries: list) -> dict:
    """{source key: [its entry in simple/, its re-tagged distro entry]} from the last state."""
    found = {}
    for e in entries:
        if not e.index:
            found[e.source] = [e]
    for e in entries:
        if e.index and e.path.startswith(e.index + "/") and e.source in found:  # a distro's own build
            found[e.source].append(e)
    return found


def _listing(mirror: Path) -> set:
    """Every file under packages/ folders, relative to the mirror root."""
    out = set()
    for top in [mirror / "packages"] + [p / "packages" for p in _distro_dirs(mirror)]:
        if not top.is_dir():
            continue
        for dirpath, _dirs, files in os.walk(top):
            rel = os.path.relpath(dirpath, mirror).replace(os.sep, "/")
            out.update(f"{rel}/{f}" for f in files)
    return out


def _distro_dirs(mirror: Path) -> list:
    out = []
    try:
        for entry in os.scandir(mirror):
            if entry.is_dir(follow_symlinks=False) and entry.name not in ("packages", STATE_DIR) \
                    and os.path.lexists(os.path.join(entry.path, "simple")):
                out.append(Path(entry.path))
    except OSError:
        pass
    return out


def _point(link: Path, target: str) -> None:
    """Atomically make ``link`` a symlink to ``target`` (rename over the old one)."""
    tmp = link.with_name(f".{link.name}.tmp-{os.getpid()}")
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    os.symlink(target, tmp)
    os.replace(tmp, link)


def _link_indexes(mirror: Path, distros: list) -> None:
    want = {mirror / "simple": f"{STATE_DIR}/current/simple"}
    for d in distros:
        want[mirror / d / "simple"] = f"../{STATE_DIR}/current/{d}/simple"
    for link, target in want.items():
        link.parent.mkdir(exist_ok=True)
        if link.is_symlink() and os.readlink(link) == target:
            continue
        if link.exists() and not link.is_symlink():
            raise MirrorError(f"{link}: a folder not made by egg-migrate publish")
        _point(link, target)


def _collect_garbage(mirror: Path, state_root: Path, gen_name: str, entries: list, old_entries: list,
                     existing: set) -> None:
    """Drop generations older than the previous one, and files neither of them refers to."""
    keep_gens = {gen_name}
    number = int(_GEN.match(gen_name).group(1))
    if number > 1:
        keep_gens.add(_gen(number - 1))
    for child in os.scandir(state_root):
        if child.name.startswith("gen-") and child.name not in keep_gens:
            shutil.rmtree(child.path, ignore_errors=True)
    referenced = {e.path for e in entries} | {e.path for e in old_entries}
    referenced |= {p + ".metadata" for p in referenced}
    folders = set()
    for path in existing - referenced:
        try:
            os.unlink(f"{mirror}/{path}")
        except OSError:
            pass
        if path.count("/") > (1 if path.startswith("packages/") else 2):
            folders.add(path.rsplit("/", 1)[0])
    for folder in folders:  # emptied packages/<sha256[:16]>/ folders
        try:
            os.rmdir(f"{mirror}/{folder}")
        except OSError:
            pass
    distros = {e.index for e in entries if e.index} | {e.index for e in old_entries if e.index}
    for d in _distro_dirs(mirror):
        if d.name not in distros:
            link = d / "simple"
            if link.is_symlink():
                os.unlink(link)
            shutil.rmtree(d / "packages", ignore_errors=True)
            try:
                d.rmdir()
            except OSError:
                pass


def _sync(path: Path) -> None:
    """Flush the file system holding ``path`` (syncfs on Linux, else sync)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(path, os.O_RDONLY)
        try:
            if libc.syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    except (OSError, AttributeError):
        pass
    os.sync()


def _write_json(path: Path, data) -> None:
    _write_new(path, json.dumps(data, separators=(",", ":")).encode("utf-8"))  # dumps: the C encoder


class _Lock:
    """One publish at a time per mirror (flock; released when the process dies)."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        import fcntl

        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(self.fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise MirrorError(f"{self.path.parent.parent}: another publish is running") from None
            raise
        return self

    def __exit__(self, *exc):
        os.close(self.fd)
