"""EGG-INFO -> core metadata, requirements, entry points, scripts, namespace packages.

Eggs carry their metadata as loose files in EGG-INFO (PKG-INFO, requires.txt, entry_points.txt...).
This module reads them into one :class:`EggInfo` value and reports, rather
than raises on, what is wrong in them: a bad requirement line is skipped
with a problem, a latin-1 PKG-INFO is decoded and noted.
"""
from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Optional

from migrate import problems as P
from migrate.eggs.archive import BrokenEgg, EggArchive, FolderEgg, Limits, check_member_path
from migrate.eggs.pkginfotext import read_pkg_info
from migrate.eggs.requires import normalise_extra, parse_requires_txt
from migrate.eggs.spelling import canonicalize_name
from migrate.eggs.zipegg import ZipEgg
from migrate.problems import Problem

if TYPE_CHECKING:  # packaging's requirement parser is imported when an egg has a requirement
    from packaging.requirements import Requirement

# PKG-INFO fields carried to METADATA, in the order METADATA lists them.
SINGLE_FIELDS = (
    "summary", "home_page", "download_url", "author", "author_email", "maintainer",
    "maintainer_email", "license", "license_expression", "keywords", "requires_python",
    "description_content_type",
)
MULTI_FIELDS = (
    "platforms", "supported_platforms", "classifiers", "project_urls", "requires_external",
    "provides_dist", "obsoletes_dist",
)
# The errors pathlib's is_dir/is_file/exists answer False for (any other is raised).
_MISSING = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)
# EGG-INFO files that become .dist-info files unchanged.
CARRIED_FILES = ("entry_points.txt", "top_level.txt", "namespace_packages.txt")


@dataclass(frozen=True)
class Metadata:
    """Core metadata fields read from PKG-INFO (values as written, UNKNOWN dropped)."""

    name: Optional[str] = None
    version: Optional[str] = None
    metadata_version: Optional[str] = None
    description: Optional[str] = None
    single: tuple[tuple[str, str], ...] = ()  # ((field, value), ...) for SINGLE_FIELDS present
    multi: tuple[tuple[str, tuple[str, ...]], ...] = ()  # ((field, (values...)), ...) for MULTI_FIELDS present
    requires_dist: tuple[str, ...] = ()
    provides_extra: tuple[str, ...] = ()


@dataclass(frozen=True)
class EggInfo:
    """Everything an egg's metadata folder says."""

    meta_dir: str  # "EGG-INFO", or "Foo.egg-info" for develop/installed eggs
    metadata: Metadata
    requires_dist: tuple[str, ...]  # merged, deduplicated PEP 508 strings
    provides_extra: tuple[str, ...]
    entry_points: Optional[str]
    scripts: tuple[str, ...]  # member paths under <meta_dir>/scripts/
    namespace_packages: tuple[str, ...]
    top_level: tuple[str, ...]
    native_libs: tuple[str, ...]
    carried: tuple[str, ...]  # member paths copied into .dist-info
    problems: tuple[Problem, ...] = field(default=())


def open_egg(path: Path, limits: Limits = Limits()) -> tuple[EggArchive, str]:
    """Open any egg form; returns (archive, meta_dir). Raises BrokenEgg with a one-line reason."""
    path = path if isinstance(path, Path) else Path(path)
    name = path.name
    mode = _mode(path)
    if mode is None:
        raise BrokenEgg(f"{name}: no such file or folder")
    archive: EggArchive
    if stat.S_ISDIR(mode):
        if name.lower().endswith(".egg-info"):
            return _develop_egg(path, limits), name
        archive = FolderEgg(path, limits=limits)
    elif stat.S_ISREG(mode) and name.lower().endswith(".egg-info"):
        raise BrokenEgg(f"{name}: a single-file .egg-info (plain distutils install) lists no files to convert")
    else:
        archive = ZipEgg(path, limits)
    if not any(m.path.startswith("EGG-INFO/") for m in archive.members):
        archive.close()
        raise BrokenEgg(f"{name}: no EGG-INFO folder (not an egg)")
    return archive, "EGG-INFO"


def _mode(path: Path) -> Optional[int]:
    """``path``'s st_mode (symlinks followed), None when it is missing: one ``stat`` where
    ``is_dir``, ``is_file`` and ``exists`` made one each, with their answers and errors."""
    try:
        return os.stat(path).st_mode
    except ValueError:  # a NUL in the name: pathlib's answer is False
        return None
    except OSError as exc:
        if exc.errno in _MISSING:
            return None
        raise


