"""The one base of every error egg-migrate raises on purpose, and how a message is made safe to print.

A :class:`MigrateError` carries a message that is one line for the user and names the
file, URL or option at fault. The command layer catches this base alone: anything
else is a bug and keeps its traceback. Subclasses that were ``ValueError`` before
the base existed still are, so callers catching ``ValueError`` keep working.
"""


class MigrateError(Exception):
    """Something the outside world caused (a file, a server, an option): one line, no traceback."""


_CONTROL = {c: f"\\x{c:02x}" for c in [*range(32), *range(0x7F, 0xA0)]}
_CONTROL_KEEP_LINES = {c: e for c, e in _CONTROL.items() if c not in (9, 10)}


def printable(text: str, lines: bool = False) -> str:
    """``text`` with its control characters written as ``\\xNN``: a remote name cannot move the cursor,
    retitle the terminal or fake a line. ``lines``: keep newlines and tabs (a whole report)."""
    return text.translate(_CONTROL_KEEP_LINES if lines else _CONTROL)
