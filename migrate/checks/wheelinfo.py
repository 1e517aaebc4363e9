"""W5xx: the WHEEL file: format version, Root-Is-Purelib, and Tag lines equal to the name's tags.

Binary distribution format spec: ``Wheel-Version: 1.0`` (installers refuse a
major version they do not know and warn on a newer minor), ``Root-Is-Purelib``
true only when nothing in the root is platform specific, one ``Tag:`` line per
tag of the (expanded) file name tags.
"""
from __future__ import annotations

import email.parser
import re
from email.message import Message
from typing import Optional

from migrate import problems as P
from migrate.checks.reader import OpenWheel, UnreadableMember, tag_strings
from migrate.problems import Problem

_HEADER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*:( |$)")


def read_wheel(w: OpenWheel) -> tuple[Optional[Message], list[Problem]]:
    """(the WHEEL file as a message, or None; problems)."""
    path = w.dist_info_file("WHEEL")
    if path is None:
        return None, []
    try:
        data = w.read(path)
    except UnreadableMember as exc:
        return None, [P.error("W501", str(exc))]
    if data is None:
        return None, [P.error("W501", f"no {path}")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, [P.error("W502", "WHEEL is not UTF-8")]
    head = text.split("\n\n", 1)[0]
    bad = [line for line in head.splitlines() if line.strip() and not _HEADER.match(line) and not line[:1].isspace()]
    if bad:
        return None, [P.error("W502", f"WHEEL line {bad[0]!r} is not 'Key: value'")]
    return email.parser.Parser().parsestr(text), []


def check(w: OpenWheel) -> list[Problem]:
    msg, found = read_wheel(w)
    if msg is None:
        return found
    found += _version(msg.get("Wheel-Version"))
    found += _purelib(w, msg.get_all("Root-Is-Purelib") or [])
    if w.parsed:
        lines = sorted(t.strip() for t in msg.get_all("Tag") or [])
        expected = tag_strings(w.tags)
        if lines != expected:
            found.append(P.error("W508", f"WHEEL Tag lines {lines or 'missing'} differ from the file name's tags {expected}"))
    return found


def _version(value: Optional[str]) -> list[Problem]:
    if value is None:
        return [P.error("W503", "WHEEL has no Wheel-Version")]
    m = re.fullmatch(r"\s*(\d+)\.(\d+)\s*", value)
    if not m:
        return [P.error("W503", f"Wheel-Version {value!r} is not MAJOR.MINOR")]
    if m[1] != "1":
        return [P.error("W503", f"Wheel-Version {value.strip()}: installers only know 1.x")]
    if m[2] != "0":
        return [P.warning("W504", f"Wheel-Version {value.strip()}: newer than 1.0, installers warn")]
    return []


def _purelib(w: OpenWheel, values: list[str]) -> list[Problem]:
    if len(values) != 1 or values[0].strip().lower() not in ("true", "false"):
        return [P.error("W505", f"Root-Is-Purelib must be given once as true or false, found {values or 'nothing'}")]
    purelib = values[0].strip().lower() == "true"
    found = []
    root_binaries = [b.path for b in w.binaries if not b.problem and not _in_data(b.path)]
    if purelib and root_binaries:
        found.append(P.error("W506", f"Root-Is-Purelib: true but the root holds binaries ({root_binaries[0]})"))
    tags = w.tags
    if not purelib and tags and not w.binaries and all(t.platform == "any" for t in tags):
        found.append(P.warning("W507", "Root-Is-Purelib: false in a pure, platform-independent wheel"))
    for d in w.data_dirs:
        wrong = "purelib" if purelib else "platlib"
        if any(n.startswith(f"{d}/{wrong}/") for n in w.by_name):
            found.append(P.error("W509", f"{d}/{wrong}/ in a wheel whose root is already {wrong}"))
    return found


def _in_data(path: str) -> bool:
    return path.split("/", 1)[0].endswith(".data")
