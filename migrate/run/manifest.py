"""``manifest.json`` (one record per egg, schema 1) and ``report.txt`` (the same, for people).

A record says where the egg came from (path/URL, sha256, size), what it is
(project, PEP 440 version and the egg's own version string), what became of
it (``converted`` / ``skipped`` / ``failed`` with a reason), the wheel
(file name, sha256, size, tags and the reason for each tag part), what it
needs (Requires-Dist, extras, entry points, external libraries) and the
checks' verdict. Keys are written in a fixed, documented order
(docs/manifest.rst); records are sorted by egg path; the file is written to
a temp name, fsynced and renamed. Built on :func:`migrate.report.result_record`.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from migrate import __version__
from migrate import problems as P
from migrate.fsutil import file_sha256, write_atomic
from migrate.run.report import result_record

SCHEMA = 1
CONVERTED, SKIPPED, FAILED = "converted", "skipped", "failed"


@dataclass(frozen=True)
class Source:
    """Where an egg came from, as fetched."""

    path: str
    url: Optional[str] = None
    sha256: Optional[str] = None
    size: Optional[int] = None
    selected: Optional[str] = None  # why fetch chose this file, when not simply by its name


def source_of(path, url: Optional[str] = None) -> Source:
    """Hash an egg file (a folder egg gets its total size and no sha256)."""
    path = Path(path)
    if path.is_dir():
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        return Source(str(path), url, None, size)
    try:
        return Source(str(path), url, file_sha256(path), path.stat().st_size)
    except OSError:
        return Source(str(path), url, None, None)


def egg_record(result, source: Optional[Source] = None, checks=None) -> dict:
    """The manifest record of one ``ConvertResult``; ``checks`` is a ``CheckResult`` or problems."""
    raw = result_record(result)
    source = source or source_of(result.egg)
    status = CONVERTED if result.ok else FAILED
    check_record = _checks(checks)
    if status == CONVERTED and check_record["status"] == "errors":
        status = FAILED
        reason = "wheel failed its checks: " + next(p["message"] for p in check_record["problems"] if p["severity"] == P.ERROR)
    else:
        reason = raw.get("reason")
    tags = raw.get("tags") or {}
    wheel = None
    if result.ok:
        wheel = {"filename": Path(result.wheel).name, "path": result.wheel, "sha256": file_sha256(result.wheel),
                 "size": os.stat(result.wheel).st_size,
                 "tags": {k: tags.get(k) for k in ("tag", "python", "abi", "platform", "reasons")}}
    name = raw.get("file_name") or {}
    return {
        "egg": str(result.egg),
        "source": source_record(source),
        "status": status,
        "reason": reason,
        "project": raw.get("project"),
        "version": raw.get("version"),
        "egg_version": name.get("version"),
        "egg_python": name.get("pyver"),
        "egg_platform": name.get("platform"),
        "wheel": wheel,
        "wheel_path": result.wheel,
        "requires_dist": raw.get("requires_dist", []),
        "extras": raw.get("extras", []),
        "entry_points": parse_entry_points(raw.get("entry_points")),
        "scripts": raw.get("scripts", []),
        "namespace_packages": raw.get("namespace_packages", []),
        "external_libraries": list(tags.get("external_libraries") or []),
        "checks": check_record,
        "problems": raw.get("problems", []),
        "binaries": raw.get("binaries", []),
        "dropped": raw.get("dropped", []),
    }


def skipped_record(egg, reason: str, source: Optional[Source] = None) -> dict:
    """An egg left out on purpose (not for this target, ``no_auto``, a duplicate...)."""
    return _empty(egg, SKIPPED, reason, source)


def failed_record(egg, reason: str, source: Optional[Source] = None) -> dict:
    """An egg that never reached the converter (download failed, bad checksum...)."""
    return _empty(egg, FAILED, reason, source)


def _empty(egg, status: str, reason: str, source: Optional[Source]) -> dict:
    source = source or Source(str(egg))
    return {
        "egg": str(egg), "source": source_record(source), "status": status, "reason": reason,
        "project": None, "version": None, "egg_version": None, "egg_python": None, "egg_platform": None,
        "wheel": None, "wheel_path": None, "requires_dist": [], "extras": [], "entry_points": {}, "scripts": [],
        "namespace_packages": [], "external_libraries": [], "checks": _checks(None), "problems": [],
        "binaries": [], "dropped": [],
    }


def source_record(source: Source) -> dict:
    """The manifest's ``source`` object (also rebuilt for a cached record: the path may differ)."""
    return {"path": source.path, "url": source.url, "sha256": source.sha256, "size": source.size,
            "selected": source.selected}


