"""Shared pieces of the subcommands: finding eggs, the tag options, JSON output, the default -j."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Iterable, Iterator

from migrate.wheels import PLATFORM_MODES, TagOptions


def find_eggs(arguments: Iterable[str]) -> tuple[list[Path], list[str]]:
    """(egg paths, errors): files and folders named ``*.egg``; folders are searched."""
    eggs: list[Path] = []
    errors: list[str] = []
    for arg in arguments:
        path = Path(arg)
        lower = path.name.lower()
        if lower.endswith((".egg", ".egg-info")) and path.exists():
            eggs.append(path)
        elif path.is_dir():
            found = sorted(_walk_for_eggs(path))
            if not found:
                errors.append(f"{arg}: no eggs found in this folder")
            eggs += found
        elif not path.exists():
            errors.append(f"{arg}: no such file or folder")
        else:
            errors.append(f"{arg}: not an egg (expected a .egg file or folder)")
    return list(dict.fromkeys(eggs)), errors


def _walk_for_eggs(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            if name.lower().endswith(".egg"):
                yield Path(dirpath) / name
        keep = []
        for name in dirnames:
            if name.lower().endswith(".egg"):
                yield Path(dirpath) / name
            elif not name.startswith("."):
                keep.append(name)
        dirnames[:] = sorted(keep)


def add_tag_options(parser) -> None:
    parser.add_argument("--platform-tag", choices=PLATFORM_MODES, default="auto",
                        help="auto: manylinux when every binary qualifies, else linux_<arch> (default); "
                        "manylinux: fail eggs that do not qualify; linux: always linux_<arch>; "
                        "distro: linux_<arch>_<distro>_<version> (see --distro)")
    parser.add_argument("--distro", metavar="NAME:VERSION",
                        help="distro for --platform-tag distro, e.g. ubuntu:14.04 (default: read from the compiler strings)")
    parser.add_argument("--py2-unicode", choices=("ucs2", "ucs4"),
                        help="Python 2 ABI when neither the binaries nor a -ucs suffix say it")
    parser.add_argument("--trust-name", action="store_true",
                        help="when the egg name and its binaries disagree, believe the name")


def tag_options(args) -> TagOptions:
    return TagOptions(platform_tag=args.platform_tag, distro=args.distro,
                      py2_unicode=args.py2_unicode, trust_name=args.trust_name)


def print_json(data) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")


def default_jobs() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def add_join_option(parser) -> None:
    """``--join-py2-py3``, for ``convert`` and ``run`` (migrate.wheels.decide)."""
    parser.add_argument("--join-py2-py3", action="store_true",
                        help="a pure Python 2 egg and a pure Python 3 egg of one release holding the same files "
                        "make one py2.py3 wheel (the same files are the evidence) instead of a py2 and a py3 wheel")
