"""Distro tags (``linux_<arch>_<distro>_<version>``): the build distro from ``--distro`` or the compilers.

A binary's ``.comment`` names the compiler that built it, and a distro's
compiler says which distro (``GCC: (Ubuntu 4.8.4-2ubuntu1~14.04) 4.8.4``); the
patterns are data, in ``migrate/data/compilers.json``. CentOS and its rebuilds
are ``rhel``, as Galaxy tagged them.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

from migrate.binaries import BinaryFacts
from migrate.platforms import tag_safe
from migrate.wheels.tags.data import shipped_json
from migrate.wheels.tags.values import TagError, TagOptions

_DISTRO_ALIASES = {"centos": "rhel", "redhat": "rhel", "red_hat": "rhel", "scientific": "rhel", "sl": "rhel",
                   "rocky": "rhel", "almalinux": "rhel", "alma": "rhel", "oracle": "rhel", "ol": "rhel"}
_MAJOR_ONLY_DISTROS = ("rhel", "debian")


@lru_cache(maxsize=1)
def _compiler_rules() -> list[tuple[re.Pattern[str], str, Optional[str]]]:
    return [(re.compile(r["pattern"]), r["distro"], r.get("version")) for r in shipped_json("compilers.json")["rules"]]


def distro_from_comment(comment: str) -> Optional[tuple[str, str]]:
    """``GCC: (Ubuntu 4.8.4-2ubuntu1~14.04) 4.8.4`` -> ("ubuntu", "14.04"); None when unknown."""
    for pattern, distro, version in _compiler_rules():
        m = pattern.search(comment)
        if m:
            return distro, version or m.group("version")
    return None


def normalise_distro(distro: str, version: str) -> tuple[str, str]:
    """``CentOS:6.5`` -> ("rhel", "6"): CentOS and friends are rhel, as Galaxy tagged them."""
    key = tag_safe(distro).strip("_")
    key = _DISTRO_ALIASES.get(key, key)
    if key in _MAJOR_ONLY_DISTROS:
        version = version.split(".")[0]
    return key, version


def build_distro(binaries: list[BinaryFacts], options: TagOptions) -> tuple[str, str, str]:
    """(distro, version, why) the binaries were built on: ``--distro``, else their compiler strings."""
    if options.distro:
        distro, _, version = options.distro.partition(":")
        if not distro or not version or not re.fullmatch(r"[A-Za-z0-9._-]+", version):
            raise TagError(f"distro {options.distro!r}: expected NAME:VERSION, like ubuntu:14.04 or centos:6")
        name, version = normalise_distro(distro, version)
        return name, version, f"--distro {options.distro}"
    seen: dict[tuple[str, str], str] = {}  # (distro, version) -> the first compiler string naming it
    for b in binaries:
        for c in b.comment:
            d = distro_from_comment(c)
            if d:
                seen.setdefault(d, c)
    comments = sorted({c for b in binaries for c in b.comment})
    if len(seen) == 1:
        (distro, version), comment = next(iter(seen.items()))
        return distro, version, f"compiler string {comment!r}"
    if not seen:
        shown = "; ".join(repr(c) for c in comments) if comments else "the binaries have no .comment section"
        raise TagError(f"cannot infer the build distro from the compiler strings ({shown}); pass --distro NAME:VERSION")
    raise TagError("the compiler strings name several distros ("
                   + "; ".join(f"{d} {v} from {c!r}" for (d, v), c in sorted(seen.items()))
                   + "), e.g. a newer toolchain on an older system; pass --distro NAME:VERSION")
