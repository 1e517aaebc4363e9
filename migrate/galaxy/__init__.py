"""Galaxy deployments: takes Galaxy's ``eggs.ini`` (:mod:`eggsini`, read by :mod:`inifile` as
Python 2.7 did: the eggs a deployment pinned and the files it fetched) and the run's records; gives
Galaxy-style ``pinned-requirements.txt`` (:mod:`galaxy`).

The names below load their module on first use (fetch reads eggs.ini without the writer).
"""
import importlib

_HOMES = {
    "EggPin": "eggsini", "EggsIni": "eggsini", "EggTarget": "eggsini", "InvalidTarget": "eggsini",
    "Wanted": "eggsini", "egg_filename": "eggsini", "fold_key": "eggsini", "parse": "eggsini",
    "parse_target": "eggsini", "parse_text": "eggsini", "platform_note": "eggsini",
    "InvalidEggsIni": "inifile",
    "FILENAME": "galaxy", "GalaxyPin": "galaxy", "GalaxyPins": "galaxy", "Unpinned": "galaxy",
    "pins_for": "galaxy", "render": "galaxy", "write_pinned_requirements": "galaxy",
}
__all__ = sorted(_HOMES)  # noqa: PLE0605 - the names are the keys above


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
