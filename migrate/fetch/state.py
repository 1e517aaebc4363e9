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
from typing import Any, Iterator, Mapping, Optional

from migrate.fsutil import write_chunks

STATE_FILE = ".egg-migrate-fetch.jsonl"

# What the state file says of one egg or ``.part`` file: url, size, sha256, etag, last_modified, mtime_ns...
Entry = dict[str, Any]


class State:
    """The state file: verified eggs and partial downloads. Thread-safe, crash-safe.

    A journal of JSON lines, one appended per change (an ``O_APPEND`` write of one
    line: cheap, and a ``kill -9`` can at worst tear the last line, which is then
    ignored); :meth:`close` compacts it to one line per egg. An egg's entry is read
    from its line when asked: only where the line starts is held (a dict per egg
    was ~1 KB, 16 MB for 16,000 eggs).
    """

    def __init__(self, dest: Path):
        self.path = Path(dest) / STATE_FILE
        self._lock = threading.Lock()
        self._fd: Optional[int] = None  # the journal, for appending and reading, once something changed
        self._at: dict[str, int] = {}  # egg file name -> where its last line starts
        self._end = 0  # where the next line goes
        self.eggs: Mapping[str, Entry] = _Eggs(self)
        self.partial: dict[str, Entry] = {}
        self.warning: Optional[str] = None
        self._torn = False
        try:
            self._reader: Optional[int] = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            self._reader = None
        except OSError as exc:
            self._reader, self.warning = None, f"{self.path}: unreadable state file ({exc}); every egg is checked again"
        try:
            self._load()
        except OSError as exc:  # a folder, an I/O error
            self.close()
            self._at, self._end, self._torn = {}, 0, False
            self.warning = f"{self.path}: unreadable state file ({exc}); every egg is checked again"

    def _load(self) -> None:
        if self._reader is None:
            return
        bad, number = [], -1
        with open(self._reader, "rb", closefd=False) as lines:
            for number, line in enumerate(lines):
                try:
                    self._apply(json.loads(line), self._end)
                except (ValueError, TypeError, KeyError, AttributeError):
                    bad.append(number)
                self._end += len(line)
                self._torn = not line.endswith(b"\n")
        if bad and bad != [number]:  # a torn last line is what a kill -9 leaves: not worth a word
            self.warning = f"{self.path}: {len(bad)} unreadable lines ignored; those eggs are checked again"

    def _apply(self, entry: Entry, at: int) -> None:
        kind, name = entry["kind"], entry["name"]
        if kind == "egg":
            self._at[name] = at
            self.partial.pop(name, None)
        elif kind == "forget":
            self._at.pop(name, None)
        elif kind == "partial":
            self.partial[name] = {k: v for k, v in entry.items() if k not in ("kind", "name")}
        elif kind == "forget-partial":
            self.partial.pop(name, None)
        else:
            raise ValueError(kind)

    def lookup(self, filename: str) -> Optional[Entry]:
        with self._lock:
            at = self._at.get(filename)
            return None if at is None else self._entry(at)

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
        """Compact the journal (atomically, fsynced) and close it; the state is empty after."""
        with self._lock:
            if self._fd is not None:
                write_chunks(self.path, self._compacted())
            for fd in (self._fd, self._reader):
                if fd is not None:
                    os.close(fd)
            self._fd = self._reader = None
            self._at, self.partial = {}, {}

    def _compacted(self) -> Iterator[str]:
        for name in sorted(self._at):
            yield json.dumps({"kind": "egg", "name": name, **self._entry(self._at[name])}, sort_keys=True) + "\n"
        for name, entry in sorted(self.partial.items()):
            yield json.dumps({"kind": "partial", "name": name, **entry}, sort_keys=True) + "\n"

    def _entry(self, at: int) -> Entry:
        """The entry whose line starts at ``at`` (without its kind and name)."""
        fd = self._fd if self._fd is not None else self._reader
        assert fd is not None
        line = b""
        while True:
            chunk = os.pread(fd, 4096, at + len(line))
            end = chunk.find(b"\n")
            line += chunk if end < 0 else chunk[:end]
            if end >= 0 or not chunk:  # a last line may lack its newline (a torn one that still parsed)
                break
        entry = json.loads(line)
        del entry["kind"], entry["name"]
        return entry

    def _change(self, entry: Entry) -> None:
        line = (json.dumps(entry, sort_keys=True) + "\n").encode("utf-8")
        with self._lock:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
            prefix = b"\n" if self._torn else b""  # start after a torn line, not inside it
            os.write(self._fd, prefix + line)
            start, self._torn = self._end + len(prefix), False
            self._end = start + len(line)
            self._apply(entry, start)


class _Eggs(Mapping[str, Entry]):
    """:attr:`State.eggs`: each verified egg's entry, read from its line when asked."""

    def __init__(self, state: State):
        self._state = state

    def __getitem__(self, name: str) -> Entry:
        with self._state._lock:
            return self._state._entry(self._state._at[name])

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._state._at))

    def __len__(self) -> int:
        return len(self._state._at)
