"""One egg -> one wheel: streaming, deterministic, atomic.

:func:`inspect_egg` reads everything an egg says (name, EGG-INFO, binaries,
the plan of where each file goes, the tags); :func:`convert_egg` writes the
wheel from that. A failure of any kind becomes a :class:`ConvertResult`
with a one-line reason and no file left behind.
"""
from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO, Optional

from packaging.version import InvalidVersion

from migrate import problems as P
from migrate.binaries import BinaryFacts, analyse
from migrate.eggs import (
    CHUNK,
    BrokenEgg,
    EggArchive,
    EggInfo,
    EggName,
    InvalidEggName,
    Limits,
    Member,
    canonicalize_name,
    dist_info_name,
    open_egg,
    parse,
    pep440_version,
    printable,
    read_egg_info,
    with_extra_requirements,
)
from migrate.errors import MigrateError
from migrate.fsutil import atomic_writer, fresh_writer, fsync_dir, sync_files
from migrate.problems import Problem
from migrate.wheels.distinfo import render_metadata, render_nspkg_pth, render_record, render_wheel
from migrate.wheels.plan import Placement, Plan, make_plan
from migrate.wheels.tags import TagError, TagOptions, WheelTags, choose
from migrate.wheels.wheelzip import CorruptMember, WheelZipWriter, Written


@dataclass(frozen=True)
class ConvertOptions:
    tags: TagOptions = TagOptions()
    limits: Limits = Limits()
    extra_requires: tuple[str, ...] = ()  # PEP 508 strings to add when the egg lacks them (eggs.ini)
    extra_requires_source: str = "eggs.ini [dependencies]"
    # The python tag of a pure ``pyX`` wheel as decided across eggs (migrate.wheels.collisions), and why.
    python_tag: Optional[str] = None
    python_tag_why: str = ""


@dataclass(frozen=True)
class EggFacts:
    """Everything read from one egg, and what the wheel will be."""

    path: str
    name: EggName
    project: str  # display name written to METADATA
    version: str  # PEP 440, written to METADATA and the wheel name
    info: EggInfo
    binaries: tuple[BinaryFacts, ...]
    plan: Plan
    tags: Optional[WheelTags]
    problems: tuple[Problem, ...]

    @property
    def wheel_filename(self) -> Optional[str]:
        if self.tags is None:
            return None
        return f"{dist_info_name(self.project)}-{self.version}-{self.tags}.whl"

    @property
    def dist_info_dir(self) -> str:
        return f"{dist_info_name(self.project)}-{self.version}.dist-info"


@dataclass(frozen=True)
class ConvertResult:
    """One row of the manifest."""

    egg: str
    wheel: Optional[str]  # path of the written wheel
    tags: Optional[WheelTags]
    problems: tuple[Problem, ...] = field(default=())
    facts: Optional[EggFacts] = None

    @property
    def ok(self) -> bool:
        return self.wheel is not None

    @property
    def reason(self) -> str:
        """The first error as one line that names the egg."""
        errors = [p.message for p in self.problems if p.severity == P.ERROR]
        if not errors:
            return ""
        name = printable(Path(self.egg).name)
        return errors[0] if errors[0].startswith(name) else f"{name}: {errors[0]}"


class ConversionFailed(MigrateError):
    """Carries the one-line reason and the problems found so far."""

    def __init__(self, message: str, found: tuple[Problem, ...] = ()):
        super().__init__(message)
        self.found = found


def inspect_egg(path, options: ConvertOptions = ConvertOptions()) -> EggFacts:
    """Read an egg completely. Raises ConversionFailed (one line) when it cannot be converted."""
    path = Path(path)
    try:
        archive, meta_dir = open_egg(path, options.limits)
    except (BrokenEgg, OSError) as exc:
        raise ConversionFailed(str(exc)) from None
    with archive:
        return _inspect(path, archive, meta_dir, options)


def _inspect(path: Path, archive: EggArchive, meta_dir: str, options: ConvertOptions) -> EggFacts:
    try:
        name = parse(path.name)
    except InvalidEggName as exc:
        raise ConversionFailed(str(exc)) from None
    try:
        info = read_egg_info(archive, meta_dir)
    except BrokenEgg as exc:
        raise ConversionFailed(str(exc)) from None
    if options.extra_requires:
        info = with_extra_requirements(info, options.extra_requires, options.extra_requires_source)
    found = list(info.problems)
    project, version = _identity(name, info, found)
    data_dir = f"{dist_info_name(project)}-{version}.data"
    dist_info_dir = f"{dist_info_name(project)}-{version}.dist-info"
    try:
        plan = make_plan(archive, info, data_dir, dist_info_dir)
        binaries = tuple(_analyse(archive, m) for m in plan.binaries)
    except BrokenEgg as exc:
        raise ConversionFailed(str(exc), tuple(found)) from None
    found += plan.problems
    tags = _tags(name, binaries, info, plan, options, found)
    return EggFacts(
        path=str(path), name=name, project=project, version=version, info=info,
        binaries=binaries, plan=plan, tags=tags, problems=tuple(found),
    )


