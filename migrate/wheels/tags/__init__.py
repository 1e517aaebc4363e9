"""(egg facts) -> wheel tags, with the reason for each (PEP 425, 513, 600; packaging.tags).

The rules are in ``docs/tags.rst``; one module per part of the tag:
:mod:`python`, :mod:`abi`, :mod:`platform` (with :mod:`manylinux`, auditwheel's
policy, and :mod:`distro`), joined by :func:`choose` in :mod:`chooser`. The
binaries win over the egg's name; ``trust_name`` reverses that. Every
disagreement is a Problem with a stable code (T001-T012).
"""
from migrate.wheels.tags.chooser import choose
from migrate.wheels.tags.distro import distro_from_comment, normalise_distro
from migrate.wheels.tags.manylinux import ManylinuxAudit, manylinux_audit, manylinux_policy, policy_names
from migrate.wheels.tags.platform import split_egg_platform
from migrate.wheels.tags.values import PLATFORM_MODES, TagError, TagOptions, WheelTags

__all__ = [
    "PLATFORM_MODES", "ManylinuxAudit", "TagError", "TagOptions", "WheelTags", "choose", "distro_from_comment",
    "manylinux_audit", "manylinux_policy", "normalise_distro", "policy_names", "split_egg_platform",
]
