"""What to pin: the roots from a requirements file (``-r``) or a Galaxy eggs.ini."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Union

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from migrate.pins.errors import PinError
from migrate.pins.provider import Root


def read_requirements_file(path: Union[str, os.PathLike[str]]) -> list[Root]:
    """Roots from a requirements.in: one requirement a line, ``#`` comments, ``-r`` includes."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise PinError(f"{path}: cannot read ({exc.strerror or exc})") from None
    roots: list[Root] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if line.startswith(("-r ", "--requirement ")):
            roots += read_requirements_file(path.parent / line.split(None, 1)[1])
            continue
        if line.startswith("-"):
            raise PinError(f"{path}:{number}: option {line.split()[0]} is not supported here")
        try:
            roots.append(Root(Requirement(line), f"-r {path.name}"))
        except InvalidRequirement as exc:
            raise PinError(f"{path}:{number}: {exc}") from None
    return roots


def read_eggs_ini(path: Union[str, Path],
                  manifest: Union[str, os.PathLike[str], None] = None) -> tuple[list[Root], list[str]]:
    """(roots, notes): ``name==version`` for every egg of a Galaxy eggs.ini (``migrate.galaxy.eggsini``).

    The version is the wheel's: looked up in ``manifest`` (manifest.json: the egg's
    version string -> the wheel's PEP 440 version) when given, else computed as the
    converter does (``names.pep440_version``: a ``[tags]`` suffix becomes a local
    version). Eggs in ``[general] no_auto`` were optional in Galaxy: left out, noted.
    """
    from migrate.eggs import pep440_version
    from migrate.galaxy import eggsini

    try:
        ini = eggsini.parse(path)
    except eggsini.InvalidEggsIni as exc:
        raise PinError(str(exc)) from None
    known = _manifest_versions(manifest) if manifest else {}
    roots: list[Root] = []
    notes: list[str] = []
    for pin in ini.eggs.values():
        section = "eggs:platform" if pin.platform_specific else "eggs:noplatform"
        if pin.key in ini.no_auto:
            notes.append(f"{pin.key}: in [general] no_auto (optional in Galaxy), not pinned")
            continue
        raw = pin.full_version.replace("-", "_")
        try:
            version = known.get((canonicalize_name(pin.key), raw)) or pep440_version(raw)
            roots.append(Root(Requirement(f"{pin.key}=={version}"), f"eggs.ini [{section}]"))
        except Exception as exc:  # InvalidVersion / InvalidRequirement: one line
            raise PinError(f"{path}:{pin.lineno}: {pin.key} = {pin.version}: {exc}") from None
    return roots, notes


def _manifest_versions(path: Union[str, os.PathLike[str]]) -> dict[tuple[str, str], str]:
    """{(project, egg version string): wheel version} of the converted eggs in a manifest.json."""
    from migrate.records import CONVERTED, read_manifest

    try:  # read a record at a time: a manifest of many eggs is tens of MB
        return {(canonicalize_name(r.project), r.egg_version): r.version for r in read_manifest(path)
                if r.status == CONVERTED and r.project and r.egg_version and r.version}
    except (OSError, ValueError) as exc:  # InvalidRecord is a ValueError
        raise PinError(f"{path}: cannot read the manifest ({exc})") from None