def _tags(name: EggName, binaries: tuple[BinaryFacts, ...], info: EggInfo, plan: Plan, options: ConvertOptions,
          found: list[Problem]) -> Optional[WheelTags]:
    """The wheel's tags, their problems added to ``found``; None, with a T000 error, when no tag is correct."""
    classifiers = dict(info.metadata.multi).get("classifiers", ())
    try:
        tags = choose(name, binaries, classifiers, plan.sourceless, options.tags)
    except TagError as exc:
        found += exc.problems
        found.append(P.error("T000", str(exc)))
        return None
    found += tags.problems
    if options.python_tag and tags.is_pure and tags.python.startswith("py"):
        reasons = tuple((part, options.python_tag_why if part == "python" else why) for part, why in tags.reasons)
        tags = replace(tags, python=options.python_tag, reasons=reasons)
    return tags


def _identity(name: EggName, info: EggInfo, found: list[Problem]) -> tuple[str, str]:
    """(display project name, PEP 440 version): the file name wins, disagreements reported."""
    meta = info.metadata
    project = name.project.replace("_", "-")
    if name.written_project:
        found.append(P.warning("M011", f"project name {name.written_project!r} holds characters no wheel name can; "
                               f"written {name.project!r} as pkg_resources' safe_name did"))
    if meta.name:
        if canonicalize_name(meta.name) == canonicalize_name(project):
            project = meta.name
        else:
            found.append(P.warning("M008", f"PKG-INFO Name {meta.name!r} differs from the file name's {name.project!r}"))
    meta_version = None
    if meta.version:
        try:
            meta_version = pep440_version(meta.version)
        except InvalidVersion:
            found.append(P.warning("M009", f"PKG-INFO Version {meta.version!r} is not a version"))
    version = name.version or meta_version
    if version is None:
        raise ConversionFailed(f"{name.filename}: no version in the file name or PKG-INFO", tuple(found))
    if name.version and meta_version and meta_version != name.version:
        found.append(P.warning("M009", f"PKG-INFO Version {meta.version!r} differs from the file name's {name.version_raw!r}; file name used"))
    if name.version_raw and name.version_raw.replace("_", "-") != version and name.version_raw != version:
        found.append(P.info("V001", f"version {name.version_raw!r} written as {version!r} (PEP 440)"))
    return project, version


def _analyse(archive: EggArchive, member: Member) -> BinaryFacts:
    """Binary facts of one member; small files in memory, large ones spooled to disk."""
    if member.size <= 16 * 1024**2:  # a zipped egg keeps the checked bytes: the wheel copies them, not inflating again
        return analyse(io.BytesIO(archive.read(member, keep=True)), member.path)
    with tempfile.TemporaryFile() as tmp:
        with archive.open(member) as src:
            for chunk in iter(lambda: src.read(CHUNK), b""):
                tmp.write(chunk)
        tmp.seek(0)
        return analyse(tmp, member.path)


def convert_egg(path, out_dir, options: ConvertOptions = ConvertOptions(), sync: bool = True,
                aside: Optional[Path] = None) -> ConvertResult:
    """Convert one egg into a wheel in ``out_dir``; never raises for bad eggs.

    ``sync=False``: the wheel is not fsynced; for a temp folder whose wheels :func:`move_wheels`
    makes durable in one pass and renames into place. ``aside``: with ``sync=False``, the folder
    (made then) the wheel goes into when ``out_dir`` holds its name already, so that eggs converted
    side by side into one temp folder never write one path."""
    path = path if isinstance(path, Path) else Path(path)  # parsed once, however many times it is passed on
    try:
        archive, meta_dir = open_egg(path, options.limits)
    except (BrokenEgg, OSError) as exc:
        return _failed(path, str(exc))
    with archive:
        try:
            facts = _inspect(path, archive, meta_dir, options)
        except ConversionFailed as exc:
            return _failed(path, str(exc), exc.found)
        filename = facts.wheel_filename  # None without tags
        if filename is None or P.has_errors(facts.problems):
            return ConvertResult(str(path), None, facts.tags, facts.problems, facts)
        wheel_path = Path(out_dir, filename)
        try:
            wheel_path = write_wheel(archive, facts, wheel_path, sync, aside)
        except (BrokenEgg, CorruptMember, OSError) as exc:
            message = str(exc) if isinstance(exc, BrokenEgg) else f"{path.name}: {exc}"
            return ConvertResult(str(path), None, facts.tags, facts.problems + (P.error("C001", message),), facts)
    return ConvertResult(str(path), str(wheel_path), facts.tags, facts.problems, facts)


