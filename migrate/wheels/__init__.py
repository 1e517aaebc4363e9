"""One egg -> one wheel: tags (:mod:`tags`), the plan of where each file goes, dist-info,
the zip writer, ``convert_egg`` and ``auditwheel repair``. Takes an egg; gives
``EggFacts``, ``WheelTags`` and a ``ConvertResult``.
"""
from typing import TYPE_CHECKING

from migrate.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "collisions": ("CLASH", "KEEP", "REFUSE", "RETAG", "SAME", "Decision", "WheelClaim", "claim_of", "decide", "payload_digest",),
    "convert": (
        "ConversionFailed", "ConvertOptions", "ConvertResult", "EggFacts", "convert_egg", "inspect_egg",
        "move_wheels", "write_wheel",
    ),
    "plan": ("Placement", "Plan", "is_binary", "only_declares_namespace", "rewrite_shebang", "script_interpreter",),
    "repair": ("RepairResult", "find_tools", "repair_wheel",),
    "staged": ("SAME_FILES", "note", "settle",),
    "tags.chooser": ("choose",),
    "tags.manylinux": ("manylinux_policy",),
    "tags.python": ("pure_pair_tag",),
    "tags.values": ("PLATFORM_MODES", "TagError", "TagOptions", "WheelTags",),
    "wheelfile": ("WheelMetadataError", "read_metadata",),
    "wheelzip": ("WheelZipWriter", "record_hash",),
})

if TYPE_CHECKING:  # the same names, for type checkers and readers
    from migrate.wheels.collisions import (
        CLASH,
        KEEP,
        REFUSE,
        RETAG,
        SAME,
        Decision,
        WheelClaim,
        claim_of,
        decide,
        payload_digest,
    )
    from migrate.wheels.convert import (
        ConversionFailed,
        ConvertOptions,
        ConvertResult,
        EggFacts,
        convert_egg,
        inspect_egg,
        move_wheels,
        write_wheel,
    )
    from migrate.wheels.plan import (
        Placement,
        Plan,
        is_binary,
        only_declares_namespace,
        rewrite_shebang,
        script_interpreter,
    )
    from migrate.wheels.repair import RepairResult, find_tools, repair_wheel
    from migrate.wheels.staged import SAME_FILES, note, settle
    from migrate.wheels.tags.chooser import choose
    from migrate.wheels.tags.manylinux import manylinux_policy
    from migrate.wheels.tags.python import pure_pair_tag
    from migrate.wheels.tags.values import PLATFORM_MODES, TagError, TagOptions, WheelTags
    from migrate.wheels.wheelfile import WheelMetadataError, read_metadata
    from migrate.wheels.wheelzip import WheelZipWriter, record_hash