def _develop_egg(info_dir: Path, limits: Limits) -> FolderEgg:
    """A ``Foo.egg-info`` folder: its files plus the code it describes, beside it."""
    root = info_dir.parent
    meta = info_dir.name
    files = [f"{meta}/{p.relative_to(info_dir).as_posix()}" for p in info_dir.rglob("*") if p.is_file()]
    installed = info_dir / "installed-files.txt"
    if installed.is_file():
        for line in installed.read_text("utf-8", "replace").splitlines():
            rel = (info_dir / line.strip()).resolve()
            try:
                files.append(rel.relative_to(root.resolve()).as_posix())
            except ValueError:
                continue  # installed outside site-packages (bin/ scripts)
    else:
        top = info_dir / "top_level.txt"
        names = top.read_text("utf-8", "replace").split() if top.is_file() else []
        for mod in names:
            check_member_path(mod, meta)
            pkg = root / mod
            if pkg.is_dir():
                files += [p.relative_to(root).as_posix() for p in pkg.rglob("*") if p.is_file()]
            files += [p.name for p in root.glob(f"{mod}.*") if p.is_file() and p.suffix in (".py", ".so", ".pyd", ".pyc")]
            files += [p.name for p in root.glob(f"{mod}.*.so") if p.is_file()]
    files = [f for f in files if "__pycache__/" not in f or f.startswith(meta)]
    return FolderEgg(root, files=files, limits=limits)


def read_egg_info(archive: EggArchive, meta_dir: str) -> EggInfo:
    """Read the metadata folder of an opened egg."""
    prefix = meta_dir + "/"
    members = {m.path[len(prefix):]: m for m in archive.members if m.path.startswith(prefix)}
    found: list[Problem] = []

    def text(name: str) -> Optional[str]:
        member = members.get(name)
        if member is None:
            return None
        data = archive.read(member, limit=16 * 1024**2)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            found.append(P.warning("M010", f"{meta_dir}/{name} is not UTF-8; read as latin-1 (written to the wheel as UTF-8)"))
            return data.decode("latin-1")

    pkg_info = text("PKG-INFO")
    metadata = parse_pkg_info(pkg_info) if pkg_info is not None else Metadata()
    if pkg_info is None:
        found.append(P.warning("M001", "no PKG-INFO: name and version taken from the file name"))

    requires, extras = _requirements(metadata, text("requires.txt") or "", found)

    entry_points = text("entry_points.txt")
    if entry_points is not None:
        found += entry_points_problems(entry_points)

    def lines(name: str) -> tuple[str, ...]:
        return tuple(line.strip() for line in (text(name) or "").splitlines() if line.strip())

    scripts = tuple(prefix + n for n in sorted(members) if n.startswith("scripts/") and n != "scripts/")
    carried = tuple(prefix + n for n in CARRIED_FILES if n in members)
    if "dependency_links.txt" in members and lines("dependency_links.txt"):
        found.append(P.info("M006", "dependency_links.txt dropped (pip ignores it)"))
    return EggInfo(
        meta_dir=meta_dir,
        metadata=metadata,
        requires_dist=requires,
        provides_extra=extras,
        entry_points=entry_points,
        scripts=scripts,
        namespace_packages=lines("namespace_packages.txt"),
        top_level=lines("top_level.txt"),
        native_libs=lines("native_libs.txt"),
        carried=carried,
        problems=tuple(found) + metadata_problems(metadata),
    )


def _requirements(metadata: Metadata, requires_txt: str, found: list[Problem]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(Requires-Dist, Provides-Extra): PKG-INFO's when it has them, else requires.txt's."""
    reqs_txt, extras_txt, req_problems = parse_requires_txt(requires_txt)
    found += req_problems
    if not metadata.requires_dist:
        return _dedupe(reqs_txt), extras_txt
    requires = _dedupe(metadata.requires_dist)
    if reqs_txt and set(_dedupe(reqs_txt)) - set(requires):
        found.append(P.info("M004", "requires.txt differs from PKG-INFO Requires-Dist; PKG-INFO kept"))
    return requires, tuple(dict.fromkeys(_pkg_info_extras(metadata, found) + extras_txt))


def _pkg_info_extras(metadata: Metadata, found: list[Problem]) -> tuple[str, ...]:
    """PKG-INFO's Provides-Extra in PEP 685 form; one that is no extra name is dropped with an M003."""
    extras = []
    for written in metadata.provides_extra:
        extra = normalise_extra(written)
        if extra is None:
            found.append(P.warning("M003", f"PKG-INFO Provides-Extra {written!r} is not an extra name; dropped"))
        else:
            extras.append(extra)
    return tuple(extras)


def parse_pkg_info(text: str) -> Metadata:
    fields = read_pkg_info(text)  # what pkginfo.Distribution.parse sets
    cleaned = ((f, _clean(fields.get(f))) for f in SINGLE_FIELDS)
    single = tuple((f, value) for f, value in cleaned if value)
    multi: list[tuple[str, tuple[str, ...]]] = []
    for f in MULTI_FIELDS:
        values = tuple(v for v in _many(fields.get(f)) if v and v.strip() != "UNKNOWN")
        if values:
            multi.append((f, values))
    description = fields.get("description")
    return Metadata(
        name=_clean(fields.get("name")),
        version=_clean(fields.get("version")),
        metadata_version=_clean(fields.get("metadata_version")),
        description=_description(description if isinstance(description, str) else None),
        single=single,
        multi=tuple(multi),
        requires_dist=_many(fields.get("requires_dist")),
        provides_extra=_many(fields.get("provides_extras")),
    )


def _many(value: object) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, (list, tuple)) else ()


