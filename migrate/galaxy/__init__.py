"""Galaxy's ``eggs.ini`` in (:mod:`eggsini`, read by :mod:`inifile` as Python 2.7 did): the eggs
a deployment pinned and the files it fetched; Galaxy-style ``pinned-requirements.txt`` out (:mod:`galaxy`).
"""
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

__all__ = [
    "EggPin", "EggTarget", "EggsIni", "InvalidEggsIni", "InvalidTarget", "Wanted", "egg_filename", "fold_key",
    "parse", "parse_target", "parse_text", "platform_note",
]
