"""Galaxy deployments: takes Galaxy's ``eggs.ini`` (:mod:`eggsini`, read by :mod:`inifile` as
Python 2.7 did: the eggs a deployment pinned and the files it fetched) and the run's records; gives
Galaxy-style ``pinned-requirements.txt`` (:mod:`galaxy`).

The names below load their module on first use (fetch reads eggs.ini without the writer).
"""
from typing import TYPE_CHECKING

from migrate.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "eggsini": (
        "EggPin", "EggTarget", "EggsIni", "InvalidTarget", "Wanted", "egg_filename", "fold_key", "parse",
        "parse_target", "parse_text", "platform_note",
    ),
    "pinned": ("FILENAME", "GalaxyPin", "GalaxyPins", "Unpinned", "pins_for", "render", "write_pinned_requirements",),
    "inifile": ("InvalidEggsIni",),
})

if TYPE_CHECKING:  # the same names, for type checkers and readers
    from migrate.galaxy.eggsini import (
        EggPin,
        EggsIni,
        EggTarget,
        InvalidTarget,
        Wanted,
        egg_filename,
        fold_key,
        parse,
        parse_target,
        parse_text,
        platform_note,
    )
    from migrate.galaxy.inifile import InvalidEggsIni
    from migrate.galaxy.pinned import (
        FILENAME,
        GalaxyPin,
        GalaxyPins,
        Unpinned,
        pins_for,
        render,
        write_pinned_requirements,
    )
