"""Lazy re-exports for the stage packages (PEP 562).

A stage's ``__init__`` names its public names and the module each lives in; a name
is imported on first use. Other stages import through the package
(``from migrate.eggs import parse``) without loading the whole stage: ``convert``
does not pay for ``requests``, nor ``publish`` for the converter. Each ``__init__``
repeats the names under ``if TYPE_CHECKING:`` for type checkers and readers;
tests/test_layout.py keeps the two lists equal.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any, Callable


def lazy_exports(package: str, homes: dict[str, tuple[str, ...]]) -> tuple[list[str], Callable[[str], Any]]:
    """(``__all__``, the module ``__getattr__``) of ``package``: ``homes`` maps a submodule to its public names."""
    home = {name: module for module, names in homes.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name not in home:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f"{package}.{home[name]}"), name)

    return sorted(home), __getattr__