def move_wheels(results: list[ConvertResult], staging: Path, dest: Path) -> list[ConvertResult]:
    """Make the wheels ``convert_egg(..., sync=False)`` wrote in ``staging`` durable in one pass,
    rename them into ``dest`` and fsync ``dest`` once: the results, with the wheels' new paths."""
    staged = sorted({r.wheel for r in results if r.wheel is not None})
    sync_files(staged, staging)
    moved = {}
    for wheel in staged:
        moved[wheel] = str(dest / os.path.basename(wheel))  # the name without parsing the whole path
        os.replace(wheel, moved[wheel])
    if staged:
        fsync_dir(dest)
    return [replace(r, wheel=moved[r.wheel]) if r.wheel is not None else r for r in results]


def _failed(path: Path, message: str, found: tuple[Problem, ...] = ()) -> ConvertResult:
    message = message.replace(path.name, printable(path.name))  # never a control character on a terminal
    if not message.startswith(printable(path.name)):
        message = f"{printable(path.name)}: {message}"
    return ConvertResult(str(path), None, None, tuple(found) + (P.error("C000", message),))


def write_wheel(archive: EggArchive, facts: EggFacts, wheel_path: Path, sync: bool = True,
                aside: Optional[Path] = None) -> Path:
    """Stream the wheel to a temp file beside ``wheel_path``, fsync (unless told not to), rename;
    the path written.

    Unsynced into a name not taken yet (a staging folder): written under that name; when it
    is taken, under the same name in ``aside`` (see :func:`convert_egg`)."""
    tags = facts.tags
    assert tags is not None, "an egg without tags has no wheel (convert_egg writes none)"
    if not sync:
        if _write_fresh(archive, facts, tags, wheel_path):
            return wheel_path
        if aside is not None:
            aside.mkdir(exist_ok=True)
            wheel_path = aside / wheel_path.name
            if _write_fresh(archive, facts, tags, wheel_path):
                return wheel_path
    with atomic_writer(wheel_path, sync=sync) as fp:
        _write(archive, facts, tags, fp)
    return wheel_path


def _write_fresh(archive: EggArchive, facts: EggFacts, tags: WheelTags, wheel_path: Path) -> bool:
    """Write the wheel under ``wheel_path`` itself; False when that name is taken."""
    with fresh_writer(wheel_path) as fresh:
        if fresh is not None:
            _write(archive, facts, tags, fresh)
            return True
    return False


def _write(archive: EggArchive, facts: EggFacts, tags: WheelTags, fp: BinaryIO) -> None:
    zw = WheelZipWriter(fp)
    written = []
    for placement in facts.plan.placements:
        written.append(_copy(zw, archive, placement))
    if facts.plan.namespaces:
        pth = f"{dist_info_name(facts.project)}-{facts.version}-nspkg.pth"
        written.append(zw.add_bytes(pth, render_nspkg_pth(facts.plan.namespaces)))
    dist_info = facts.dist_info_dir
    generated = {
        f"{dist_info}/METADATA": render_metadata(facts.info, facts.project, facts.version),
        f"{dist_info}/WHEEL": render_wheel(tags),
    }
    copied = {p.arcname: p for p in facts.plan.dist_info}
    for arcname in sorted(set(generated) | set(copied)):
        if arcname in generated:
            written.append(zw.add_bytes(arcname, generated[arcname]))
        else:
            written.append(_copy(zw, archive, copied[arcname]))
    record = f"{dist_info}/RECORD"
    zw.add_bytes(record, render_record(written, record))
    zw.close()


def _copy(zw: WheelZipWriter, archive: EggArchive, placement: Placement) -> Written:
    member = placement.member
    mode = 0o755 if placement.executable else 0o644
    if placement.rewritten:
        return zw.add_bytes(placement.arcname, placement.rewrite(archive.read(member)), mode)
    checked = archive.checked(member)
    if checked is not None:
        return zw.add_checked(placement.arcname, checked.raw, member.method, member.crc, member.size,
                              checked.sha256, mode)
    stored = archive.stored(member)
    if stored is not None:
        return zw.add_raw(placement.arcname, stored, member.method, member.crc, member.compressed_size,
                          member.size, mode)
    raw = archive.raw_chunks(member)
    if raw is not None:
        return zw.add_raw(placement.arcname, raw, member.method, member.crc, member.compressed_size, member.size, mode)
    with archive.open(member) as src:
        return zw.add_chunks(placement.arcname, iter(lambda: src.read(CHUNK), b""), mode)
