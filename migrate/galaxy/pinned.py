"""Galaxy deployments: eggs.ini in, Galaxy-style ``pinned-requirements.txt`` out.

Galaxy's own move from eggs to wheels (release 16.01) replaced ``eggs.ini`` with
``lib/galaxy/dependencies/pinned-requirements.txt``: one ``name==version`` per
line, C-extension packages first, a ``[tags]`` suffix turned into a PEP 440 local
version (``pysam==0.8.3+gx1``), optional packages left as commented-out pins.
:func:`pins_for` matches each eggs.ini egg with the manifest records of the run
(by project name, PEP 503 normalised, and egg version, PEP 440 equal);
:func:`render` writes the file; :func:`write_pinned_requirements` does both and
writes atomically. The same records give the same bytes.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from packaging.utils import canonicalize_name, parse_wheel_filename

from migrate import __version__
from migrate import problems as P
from migrate.eggs import egg_parts, names, same_version
from migrate.fsutil import write_if_changed
from migrate.galaxy.eggsini import EggPin, EggsIni
from migrate.records import FAILED, EggRecord, WheelFile

FILENAME = "pinned-requirements.txt"


@dataclass(frozen=True)
class GalaxyPin:
    """One eggs.ini egg that became wheels: the line ``name==version`` and what it came from."""

    egg: EggPin
    name: str  # the project as the wheel names it (``bx-python``)
    version: str  # the wheel's PEP 440 version (``0.7.2+7b95ff194725``)
    wheels: tuple[tuple[str, str], ...]  # (wheel filename, sha256), sorted
    binary: bool  # the wheels carry C extensions (an ABI tag)
    notes: tuple[str, ...] = ()  # what else the admin should know, short phrases

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass(frozen=True)
class Unpinned:
    """An eggs.ini egg with no wheel: ``no_auto``, failed, or not in this run."""

    egg: EggPin
    kind: str  # "no_auto" | "failed" | "absent"
    reason: str


@dataclass(frozen=True)
class GalaxyPins:
    pins: tuple[GalaxyPin, ...]  # C extensions first, then by canonical name
    unpinned: tuple[Unpinned, ...]  # in eggs.ini order


def pins_for(ini: EggsIni, records: Sequence[EggRecord]) -> GalaxyPins:
    """Match every eggs.ini egg with the run's :class:`~migrate.records.EggRecord` list."""
    identified = [(_identity(r), r) for r in records]
    pins: list[GalaxyPin] = []
    unpinned: list[Unpinned] = []
    for egg in ini.eggs.values():
        mine = [r for ident, r in identified if _matches(egg, ident)]
        good = [b for b in map(_built, mine) if b is not None]
        bad = [r for r in mine if r.status == FAILED]
        if egg.key in ini.no_auto:
            built = f"; a wheel was built anyway: {good[0].wheel.filename}" if good else ""
            unpinned.append(Unpinned(egg, "no_auto", "in [general] no_auto: Galaxy built this egg on each host "
                                     f"(\"scrambled\" against local libraries) and never fetched it{built}"))
            continue
        if good:
            pins.append(_pin(ini, egg, good, bad))
        elif bad:
            unpinned.append(Unpinned(egg, "failed", "; ".join(sorted({_one_line(_reason(r)) for r in bad}))))
        else:
            skipped = sorted({_one_line(_reason(r)) for r in mine})
            unpinned.append(Unpinned(egg, "absent", "; ".join(skipped) if skipped else "no egg of it in this run"))
    pins.sort(key=lambda p: (not p.binary, canonicalize_name(p.name), p.name))
    return GalaxyPins(tuple(pins), tuple(unpinned))


def render(result: GalaxyPins, ini_name: str = "eggs.ini", index_url: Optional[str] = None,
           hashes: bool = False) -> str:
    """Galaxy 16.01's ``pinned-requirements.txt`` layout, with each pin's eggs.ini line as a comment.

    With ``hashes`` each pin is followed by pip's ``--hash=sha256:`` lines (every
    wheel of that version, e.g. the cp27m and cp27mu builds) and the comment moves
    to its own line below them: pip joins ``\\`` lines before it strips comments.
    """
    lines = [f"# Pinned requirements for this Galaxy deployment, from {ini_name}",
             f"# (written by egg-migrate {__version__}; one name==version per egg that became a wheel)."]
    tagged = sorted((p for p in result.pins if p.egg.tag), key=lambda p: "+" not in p.version)
    if tagged:
        lines.append(f"# A [tags] suffix is part of the version, written the PEP 440 way: {tagged[0].egg.version} "
                     f"+ {tagged[0].egg.tag} -> {tagged[0].version}.")
    lines.append("# Install with stock pip:")
    where = f"--index-url {index_url} " if index_url else "--index-url <mirror>/simple/ "
    lines.append(f"#   pip install {where}{'--require-hashes ' if hashes else ''}-r {FILENAME}")
    for title, group in (("packages with C extensions", [p for p in result.pins if p.binary]),
                         ("pure Python packages", [p for p in result.pins if not p.binary])):
        if not group:
            continue
        lines += ["", f"# {title}"]
        for pin in group:
            comment = "# " + _eggs_ini_line(pin.egg) + "".join(f"; {n}" for n in pin.notes)
            if not hashes:
                lines.append(f"{pin.requirement}  {comment}")
                continue
            lines.append(pin.requirement + " \\")
            shas = sorted({sha for _, sha in pin.wheels})
            lines += [f"    --hash=sha256:{sha}" + (" \\" if i < len(shas) - 1 else "") for i, sha in enumerate(shas)]
            lines.append(f"    {comment}")
    for kind, title in (("no_auto", "Not pinned: [general] no_auto (build these on each host, as Galaxy did)"),
                        ("failed", "Not pinned: no wheel, the egg failed"),
                        ("absent", "Not pinned: no egg of these in this run")):
        unpinned = [u for u in result.unpinned if u.kind == kind]
        if not unpinned:
            continue
        lines += ["", f"# {title}"]
        lines += [f"#{_would_be(u.egg)}  # {_eggs_ini_line(u.egg)}; {u.reason}" for u in unpinned]
    return "\n".join(lines) + "\n"


