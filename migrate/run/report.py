"""Results as plain data (manifest.json, ``--json``) and as lines for people."""
from __future__ import annotations

from typing import Any, Optional

from migrate.binaries import BinaryFacts
from migrate.eggs import RULES, EggInfo
from migrate.wheels import ConvertResult, EggFacts, WheelTags


def tags_record(tags: Optional[WheelTags]) -> Optional[dict[str, Any]]:
    if tags is None:
        return None
    return {
        "tag": str(tags),
        "python": tags.python,
        "abi": tags.abi,
        "platform": tags.platform,
        "reasons": dict(tags.reasons),
        "external_libraries": list(tags.external_libs),
        "repairable": tags.repairable,
    }


def binary_record(b: BinaryFacts) -> dict[str, Any]:
    return {
        "path": b.path,
        "format": b.format,
        "arch": b.arch,
        "extension": b.is_extension,
        "python": b.python_major,
        "ucs": b.ucs,
        "suffix_abi": b.suffix_abi,
        "needed": list(b.needed),
        "rpath": list(b.rpath),
        "symbol_versions": sorted({v for _, v in b.versioned}),
        "comment": list(b.comment),
        "macos_min": b.macos_min,
        "soname": b.soname,
        "pyfpe": b.pyfpe,
        "isa": b.isa,
        "libc": b.libc,
        "suffix_arch": b.suffix_arch,
        "problem": b.problem,
    }


def facts_record(facts: EggFacts) -> dict[str, Any]:
    name = facts.name
    info = facts.info
    return {
        "egg": facts.path,
        "file_name": {
            "project": name.project,
            "version": name.version_raw,
            "version_rule": name.version_rule,
            "pyver": name.pyver,
            "platform": name.platform,
            "ucs": name.ucs,
        },
        "project": facts.project,
        "version": facts.version,
        "wheel": facts.wheel_filename,
        "tags": tags_record(facts.tags),
        "requires_dist": list(info.requires_dist),
        "extras": list(info.provides_extra),
        "entry_points": info.entry_points,
        "scripts": [s.rsplit("/", 1)[-1] for s in info.scripts],
        "namespace_packages": list(info.namespace_packages),
        "top_level": list(info.top_level),
        "binaries": [binary_record(b) for b in facts.binaries],
        "dropped": [{"path": p, "reason": r} for p, r in facts.plan.dropped],
        "problems": [p.as_dict() for p in facts.problems],
    }


def result_record(result: ConvertResult) -> dict[str, Any]:
    record: dict[str, Any] = (facts_record(result.facts) if result.facts
                              else {"egg": result.egg, "tags": tags_record(result.tags)})
    record["status"] = "converted" if result.ok else "failed"
    record["wheel_path"] = result.wheel
    record["reason"] = result.reason or None
    record["problems"] = [p.as_dict() for p in result.problems]
    return record


def describe(facts: EggFacts) -> str:
    """The human view of ``inspect``: what was read and why each tag was chosen."""
    name, info = facts.name, facts.info
    said = ", ".join(x for x in (name.project, name.version_raw, name.pyver and f"py{name.pyver}", name.platform, name.ucs) if x)
    lines = [name.filename, f"  project    {facts.project} {facts.version}   (file name: {said})"]
    if name.version_rule and name.version_raw != facts.version:
        lines.append(f"  version    {name.version_raw} -> {facts.version}   ({RULES[name.version_rule]})")
    lines += _tag_lines(facts)
    lines += [f"  binary     {b.path}: {', '.join(_binary_bits(b))}" for b in facts.binaries]
    lines += _metadata_lines(info)
    for path, reason in facts.plan.dropped:
        if not path.startswith(info.meta_dir + "/"):
            lines.append(f"  dropped    {path} ({reason})")
    for p in facts.problems:
        lines.append(f"  {p.severity:<10} {p.code} {p.message}")
    return "\n".join(lines)


def _tag_lines(facts: EggFacts) -> list[str]:
    """The wheel's name, each part of its tag with the reason, and the libraries it needs."""
    tags = facts.tags
    if not tags:
        return ["  wheel      (none: see problems)"]
    lines = [f"  wheel      {facts.wheel_filename}"]
    for part in ("python", "abi", "platform"):
        lines.append(f"  {part:<10} {getattr(tags, part):<14} {tags.reason(part)}")
    if tags.external_libs:
        lines.append(f"  needs      {', '.join(tags.external_libs)} (must be on the target system)")
    return lines


def _binary_bits(b: BinaryFacts) -> list[str]:
    """What one binary says of itself: format, arch, Python, UCS, needed libraries, symbol versions."""
    bits = [b.format.upper(), b.arch or "?"]
    if b.python_major:
        bits.append(f"py{b.python_major} extension")
    if b.ucs:
        bits.append(b.ucs.upper())
    if b.pyfpe:
        bits.append("PyFPE")
    if b.isa:
        bits.append(b.isa)
    if b.needed:
        bits.append("needs " + " ".join(b.needed))
    versions = sorted({v for _, v in b.versioned})
    if versions:
        bits.append(" ".join(versions))
    if b.problem:
        bits.append(f"PROBLEM: {b.problem}")
    return bits


def _metadata_lines(info: EggInfo) -> list[str]:
    """Requirements, scripts, entry point groups and namespace packages from EGG-INFO."""
    lines = [f"  requires   {req}" for req in info.requires_dist]
    if info.scripts:
        lines.append("  scripts    " + " ".join(s.rsplit("/", 1)[-1] for s in info.scripts))
    if info.entry_points:
        groups = [line.strip("[]") for line in info.entry_points.splitlines() if line.startswith("[")]
        lines.append("  entry pts  " + " ".join(groups))
    if info.namespace_packages:
        lines.append("  namespace  " + " ".join(info.namespace_packages))
    return lines
