"""The egg folder's memory, ``.egg-migrate-fetch.jsonl``: eggs verified and downloads begun.

Per egg: the URL, size, sha256, ETag/Last-Modified and the file's mtime, so a
re-run trusts an unchanged file without reading it; per ``.part`` file: what it
is a prefix of, so a download resumes only against the same file.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Optional

from migrate.fsutil import write_atomic

STATE_FILE = ".egg-migrate-fetch.jsonl"

# What the state file says of one egg or ``.part`` file: url, size, sha256, etag, last_modified, mtime_ns...
Entry = dict[str, Any]


class State:
    """The state file: verified eggs and partial downloads. Thread-safe, crash-safe.

    A journal of JSON lines, one appended per change (an ``O_APPEND`` write of one
    line: cheap, and a ``kill -9`` can at worst tear the last line, which is then
    ignored); :meth:`close` compacts it to one line per egg.
    """

    def __init__(self, dest: Path):
        self.path = Path(dest) / STATE_FILE
        self._lock = threading.Lock()
        self._fd: Optional[int] = None
        self.eggs: dict[str, Entry] = {}
        self.partial: dict[str, Entry] = {}
        self.warning: Optional[str] = None
        self._torn = False
        try:
            raw = self.path.read_bytes()
            lines, self._torn = raw.splitlines(), bool(raw) and not raw.endswith(b"\n")
        except FileNotFoundError:
            lines = []
        except OSError as exc:
            lines, self.warning = [], f"{self.path}: unreadable state file ({exc}); every egg is checked again"
        bad = []
        for number, line in enumerate(lines):
            try:
                self._apply(json.loads(line))
            except (ValueError, TypeError, KeyError, AttributeError):
                bad.append(number)
        if bad and bad != [len(lines) - 1]:  # a torn last line is what a kill -9 leaves: not worth a word
            self.warning = f"{self.path}: {len(bad)} unreadable lines ignored; those eggs are checked again"

    def _apply(self, entry: Entry) -> None:
        kind, name = entry["kind"], entry["name"]
        data = {k: v for k, v in entry.items() if k not in ("kind", "name")}
        if kind == "egg":
            self.eggs[name] = data
            self.partial.pop(name, None)
        elif kind == "forget":
            self.eggs.pop(name, None)
        elif kind == "partial":
            self.partial[name] = data
        elif kind == "forget-partial":
            self.partial.pop(name, None)
        else:
            raise ValueError(kind)

    def lookup(self, filename: str) -> Optional[Entry]:
        with self._lock:
            entry = self.eggs.get(filename)
            return dict(entry) if entry else None

    def record(self, filename: str, entry: Entry) -> None:
        self._change({"kind": "egg", "name": filename, **entry})

    def get_partial(self, filename: str) -> Optional[Entry]:
        with self._lock:
            entry = self.partial.get(filename)
            return dict(entry) if entry else None

    def set_partial(self, filename: str, entry: Optional[Entry]) -> None:
        with self._lock:
            current = self.partial.get(filename)
        if entry is None:
            if current is not None:
                self._change({"kind": "forget-partial", "name": filename})
        elif current != entry:
            self._change({"kind": "partial", "name": filename, **entry})

    def close(self) -> None:
        """Compact the journal (atomically, fsynced) and close it."""
        with self._lock:
            if self._fd is None:
                return
            os.close(self._fd)
            self._fd = None
            lines = [{"kind": "egg", "name": n, **e} for n, e in sorted(self.eggs.items())]
            lines += [{"kind": "partial", "name": n, **e} for n, e in sorted(self.partial.items())]
            write_atomic(self.path, "".join(json.dumps(x, sort_keys=True) + "\n" for x in lines))

    def _change(self, entry: Entry) -> None:
        line = (json.dumps(entry, sort_keys=True) + "\n").encode("utf-8")
        with self._lock:
            self._apply(entry)
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                if self._torn:  # start after the torn line, not inside it
                    line = b"\n" + line
            os.write(self._fd, line)