def write_pinned_requirements(ini: EggsIni, records: Sequence[EggRecord], path: Path, hashes: bool = False,
                              index_url: Optional[str] = None) -> Path:
    """``name==version`` per converted eggs.ini egg; no_auto and failed eggs as trailing comments.

    Written to a temp name, fsynced and renamed; left untouched when the bytes
    would be the same.
    """
    path = Path(path)
    write_if_changed(path, render(pins_for(ini, records), Path(ini.path).name, index_url, hashes))
    return path


# ---------------------------------------------------------------- matching

@dataclass(frozen=True)
class _Identity:
    project: Optional[str]  # canonical
    version: Optional[str]  # the egg file name's version string
    platform: Optional[str]  # the egg's platform (None: pure)
    filename: str


def _identity(record: EggRecord) -> _Identity:
    """Which egg a record is, read from its egg file name (failed rows have nothing else)."""
    filename = Path(record.egg or "").name
    try:
        parts = egg_parts(filename)
        project, version, platform = parts.project, parts.version, parts.full_platform
    except names.InvalidEggName:
        project, version, platform = filename, None, None  # a no_auto row is named by its key
    if record.egg_version:
        version = record.egg_version
    return _Identity(canonicalize_name(project) if project else None, version, platform, filename)


def _matches(egg: EggPin, ident: _Identity) -> bool:
    if ident.project != canonicalize_name(egg.key):
        return False
    if ident.version is None:  # a row named only by the key (no_auto, "not fetched")
        return True
    return same_version(ident.version, egg.full_version.replace("-", "_"))


@dataclass(frozen=True)
class _Built:
    """A record whose egg became a good wheel, with the wheel and its version (which such a record has)."""

    record: EggRecord
    wheel: WheelFile
    version: str


def _built(record: EggRecord) -> Optional[_Built]:
    """The record as a built egg; None unless it has a good wheel."""
    if not record.has_good_wheel or record.wheel is None or record.version is None:
        return None
    return _Built(record, record.wheel, record.version)


def _pin(ini: EggsIni, egg: EggPin, good: list[_Built], bad: list[EggRecord]) -> GalaxyPin:
    versions = Counter(b.version for b in good)
    version = versions.most_common(1)[0][0] if len(versions) == 1 else _preferred(egg, versions)
    chosen_builds = [b for b in good if b.version == version]
    chosen = [b.record for b in chosen_builds]
    notes = []
    pure_egg = not egg.platform_specific
    for r in chosen:
        name = Path(r.egg).name
        if pure_egg and r.egg_platform:
            notes.append(f"no pure egg in the repository: took {name}, as Galaxy's client did")
    others = sorted(set(versions) - {version})
    if others:
        notes.append(f"other wheels of it have version {', '.join(others)}")
    deps = ini.dependencies.get(egg.key) or ()
    if deps:
        added = any(r.has_problem(P.REQUIRES_ADDED) for r in chosen)
        notes.append(f"[dependencies] {' '.join(deps)}" + (" added to its Requires-Dist" if added else
                                                           " (already in its metadata)"))
    libraries = sorted({lib for r in chosen for lib in r.external_libraries})
    if libraries:
        notes.append(f"the host must provide {', '.join(libraries)}")
    for r in bad:
        notes.append(f"{Path(r.egg).name} failed: {_one_line(_reason(r))}")
    wheels = tuple(sorted((b.wheel.filename, b.wheel.sha256) for b in chosen_builds))
    binary = any(tag.abi != "none" for fn, _ in wheels for tag in parse_wheel_filename(fn)[3])
    name = chosen[0].project or egg.key
    return GalaxyPin(egg, name, version, wheels, binary, tuple(dict.fromkeys(notes)))


def _preferred(egg: EggPin, versions: Counter[str]) -> str:
    """Several versions for one egg (spelling variants): the one eggs.ini's line translates to."""
    try:
        wanted = names.pep440_version(egg.full_version.replace("-", "_"))
    except Exception:  # InvalidVersion: fall back to the most common
        wanted = None
    if wanted is not None and wanted in versions:
        return wanted
    return sorted(versions, key=lambda v: (-versions[v], v))[0]


# ---------------------------------------------------------------- text

def _eggs_ini_line(egg: EggPin) -> str:
    tag = f", tag {egg.tag}" if egg.tag else ""
    return f"eggs.ini: {egg.key} = {egg.version}{tag}"


def _would_be(egg: EggPin) -> str:
    """The pin an admin would uncomment once a wheel exists (``pbs-python==4.3.5``)."""
    try:
        return f"{canonicalize_name(egg.key)}=={names.pep440_version(egg.full_version.replace('-', '_'))}"
    except Exception:  # InvalidVersion: show the eggs.ini spelling instead
        return f"{egg.key}=={egg.full_version}"


def _reason(record: EggRecord) -> str:
    return record.reason or record.status or "unknown"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())

