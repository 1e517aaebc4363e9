"""W3xx: RECORD lists every file once, with the right sha256 and size, and nothing else.

Binary distribution format spec / PEP 376: ``path,algorithm=urlsafe-b64-digest,size``
per file, RECORD itself listed without hash and size, signature files
(``RECORD.jws``, ``RECORD.p7s``) not listed; md5 and sha1 are not allowed.
The same rules as ``installer.sources.WheelFile.validate_record``, plus files
RECORD lists that the archive lacks, and RECORD being the last member.
"""
from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
from typing import Optional, Union

from migrate import problems as P
from migrate.checks.reader import OpenWheel, UnreadableMember
from migrate.problems import Problem
from migrate.wheels import record_hash

_SIGNATURES = ("RECORD.jws", "RECORD.p7s")
_WEAK = {"md5", "sha1", "sha224"}
_Row = tuple[int, str, str]  # (line number, hash, size) of a RECORD row


def check(w: OpenWheel) -> list[Problem]:
    path = w.dist_info_file("RECORD")
    if path is None:
        return []  # W104/W105 already say why there is no .dist-info to read
    rows = _rows(w, path)
    if isinstance(rows, Problem):
        return [rows]
    found: list[Problem] = []
    listed = _listed(rows, found)
    signatures = {f"{w.dist_info}/{s}" for s in _SIGNATURES}
    for name in sorted(set(w.by_name) | set(listed)):
        if not name.endswith("/"):
            found += _file_problems(w, name, listed.get(name), path, signatures)
    if path in w.by_name and path not in listed:
        found.append(P.error("W310", "RECORD does not list itself"))
    files = [i.filename for i in w.files]
    if files and files[-1] != path:
        found.append(P.warning("W311", f"RECORD is not the last member of the archive ({files[-1]} is)"))
    return found


def _rows(w: OpenWheel, path: str) -> Union[list[list[str]], Problem]:
    """RECORD's CSV rows, or the problem that keeps them from being read."""
    try:
        data = w.read(path)
    except UnreadableMember as exc:
        return P.error("W301", str(exc))
    if data is None:
        return P.error("W301", f"no {path}")
    try:
        return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    except (UnicodeDecodeError, csv.Error) as exc:
        return P.error("W302", f"RECORD does not parse ({exc})")


def _listed(rows: list[list[str]], found: list[Problem]) -> dict[str, _Row]:
    """{path: (line number, hash, size)} of RECORD's well-formed rows, each path's first; W302/W303 for the rest."""
    listed: dict[str, _Row] = {}
    for number, row in enumerate(rows, 1):
        if not row:
            continue
        if len(row) != 3:
            found.append(P.error("W302", f"RECORD line {number}: {len(row)} fields, expected path,hash,size"))
            continue
        name, digest, size = row
        if name in listed:
            found.append(P.error("W303", f"{name}: listed more than once in RECORD"))
            continue
        listed[name] = (number, digest, size)
    return listed


def _file_problems(w: OpenWheel, name: str, entry: Optional[_Row], record_path: str,
                   signatures: set[str]) -> list[Problem]:
    """What is wrong with one file of the wheel or of RECORD (``entry``: its RECORD row, None when unlisted)."""
    if name not in w.by_name:
        return [P.error("W305", f"{name}: listed in RECORD but not in the wheel")]
    if name in signatures:
        return [P.error("W312", f"{name}: a signature file must not be listed in RECORD")] if entry else []
    if entry is None:
        return [P.error("W304", f"{name}: not listed in RECORD")]
    if name == record_path:
        if entry[1] or entry[2]:
            return [P.error("W310", "RECORD lists a hash or size for itself (both must be empty)")]
        return []
    return _entry(w, name, *entry)


def _entry(w: OpenWheel, name: str, number: int, digest: str, size: str) -> list[Problem]:
    if not digest or not size:
        return [P.error("W308", f"{name}: RECORD line {number} has no hash or no size")]
    algorithm, sep, value = digest.partition("=")
    if not sep or algorithm not in hashlib.algorithms_guaranteed:
        return [P.error("W309", f"{name}: RECORD hash {digest!r} has no known algorithm")]
    if algorithm in _WEAK:
        return [P.error("W309", f"{name}: RECORD hash uses {algorithm} (sha256 or stronger required)")]
    try:
        declared = int(size)
    except ValueError:
        return [P.error("W302", f"{name}: RECORD size {size!r} is not a number")]
    actual = w.digests.get(name)
    if isinstance(actual, str) or actual is None:
        return []  # unreadable: W2xx reports it
    found = []
    if declared != actual[1]:
        found.append(P.error("W307", f"{name}: RECORD says {declared} bytes, the file has {actual[1]}"))
    expected = actual[0] if algorithm == "sha256" else _other_hash(w, name, algorithm)
    if expected is not None and _decode(value) != _decode(expected.partition("=")[2]):
        found.append(P.error("W306", f"{name}: {algorithm} does not match RECORD"))
    return found


def _other_hash(w: OpenWheel, name: str, algorithm: str) -> Optional[str]:
    h = hashlib.new(algorithm)
    try:
        for chunk in w.chunks(w.by_name[name]):
            h.update(chunk)
    except UnreadableMember:
        return None
    if algorithm.startswith("shake_"):
        return None  # variable length: cannot be checked
    return algorithm + "=" + record_hash(h.digest()).partition("=")[2]


def _decode(value: str) -> Union[bytes, str]:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return value
