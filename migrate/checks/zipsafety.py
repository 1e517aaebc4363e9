"""W2xx: the archive itself is safe to extract and intact.

Installers extract every member: a ``..``, absolute or symlink member writes
outside site-packages; duplicates make what is installed depend on the
installer; a member that inflates a thousandfold is a zip bomb. The rules and
limits are the ones the converter applies to eggs (``migrate.eggs.archive``).
"""
from __future__ import annotations

import zipfile

from migrate import problems as P
from migrate.checks.reader import OpenWheel
from migrate.eggs import climbs_out, is_absolute, is_encrypted, is_symlink
from migrate.problems import Problem


def check(w: OpenWheel) -> list[Problem]:
    found = []
    limits = w.limits
    if limits.too_many(len(w.infos)):
        found.append(P.error("W205", f"{len(w.infos)} members (limit {limits.max_members})"))
    seen: set[str] = set()
    total = 0
    for info in w.infos:
        found += _entry_problems(info, seen)
        seen.add(info.filename)
        if info.filename.endswith("/"):
            continue
        found += _file_problems(w, info)
        total += info.file_size
    if limits.too_much(total):
        found.append(P.error("W205", f"members add up to {total} bytes (limit {limits.max_total_size}, zip bomb?)"))
    found += _file_and_folder(w)
    for name, digest in w.digests.items():
        if isinstance(digest, str) and not w.refused(w.by_name[name]):
            found.append(P.error("W208", digest))
    return found


def _entry_problems(info: zipfile.ZipInfo, seen: set[str]) -> list[Problem]:
    """What makes any member, file or folder, unsafe to extract (``seen``: the names before it)."""
    name = info.filename
    found = _path_problems(name)
    if is_symlink(info):
        found.append(P.error("W203", f"{name}: a symlink"))
    if is_encrypted(info):
        found.append(P.error("W206", f"{name}: encrypted"))
    if name in seen:
        found.append(P.error("W204", f"{name}: appears more than once"))
    return found


def _file_problems(w: OpenWheel, info: zipfile.ZipInfo) -> list[Problem]:
    """A file member that looks like a zip bomb or is compressed in a way wheels are not."""
    found = []
    why = w.oversized(info)
    if why:
        found.append(P.error("W205", f"{info.filename}: {why}"))
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        found.append(P.warning("W210", f"{info.filename}: compression method {info.compress_type} (wheels use stored or deflate)"))
    return found


def _path_problems(name: str) -> list[Problem]:
    if is_absolute(name):
        return [P.error("W201", f"{name}: absolute path")]
    if climbs_out(name):
        return [P.error("W202", f"{name}: '..' escapes the install folder")]
    parts = name.replace("\\", "/").rstrip("/").split("/")
    if "\\" in name or "\x00" in name or "." in parts or "" in parts:
        return [P.error("W207", f"{name!r}: not a normalised path (backslash, NUL, '.' or empty part)")]
    return []


def _file_and_folder(w: OpenWheel) -> list[Problem]:
    files = set(w.by_name)
    found = []
    for name in sorted(files):
        parts = name.split("/")
        for i in range(1, len(parts)):
            prefix = "/".join(parts[:i])
            if prefix in files:
                found.append(P.error("W209", f"{prefix} is both a file and a folder"))
    return list(dict.fromkeys(found))
