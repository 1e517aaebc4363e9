"""W1xx: the file name, and the .dist-info / .data folder names that must agree with it.

Binary distribution format spec: ``{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl``
with the name normalised (lowercase, ``_``) and a PEP 440 version; exactly one
``{name}-{version}.dist-info`` and at most one ``{name}-{version}.data``.
"""
from __future__ import annotations

import re

from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import Version

from migrate import problems as P
from migrate.checks.reader import OpenWheel, dist_info_matches
from migrate.problems import Problem


def check(w: OpenWheel) -> list[Problem]:
    found = []
    if not w.name.endswith(".whl"):
        found.append(P.error("W101", f"{w.name}: not a .whl file name"))
        return found + _folders(w)
    try:
        name, version, _build, _tags = parse_wheel_filename(w.name)
    except InvalidWheelFilename as exc:
        found.append(P.error("W101", f"file name does not parse: {exc}"))
        return found + _folders(w)
    parts = w.name[: -len(".whl")].split("-")
    spelled_name, spelled_version = parts[0], parts[1]
    normal = re.sub(r"[-_.]+", "_", spelled_name).lower()
    if spelled_name != normal:
        found.append(P.warning("W102", f"project name {spelled_name!r} is not in normal form ({normal!r})"))
    if str(version) != spelled_version:
        found.append(P.warning("W103", f"version {spelled_version!r} is not in normal form ({str(version)!r})"))
    return found + _folders(w)


def _folders(w: OpenWheel) -> list[Problem]:
    found = []
    dirs = w.dist_info_dirs
    if not dirs:
        found.append(P.error("W104", "no .dist-info folder"))
    elif len(dirs) > 1:
        found.append(P.error("W105", "several .dist-info folders: " + ", ".join(dirs)))
    elif w.parsed and not dist_info_matches(dirs[0], w.parsed[0], w.parsed[1]):
        found.append(P.error("W106", f"{dirs[0]} does not match the file name's {w.parsed[0]} {w.parsed[1]}"))
    data = w.data_dirs
    if len(data) > 1:
        found.append(P.error("W107", "several .data folders: " + ", ".join(data)))
    elif data and w.parsed and not _data_matches(data[0], w.parsed[0], w.parsed[1]):
        found.append(P.error("W107", f"{data[0]} does not match the file name's {w.parsed[0]} {w.parsed[1]}"))
    return found


def _data_matches(directory: str, name: str, version: Version) -> bool:
    return dist_info_matches(directory[: -len(".data")] + ".dist-info", name, version)


