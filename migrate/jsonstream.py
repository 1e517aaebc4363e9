"""Reading one list of a large JSON object an item at a time.

A run reads the last run's manifest.json to keep the wheels of eggs it could not fetch again.
For 16,000 eggs that file is 60 MB, and ``json.loads`` of it held about 200 MB of objects at
once; read item by item, memory holds one record and a 64 KB buffer. The parse is the json
module's own (``JSONDecoder.raw_decode`` on each value), so what it accepts is what
``json.loads`` accepts.
"""
from __future__ import annotations

import json
import re
from typing import IO, Any, Iterator

CHUNK = 1 << 16  # characters read at a time
_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_NUMBER_GOES_ON = frozenset("0123456789+-.eE")


def list_items(fp: IO[str], key: str, chunk: int = CHUNK) -> Iterator[Any]:
    """The items of the list under ``key`` in the JSON object ``fp`` holds, in order (none when the
    document is not an object, or ``key`` is missing or not a list).

    Raises ``ValueError`` (``json.JSONDecodeError``) when the text is not JSON, possibly after
    yielding the items before the fault: a caller that must not act on half a file collects first."""
    text = _Text(fp, chunk)
    if text.peek() != "{":
        text.value()  # valid JSON that is no object has no such list; anything else raises
        text.end()
        return
    text.take("{")
    if text.peek() != "}":
        while True:
            name = text.value()
            if not isinstance(name, str):
                raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text.buf, text.pos)
            text.take(":")
            if name == key and text.peek() == "[":
                yield from _items(text)
            else:
                text.value()
            if text.peek() == "}":
                break
            text.take(",")
    text.take("}")
    text.end()


def _items(text: "_Text") -> Iterator[Any]:
    text.take("[")
    if text.peek() != "]":
        while True:
            yield text.value()
            if text.peek() == "]":
                break
            text.take(",")
    text.take("]")


class _Text:
    """The unread text of ``fp``, read ``chunk`` characters at a time."""

    def __init__(self, fp: IO[str], chunk: int):
        self.fp, self.chunk, self.buf, self.pos = fp, chunk, "", 0

    def _more(self) -> bool:
        read = self.fp.read(self.chunk)
        self.buf, self.pos = self.buf[self.pos:] + read, 0
        return bool(read)

    def peek(self) -> str:
        """The next character that is not white space ('' at the end of the text)."""
        while True:
            self.pos = _SPACE.match(self.buf, self.pos).end()  # type: ignore[union-attr]  # always matches
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def take(self, char: str) -> None:
        found = self.peek()
        if found != char:
            raise json.JSONDecodeError(f"Expecting {char!r}", self.buf, self.pos)
        self.pos += 1

    def value(self) -> Any:
        """The next JSON value; read on while it may run past the buffer (``12`` of ``12.5`` parses
        as a number: a value is whole when a character that cannot go on with it follows)."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                if self._more():
                    continue
                raise
            if (end < len(self.buf) and self.buf[end] not in _NUMBER_GOES_ON) or not self._more():
                self.pos = end
                return value

    def end(self) -> None:
        if self.peek():
            raise json.JSONDecodeError("Extra data", self.buf, self.pos)