def metadata_problems(metadata: Metadata) -> tuple[Problem, ...]:
    found = []
    for req in metadata.requires_dist:
        if _normalised(req) is not None:
            continue
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            Requirement(req)
        except InvalidRequirement as exc:
            found.append(P.warning("M003", f"PKG-INFO Requires-Dist {req!r} is not PEP 508 ({exc}); dropped"))
    return tuple(found)


def _clean(value: object) -> Optional[str]:
    if value is None:
        return None
    value = str(value).strip()
    return None if value in ("", "UNKNOWN") else value


def _description(value: Optional[str]) -> Optional[str]:
    if not value or value.strip() == "UNKNOWN":
        return None
    # setuptools >= 36.4 folds description lines as "       |text"
    lines = value.splitlines()
    if len(lines) > 1 and all(not l or l.startswith("|") or l.startswith("       |") for l in lines[1:]):
        lines = [lines[0]] + [l.split("|", 1)[1] if "|" in l else l for l in lines[1:]]
    return "\n".join(lines).strip("\n") + "\n"


def _dedupe(requirements: Iterable[str]) -> tuple[str, ...]:
    """Valid PEP 508 strings, normalised, each once, first spelling wins."""
    seen: set[tuple[str, tuple[str, ...], str, str]] = set()
    out: list[str] = []
    for req in requirements:
        normalised = _normalised(req)
        if normalised is None:
            continue
        key, text = normalised
        if key not in seen:
            seen.add(key)
            out.append(text)
    return tuple(out)


@lru_cache(maxsize=4096)
def _normalised(req: str) -> Optional[tuple[tuple[str, tuple[str, ...], str, str], str]]:
    """(:func:`requirement_key`, the string packaging writes) of a PEP 508 string; None when it is
    not one. Remembered: the eggs of one project repeat their requirements."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        parsed = Requirement(req)
    except InvalidRequirement:
        return None
    return requirement_key(parsed), str(parsed)


def requirement_key(req: Requirement) -> tuple[str, tuple[str, ...], str, str]:
    """What makes two requirements the same: the normalised name, extras, specifier and marker."""
    return (canonicalize_name(req.name), tuple(sorted(req.extras)), str(req.specifier), str(req.marker or ""))


def entry_points_problems(text: str) -> list[Problem]:
    """[M005] when ``entry_points.txt`` is not the INI file pkg_resources reads, else []."""
    if _plain_ini(text):
        return []
    import configparser  # only for the entry points the plain reading leaves open (and their message)

    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        return [P.error("M005", f"entry_points.txt does not parse ({str(exc).splitlines()[0]})")]
    return []


def _plain_ini(text: str) -> bool:
    """True when ``text`` is plainly an INI file ``configparser`` reads (strict=False, ``=`` only):
    ``[group]`` headers, then ``name = value`` lines, comments and blank lines, none indented.
    Most entry points are written so; their check then costs neither loading configparser nor
    a parser. Anything else (a continuation, a line before a header) is left to configparser."""
    in_group = False
    for line in text.split("\n"):  # configparser reads lines as StringIO splits them
        line = line.rstrip()
        if not line or line[0] in "#;":
            continue
        if line[0].isspace():
            return False
        if line[0] == "[":
            if len(line) < 3 or line[-1] != "]" or "]" in line[1:-1]:
                return False
            in_group = True
        elif not in_group or not line.partition("=")[0].strip() or "=" not in line:
            return False
    return True


def with_extra_requirements(info: EggInfo, extra: tuple[str, ...], source: str) -> EggInfo:
    """Add requirements the egg's metadata lacks (Galaxy eggs.ini [dependencies])."""
    from packaging.requirements import Requirement

    have = {canonicalize_name(Requirement(r).name) for r in info.requires_dist}
    added = tuple(r for r in extra if canonicalize_name(Requirement(r).name) not in have)
    if not added:
        return info
    note = P.info("M007", f"added Requires-Dist {', '.join(added)} from {source}")
    return replace(info, requires_dist=info.requires_dist + added, problems=info.problems + (note,))


def parse_entry_points(text: Optional[str]) -> dict[str, dict[str, str]]:
    """``entry_points.txt`` -> {group: {name: "module:attr [extras]"}}, both levels sorted.

    Read line by line, as pkg_resources reads it (``[group]`` headers, ``name = value``
    split at the first ``=``), but leniently: blank lines, ``#``/``;`` comments and lines
    that are neither are skipped (``read_egg_info`` reports a file that does not parse).
    """
    groups: dict[str, dict[str, str]] = {}
    group = None
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1].strip()
            groups.setdefault(group, {})
        elif group is not None and "=" in line:
            name, _, value = line.partition("=")
            groups[group][name.strip()] = value.strip()
    return {g: dict(sorted(v.items())) for g, v in sorted(groups.items())}
