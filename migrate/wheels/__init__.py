"""One egg -> one wheel: tags (:mod:`tags`), the plan of where each file goes, dist-info,
the zip writer, ``convert_egg`` and ``auditwheel repair``. Takes an egg; gives
``EggFacts``, ``WheelTags`` and a ``ConvertResult``.
"""
from importlib import import_module

# The public names and their modules, imported on first use: the mirror needs only
# the zip writer, the commands only the tag options.
_MODULES = {
    "convert": ("ConversionFailed", "ConvertOptions", "ConvertResult", "EggFacts", "convert_egg", "inspect_egg",
                "write_wheel"),
    "repair": ("RepairResult", "find_tools", "repair_wheel"),
    "tags": ("PLATFORM_MODES", "TagError", "TagOptions", "WheelTags", "choose"),
    "wheelzip": ("WheelZipWriter", "record_hash"),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}
__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOME[name]}"), name)
