"""W412: every text file of ``.dist-info`` is UTF-8.

Installers read ``entry_points.txt``, ``top_level.txt`` and the rest as UTF-8: pip
refuses a wheel whose ``entry_points.txt`` is latin-1 ("Error decoding metadata").
METADATA, WHEEL and RECORD have their own codes (W403, W502, W302); a signature
(``RECORD.p7s``) is binary.
"""
from __future__ import annotations

from migrate import problems as P
from migrate.checks.reader import OpenWheel, UnreadableMember
from migrate.problems import Problem

_OWN_CODES = ("METADATA", "WHEEL", "RECORD")
_BINARY = (".p7s",)


def check(w: OpenWheel) -> list[Problem]:
    if w.dist_info is None:
        return []  # W104/W105
    prefix = w.dist_info + "/"
    found = []
    for name in sorted(w.by_name):
        rel = name[len(prefix):]
        if not name.startswith(prefix) or not rel or name.endswith("/") or rel in _OWN_CODES or rel.endswith(_BINARY):
            continue
        try:
            data = w.read(name)
        except UnreadableMember:
            continue  # W205/W208
        try:
            (data or b"").decode("utf-8")
        except UnicodeDecodeError as exc:
            found.append(P.error("W412", f"{name} is not UTF-8 ({exc.reason} at byte {exc.start}); "
                                 "installers cannot read it"))
    return found
