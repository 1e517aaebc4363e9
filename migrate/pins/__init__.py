"""A mirror + requirements + a target -> hash pins (requirements.txt, pylock.toml), resolved with
resolvelib for the target's tags and marker environment: :mod:`target`, :mod:`index` (reading the
mirror), :mod:`provider` (resolvelib's provider), :mod:`resolve` (``pin()``: :mod:`direct` when
nothing conflicts, resolvelib when something does), :mod:`prereleases` (pip's rule),
:mod:`inputs` (-r files, eggs.ini), :mod:`writers`; :mod:`pinned` (and ``migrate.recent``) keep memory flat.
"""
from typing import TYPE_CHECKING

from migrate.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "errors": ("BadTarget", "PinError", "Unresolvable",),
    "index": ("Index", "IndexFile",),
    "inputs": ("read_eggs_ini", "read_requirements_file",),
    "progress": ("BarProgress",),
    "provider": ("Candidate", "Pin", "PinResult", "Provider", "Root", "explain",),
    "resolve": ("pin",),
    "target": ("Target", "default_abi", "expand_platforms",),
    "writers": ("render_pylock", "render_requirements", "requirements_chunks", "write_pylock", "write_requirements",),
})

if TYPE_CHECKING:  # the same names, for type checkers and readers
    from migrate.pins.errors import BadTarget, PinError, Unresolvable
    from migrate.pins.index import Index, IndexFile
    from migrate.pins.inputs import read_eggs_ini, read_requirements_file
    from migrate.pins.progress import BarProgress
    from migrate.pins.provider import Candidate, Pin, PinResult, Provider, Root, explain
    from migrate.pins.resolve import pin
    from migrate.pins.target import Target, default_abi, expand_platforms
    from migrate.pins.writers import (
        render_pylock,
        render_requirements,
        requirements_chunks,
        write_pylock,
        write_requirements,
    )
