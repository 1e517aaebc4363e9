"""What a publish may delete: the files it recorded as its own, and nothing else in the mirror folder.

Before a publish creates a file outside its state folder (a wheel, a ``.metadata`` file, a distro
copy) or starts deleting garbage, it appends the file's path to ``.egg-migrate/placed``. A publish
that finishes its garbage collection empties the journal; one that finds it not empty knows the
last publish was interrupted and sweeps: it deletes the recorded files no generation in use refers
to. A file of the user's beside the mirror's own (``packages/README.txt``) was never recorded, so
no publish deletes it.
"""
from __future__ import annotations

import os
from typing import Iterable, Optional

NAME = "placed"  # in the state folder


class Journal:
    """``.egg-migrate/placed``: one path a line, relative to the mirror root, appended before each create."""

    def __init__(self, root: str, state_root: str):
        self.prefix = root.rstrip("/") + "/"
        self.own = state_root.rstrip("/") + "/"
        self.path = f"{state_root}/{NAME}"
        self.fd: Optional[int] = None

    def record(self, paths: Iterable[str]) -> None:
        """Append the files about to be created (or deleted) outside the state folder."""
        lines = "".join(f"{_rel(p, self.prefix)}\n" for p in paths if not p.startswith(self.own))
        if not lines:
            return
        if self.fd is None:
            self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
        os.write(self.fd, lines.encode("utf-8", "surrogateescape"))

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def clear(self) -> None:
        """The publish finished: every recorded file is referenced by the live state, or deleted."""
        self.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def recorded(state_root: str) -> set[str]:
    """The paths (relative to the mirror root) the journal holds; empty when there is none."""
    try:
        with open(f"{state_root}/{NAME}", "rb") as fp:
            text = fp.read().decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        return set()
    return {line for line in text.split("\n") if line and not line.startswith("/") and ".." not in line.split("/")}


def pending(state_root: str) -> bool:
    """The journal is not empty: a publish was interrupted before it finished."""
    try:
        return os.path.getsize(f"{state_root}/{NAME}") > 0
    except OSError:
        return False


def _rel(path: str, prefix: str) -> str:
    return path[len(prefix):] if path.startswith(prefix) else path
