"""What can go wrong when pinning: bad input (:class:`PinError`, one line) or
requirements no set of the mirror's wheels satisfies (:class:`Unresolvable`, one paragraph).
"""
from __future__ import annotations

from migrate.errors import MigrateError


class PinError(MigrateError):
    """Bad input for pinning (usage-level): one line."""


class Unresolvable(MigrateError):
    """No set of wheels satisfies the requirements for the target; ``str()`` is one paragraph."""
