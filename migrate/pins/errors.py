"""What can go wrong when pinning: bad input (:class:`PinError`, one line) or
requirements no set of the mirror's wheels satisfies (:class:`Unresolvable`, one paragraph).
"""
from __future__ import annotations

from migrate.errors import MigrateError


class PinError(MigrateError):
    """Bad input for pinning (usage-level): one line."""


class BadTarget(PinError, ValueError):
    """A deployment target value that is not one; ``part`` says which: python, abi or platform.

    The message names the value, not an option: the command layer adds the option it came from.
    """

    def __init__(self, part: str, message: str):
        super().__init__(message)
        self.part = part


class Unresolvable(MigrateError):
    """No set of wheels satisfies the requirements for the target; ``str()`` is one paragraph."""
