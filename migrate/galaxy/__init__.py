"""Galaxy deployments: takes Galaxy's ``eggs.ini`` (:mod:`eggsini`: the eggs a deployment pins)
and the run's records; gives Galaxy-style ``pinned-requirements.txt`` (:mod:`galaxy`).

The names below load their module on first use (``galaxy`` needs parts of ``migrate.fetch``).
"""
import importlib

_HOMES = {
    "EggsIni": "eggsini", "EggPin": "eggsini", "InvalidEggsIni": "eggsini", "InvalidTarget": "eggsini",
    "FILENAME": "galaxy", "GalaxyPin": "galaxy", "GalaxyPins": "galaxy", "Unpinned": "galaxy",
    "pins_for": "galaxy", "render": "galaxy", "write_pinned_requirements": "galaxy",
}
__all__ = sorted(_HOMES)  # noqa: PLE0605 - the names are the keys above


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
