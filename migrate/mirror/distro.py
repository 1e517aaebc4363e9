"""Distro builds (platform ``linux_<arch>_<distro>``, e.g. ``linux_x86_64_ubuntu_14_04``).

Stock pip never installs a distro tag (pip 20.3.4 and pip 23 checked), so besides listing the
original in ``simple/`` (for ``pip download --platform ...``) the mirror re-tags each one
``linux_<arch>`` (WHEEL and RECORD rewritten) and serves it from ``<distro>/simple/`` together
with every portable wheel. Recognising such a tag and making the re-tagged copy is this module.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from functools import lru_cache
from typing import Optional

from migrate.platforms import LINUX_ARCHES

_DISTRO_TAG = re.compile(r"^linux_(?P<arch>%s)_(?P<distro>[a-z][a-z0-9]*(?:_[a-z0-9]+)*)$" % "|".join(LINUX_ARCHES))


def is_distro_platform(filename_or_tag: str) -> bool:
    tag = filename_or_tag[:-4].rsplit("-", 1)[-1] if filename_or_tag.endswith(".whl") else filename_or_tag
    return _all_distro(tag)


@lru_cache(maxsize=4096)
def _all_distro(platform_tag: str) -> bool:
    return all(_DISTRO_TAG.match(p) for p in platform_tag.split("."))


@lru_cache(maxsize=4096)
def distro_of(platform_tag: str) -> Optional[str]:
    """The distro folder for a wheel whose every platform tag is one distro's; else None."""
    found = set()
    for platform in platform_tag.split("."):
        m = _DISTRO_TAG.match(platform)
        if not m:
            return None
        found.add(m.group("distro"))
    return found.pop() if len(found) == 1 else None


def retag(data: bytes, filename: str) -> tuple[str, bytes]:
    """(new file name, wheel bytes): platform ``linux_<arch>_<distro>`` -> ``linux_<arch>``; WHEEL, RECORD updated."""
    from migrate.wheels import WheelZipWriter, record_hash

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


def _dedupe_lines(lines: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for line in lines:
        if line.startswith("Tag: ") and line in seen:
            continue
        seen.add(line)
        out.append(line)
    return out
