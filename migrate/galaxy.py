"""Galaxy deployments: eggs.ini in, Galaxy-style ``pinned-requirements.txt`` out.

(Filled in by the Galaxy end-to-end work, issue 8.)
"""
from __future__ import annotations

from pathlib import Path


def write_pinned_requirements(ini, records: list, path: Path, hashes: bool = False) -> Path:
    """``name==version`` per converted eggs.ini egg; no_auto and failed eggs as trailing comments."""
    raise NotImplementedError
