"""Reading eggs: file names (:mod:`names`), safe member access (:mod:`archive`)
and EGG-INFO (:mod:`egginfo`, requires.txt in :mod:`requires`). Takes an egg file or folder; gives ``EggName``,
``EggArchive`` and ``EggInfo``.
"""
from typing import TYPE_CHECKING

from migrate.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "archive": (
        "BrokenEgg", "CHUNK", "EggArchive", "FolderEgg", "Limits", "Member", "UnsafeEgg", "climbs_out", "is_absolute",
        "is_encrypted", "is_symlink",
    ),
    "egginfo": (
        "EggInfo", "Metadata", "open_egg", "parse_entry_points", "read_egg_info", "requirement_key",
        "with_extra_requirements",
    ),
    "names": (
        "EggName", "EggParts", "InvalidEggName", "RULES", "VersionMapping", "dist_info_name", "egg_parts", "map_version",
        "parse", "pep440_version", "same_version", "split_ucs",
    ),
    "requires": ("Section", "normalise_extra", "parse_requires_txt",),
    "spelling": ("canonicalize_name", "printable", "safe_name", "unprintable",),
    "zipegg": ("Checked", "ZipEgg",),
})

if TYPE_CHECKING:  # the same names, for type checkers and readers
    from migrate.eggs.archive import (
        CHUNK,
        BrokenEgg,
        EggArchive,
        FolderEgg,
        Limits,
        Member,
        UnsafeEgg,
        climbs_out,
        is_absolute,
        is_encrypted,
        is_symlink,
    )
    from migrate.eggs.egginfo import (
        EggInfo,
        Metadata,
        open_egg,
        parse_entry_points,
        read_egg_info,
        requirement_key,
        with_extra_requirements,
    )
    from migrate.eggs.names import (
        RULES,
        EggName,
        EggParts,
        InvalidEggName,
        VersionMapping,
        dist_info_name,
        egg_parts,
        map_version,
        parse,
        pep440_version,
        same_version,
        split_ucs,
    )
    from migrate.eggs.requires import Section, normalise_extra, parse_requires_txt
    from migrate.eggs.spelling import canonicalize_name, printable, safe_name, unprintable
    from migrate.eggs.zipegg import Checked, ZipEgg