def _checks(checks) -> dict:
    if checks is None:
        return {"status": "not run", "problems": []}
    found = list(getattr(checks, "problems", checks))
    errors = any(p.severity == P.ERROR for p in found)
    warnings = any(p.severity == P.WARNING for p in found)
    status = "errors" if errors else "warnings" if warnings else "ok"
    return {"status": status, "problems": [p.as_dict() for p in found]}


def parse_entry_points(text) -> dict:
    """``entry_points.txt`` -> {group: {name: "module:attr [extras]"}}, sorted."""
    if isinstance(text, dict):
        return text
    groups, group = {}, None
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


def counts(records: list) -> dict:
    found = {CONVERTED: 0, SKIPPED: 0, FAILED: 0}
    for r in records:
        found[r["status"]] = found.get(r["status"], 0) + 1
    return {"eggs": len(records), **found}


def manifest(records: Iterable[dict]) -> dict:
    records = sorted(records, key=lambda r: (r["source"]["path"] or "", r["egg"]))
    return {"schema": SCHEMA, "generator": f"egg-migrate {__version__}", "counts": counts(records), "eggs": records}


def write_manifest(records: Iterable[dict], path) -> dict:
    """Write manifest.json atomically; returns what was written."""
    data = manifest(records)
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return data


def read_manifest(path) -> dict:
    data = json.loads(Path(path).read_text("utf-8"))
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ValueError(f"{path}: not an egg-migrate manifest (schema {SCHEMA})")
    return data


def render_report(records: Iterable[dict], mirror: Optional[str] = None, requirements: Optional[str] = None,
                  index_url: Optional[str] = None) -> str:
    """The human view: counts, each failure and skip with its reason, what the deployment needs, next steps."""
    records = sorted(records, key=lambda r: (r["source"]["path"] or "", r["egg"]))
    c = counts(records)
    lines = ["egg-migrate report", "==================", "",
             f"eggs: {c['eggs']}   converted: {c[CONVERTED]}   skipped: {c[SKIPPED]}   failed: {c[FAILED]}", ""]
    converted = [r for r in records if r["status"] == CONVERTED]
    if converted:
        lines.append("Converted")
        for r in converted:
            warn = sum(1 for p in r["problems"] + r["checks"]["problems"] if p["severity"] == P.WARNING)
            note = f"   ({warn} warning{'s' if warn != 1 else ''})" if warn else ""
            lines.append(f"  {Path(r['egg']).name} -> {r['wheel']['filename']}{note}")
        lines.append("")
    for status, title in ((FAILED, "Failed"), (SKIPPED, "Skipped")):
        group = [r for r in records if r["status"] == status]
        if group:
            lines.append(title)
            lines += [f"  {Path(r['egg']).name}: {r['reason'] or 'no reason recorded'}" for r in group]
            lines.append("")
    renamed = sorted({(r["project"], r["egg_version"], r["version"]) for r in converted
                      if r["egg_version"] and r["version"] and r["egg_version"] != r["version"]
                      and r["egg_version"].replace("_", "-") != r["version"]})  # once, not once per egg
    if renamed:
        lines.append("Versions rewritten for PEP 440 (pin these)")
        lines += [f"  {project}: {egg_version} -> {version}" for project, egg_version, version in renamed]
        lines.append("")
    needs = sorted({lib for r in converted for lib in r["external_libraries"]})
    if needs:
        lines.append("Libraries the deployment must provide (not bundled, not part of manylinux)")
        for lib in needs:
            users = sorted({r["project"] for r in converted if lib in r["external_libraries"]})
            lines.append(f"  {lib}   (needed by {', '.join(users)})")
        lines.append("")
    lines.append("Next steps")
    step = 1
    if c[FAILED]:
        lines.append(f"  {step}. Fix or drop the failed eggs above (each line says why), then run again.")
        step += 1
    if mirror:
        url = index_url or Path(os.path.abspath(mirror), "simple").as_uri() + "/"
        lines.append(f"  {step}. Serve {mirror} (any static web server) or use it as {url}")
        step += 1
    if requirements:
        lines.append(f"  {step}. Install: pip install --require-hashes --no-deps -r {requirements} "
                     f"--index-url {index_url or '<mirror>/simple/'}")
    else:
        lines.append(f"  {step}. Pin: egg-migrate pin -r requirements.in --mirror <mirror> --python <target> -o requirements.txt")
    return "\n".join(lines) + "\n"


def write_report(records: Iterable[dict], path, **context) -> None:
    write_atomic(path, render_report(records, **context))


def _write_atomic(path, text: str) -> None:
    """Kept for callers outside this module (pipeline, galaxy); use :func:`migrate.fsutil.write_atomic`."""
    write_atomic(path, text)
