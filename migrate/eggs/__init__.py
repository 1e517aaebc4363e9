"""Reading eggs: file names (:mod:`names`), safe member access (:mod:`archive`)
and EGG-INFO (:mod:`egginfo`). Takes an egg file or folder; gives ``EggName``,
``EggArchive`` and ``EggInfo``.
"""
from importlib import import_module

# The public names and their modules, imported on first use: ``fetch`` reads egg
# names and should not pay for loading pkginfo.
_MODULES = {
    "names": ("EggName", "InvalidEggName", "dist_info_name", "parse", "pep440_version"),
    "archive": ("BrokenEgg", "EggArchive", "FolderEgg", "Limits", "Member", "UnsafeEgg", "ZipEgg"),
    "egginfo": ("EggInfo", "Metadata", "open_egg", "read_egg_info", "requirement_key", "with_extra_requirements"),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}
__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOME[name]}"), name)
