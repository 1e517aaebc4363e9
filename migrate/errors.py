"""The one base of every error egg-migrate raises on purpose.

A :class:`MigrateError` carries a message that is one line for the user and names the
file, URL or option at fault. The command layer catches this base alone: anything
else is a bug and keeps its traceback. Subclasses that were ``ValueError`` before
the base existed still are, so callers catching ``ValueError`` keep working.
"""


class MigrateError(Exception):
    """Something the outside world caused (a file, a server, an option): one line, no traceback."""
