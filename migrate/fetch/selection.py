"""Which eggs to fetch: eggs.ini pins, a target Python/platform, project names.

Two modes. With an eggs.ini, the wanted file names are Galaxy's
(:meth:`migrate.galaxy.eggsini.EggsIni.wanted`) and :func:`pick_alternative` is Galaxy's
``find_alternative``: same project, version and Python, a compatible platform,
and the choice is stated. Without one, every egg of the listing is kept unless
``--python``/``--platform``/``--project`` rule it out (:func:`keep`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

from packaging.utils import canonicalize_name

from migrate.eggs import EggParts, egg_parts, names, same_version, split_ucs
from migrate.fetch.listing import Link
from migrate.galaxy import EggsIni, EggTarget, Wanted, parse_target, platform_note

DEFAULT_GALAXY_PLATFORM = "linux-x86_64-ucs4"


@dataclass(frozen=True)
class Selection:
    """What to fetch. Build with :meth:`make` to get targets parsed and checked."""

    eggs_ini: Optional[EggsIni] = None
    python: Optional[str] = None  # "2.7": keep only eggs for this Python
    targets: tuple[EggTarget, ...] = ()  # each with a platform
    projects: tuple[str, ...] = ()  # names as given; matched with PEP 503 normalisation
    include_no_auto: bool = False

    @classmethod
    def make(cls, eggs_ini: Optional[EggsIni] = None, python: Optional[str] = None,
             platforms: Sequence[str] = (), projects: Sequence[str] = (),
             include_no_auto: bool = False) -> "Selection":
        """Parse ``--python``/``--platform`` strings; raises ``eggsini.InvalidTarget``.

        With an eggs.ini and no platform, the target is Galaxy's most common one,
        ``py2.7-linux-x86_64-ucs4`` (Galaxy used the running host's platform).
        """
        platforms = list(dict.fromkeys(platforms))
        if eggs_ini is not None and not platforms:
            platforms = [DEFAULT_GALAXY_PLATFORM]
        targets = tuple(dict.fromkeys(parse_target(python, p) for p in platforms))
        if python is None and eggs_ini is not None:
            python = targets[0].python  # eggs.ini eggs are for one Python (2.7 unless said)
        return cls(eggs_ini, python, targets, tuple(projects), include_no_auto)

    def wanted(self) -> list[Wanted]:
        """eggs.ini mode: the files Galaxy would have fetched for these targets."""
        assert self.eggs_ini is not None
        return self.eggs_ini.wanted(list(self.targets), self.projects, self.include_no_auto)

    def describe(self) -> str:
        bits = []
        if self.eggs_ini is not None:
            bits.append(f"eggs.ini {self.eggs_ini.path}")
        if self.python:
            bits.append(f"py{self.python}")
        bits += [t.platform for t in self.targets if t.platform]
        if self.projects:
            bits.append("projects " + ", ".join(self.projects))
        return "; ".join(bits) or "every egg"


def platform_match(egg: EggParts, target: EggTarget) -> Optional[str]:
    """``""`` when ``egg`` is built for ``target``'s platform, a note when compatible, else None.

    Eggs without Galaxy's ``-ucsN`` suffix (plain setuptools builds) match on the
    platform alone, with a note: the converter reads UCS2/UCS4 from the binaries.
    """
    full = egg.full_platform  # None exactly when egg.platform is
    if full is None or target.platform is None:
        return "" if full is None else None
    if egg.ucs:
        return platform_note(full, target.platform)
    bare = split_ucs(target.platform)[0]
    if bare is None:
        return None
    note = platform_note(full, bare)  # no ucs: the platform as named
    if note is None:
        return None
    if bare == target.platform:  # Python 3 targets have no ucs
        return note
    return (note + "; " if note else "") + "no -ucs suffix in the name: the converter reads UCS2/UCS4 from the binaries"


def keep(link: Link, selection: Selection) -> Optional[str]:
    """Listing mode: None when ``link`` is not selected, else a note (``""`` for a plain match)."""
    egg = egg_parts(link.filename)
    if selection.projects:
        wanted = {canonicalize_name(p) for p in selection.projects}
        if canonicalize_name(egg.project) not in wanted and not (
                link.project and canonicalize_name(link.project) in wanted):
            return None
    if selection.python and egg.pyver != selection.python:
        return None
    if egg.platform is None or not selection.targets:
        return ""
    notes = [platform_match(egg, t) for t in selection.targets]
    notes = [n for n in notes if n is not None]
    if not notes:
        return None
    return "" if "" in notes else notes[0]


def pick_alternative(links: Sequence[Link], wanted: Wanted) -> Optional[tuple[Link, str]]:
    """Galaxy's ``find_alternative``: (link, note) of the best stand-in for a missing egg, or None.

    Same project (PEP 503 normalised), same version (PEP 440 equal, or the same
    spelling), same Python. A platform egg needs a compatible platform. A pure
    egg takes a pure one under another spelling first; failing that, a build for
    one of the deployment's platforms, as Galaxy's client did (its fallback ran
    for pure eggs too and compared the listing with the host's platform). The
    note says which file was taken instead of which, and why.
    Preference: the wanted name itself, pure for pure, the exact platform, then
    the newest compatible macOS.
    """
    want = egg_parts(wanted.filename)
    pure = wanted.target.platform is None or not wanted.pin.platform_specific
    targets = (wanted.deployment or ()) if pure else (wanted.target,)
    ranked = [r for r in (_stand_in(link, want, wanted.filename, pure, targets) for link in links) if r is not None]
    if not ranked:
        return None
    ranked.sort(key=lambda r: r[0])
    _, link, note, built_for = ranked[0]
    if link.filename == wanted.filename:
        return link, ""
    said = f"eggs.ini wants {wanted.filename}, which the repository does not have; took {link.filename}"
    if pure and built_for is not None:
        said += (f" (a build for the deployment's platform {built_for.platform}: Galaxy's client replaced a "
                 f"missing [eggs:noplatform] egg the same way)")
    return link, f"{said} ({note})" if note else said


# (sort key: lower is better), the link, its platform note, the deployment target it was built for
_Ranked = tuple[tuple[bool, bool, bool, int, str], Link, str, Optional[EggTarget]]


def _stand_in(link: Link, want: EggParts, wanted_filename: str, pure: bool,
              targets: Sequence[EggTarget]) -> Optional[_Ranked]:
    """How well ``link`` stands in for the wanted egg, or None when it cannot: another project,
    version or Python, or a platform none of ``targets`` runs."""
    try:
        egg = egg_parts(link.filename)
    except names.InvalidEggName:
        return None
    if canonicalize_name(egg.project) != canonicalize_name(want.project):
        return None
    if not same_version(egg.version, want.version) or egg.pyver != want.pyver:
        return None
    fit = _platform_fit(egg, pure, targets)
    if fit is None:
        return None
    note, built_for = fit
    exact = link.filename == wanted_filename
    mac_minor = -int(m.group(1)) if (m := re.search(r"macosx-\d+\.(\d+)", egg.platform or "")) else 0
    return (not exact, built_for is not None, note != "", mac_minor, link.filename), link, note, built_for


def _platform_fit(egg: EggParts, pure: bool,
                  targets: Sequence[EggTarget]) -> Optional[tuple[str, Optional[EggTarget]]]:
    """(note, the target it was built for) when ``egg``'s platform will do: a pure egg for a pure
    one, else a build one of ``targets`` runs (a plain match first); None when it will not."""
    if egg.platform is None:
        return ("", None) if pure else None
    found = [(n, t) for t in targets if t.platform and (n := platform_match(egg, t)) is not None]
    if not found:
        return None
    return min(found, key=lambda f: f[0] != "")


def describe_missing(wanted: Wanted, links: Sequence[Link]) -> str:
    """Why nothing fits, naming what the project's listing does offer."""
    same = [link.filename for link in links
            if canonicalize_name(egg_parts(link.filename).project) == canonicalize_name(wanted.key)]
    offer = ", ".join(sorted(same)[:6]) + (f" and {len(same) - 6} more" if len(same) > 6 else "")
    also = ""
    if not wanted.pin.platform_specific and wanted.deployment:
        also = " nor a build for " + " or ".join(t.platform for t in wanted.deployment if t.platform)
    return (f"no {wanted.key} {wanted.pin.full_version} egg for {wanted.target}{also}"
            + (f" (the listing has: {offer})" if offer else " (the listing has no egg of this project)"))


__all__ = ["Selection", "keep", "pick_alternative", "platform_match", "describe_missing"]
