"""Which versions a project's requirements let the resolver pick, by pip's rule for pre-releases.

pip passes the merged specifier of every requirement on a project to
``SpecifierSet.filter(versions, prereleases=True if --pre else None)``: a pre-release
(or dev release) is a candidate only with ``--pre``, when a specifier names one
(``==1.0rc2``, ``>=1.0b1``), or when nothing but pre-releases matches. The same rule
is kept here in two parts so that a resolver can narrow the matching versions one
requirement at a time (each part is cheap) and still give what ``filter`` gives.
"""
from __future__ import annotations

from typing import Iterable, Sequence

from packaging.requirements import Requirement
from packaging.version import Version


def narrow(versions: Iterable[Version], requirement: Requirement) -> tuple[Version, ...]:
    """The ``versions`` the requirement's specifier contains, pre-releases included, in the same order."""
    spec = requirement.specifier
    return tuple(v for v in versions if spec.contains(v, prereleases=True))


def names_prerelease(requirement: Requirement) -> bool:
    """True when a specifier names a pre-release (``==1.0rc2``, ``>=2.0b1``; not ``!=1.0rc1``)."""
    return bool(requirement.specifier.prereleases)


def is_exact(requirement: Requirement) -> bool:
    """True for ``==`` / ``===`` requirements (the resolver pins those first, as pip does)."""
    return any(s.operator in ("==", "===") for s in requirement.specifier)


def allowed(matching: Sequence[Version], named: bool, pre: bool) -> tuple[Version, ...]:
    """Of the versions every requirement contains: all with ``--pre`` or a named pre-release,
    else the final releases, else (nothing final matches) the pre-releases."""
    if pre or named:
        return tuple(matching)
    finals = tuple(v for v in matching if not v.is_prerelease)
    return finals or tuple(matching)
