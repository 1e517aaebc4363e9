"""A mirror + requirements + a target -> hash pins (requirements.txt, pylock.toml), resolved with
resolvelib for the target's tags and marker environment: :mod:`target`, :mod:`index` (reading the
mirror), :mod:`provider` (``pin()``), :mod:`inputs` (-r files, eggs.ini), :mod:`writers`.
"""
from migrate.pins.errors import PinError, Unresolvable
from migrate.pins.index import Index, IndexFile
from migrate.pins.inputs import read_eggs_ini, read_requirements_file
from migrate.pins.provider import Candidate, Pin, PinResult, Provider, Root, explain, pin
from migrate.pins.target import Target, default_abi, expand_platforms
from migrate.pins.writers import render_pylock, render_requirements, write_pylock, write_requirements

__all__ = [
    "Candidate", "Index", "IndexFile", "Pin", "PinError", "PinResult", "Provider", "Root", "Target", "Unresolvable",
    "default_abi", "expand_platforms", "explain", "pin", "read_eggs_ini", "read_requirements_file", "render_pylock",
    "render_requirements", "write_pylock", "write_requirements",
]
