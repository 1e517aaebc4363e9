"""Acceptance harness: convert eggs their projects uploaded to PyPI and judge every wheel.

Reads scripts/real-eggs.json (each egg pinned by sha256, with the tags a correct wheel has,
written from reading the egg's binaries), downloads the eggs into a cache, runs
``egg-migrate convert --json`` on all of them at once (as a user would), compares each wheel's
name, version and tags with the expectation, then installs each wheel that an interpreter on
this machine accepts into a fresh venv with stock pip and imports its modules (eggs of one
``group``, such as the Paste namespace trio, go into one venv together). One line per egg, then
``N passed, M failed``; exit status 0 only when every egg passed. Run by scripts/real-eggs;
needs the network until the cache is full, so it is not part of scripts/test.
"""
from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import requests
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version
from real_eggs_install import install_all  # scripts/ is sys.path[0] when this file runs

LIST = Path(__file__).resolve().parent / "real-eggs.json"
CACHE = Path.home() / ".cache" / "egg-migrate" / "real-eggs"
PARTS = ("python", "abi", "platform")

@dataclass(frozen=True)
class Egg:
    """One entry of the list: where the egg is and what a correct wheel looks like."""

    file: str
    project: str
    url: str
    sha256: str
    cls: str
    expect: dict[str, Any]  # per tag part the allowed patterns; "version", "scripts", "refuse"
    evidence: str = ""
    group: Optional[str] = None
    imports: Optional[tuple[str, ...]] = None  # None: what the wheel's top_level.txt and namespaces name


@dataclass
class Outcome:
    """What happened to one egg; it passed when ``problems`` stays empty."""

    egg: Egg
    wheel_path: Optional[str] = None
    problems: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def wheel(self) -> Optional[str]:
        return Path(self.wheel_path).name if self.wheel_path else None


def load(path: Path) -> list[Egg]:
    eggs = []
    for item in json.loads(Path(path).read_text(encoding="utf-8"))["eggs"]:
        eggs.append(Egg(file=item["file"], project=item["project"], url=item["url"], sha256=item["sha256"],
                        cls=item["class"], expect=item["expect"], evidence=item.get("evidence", ""),
                        group=item.get("group"), imports=_tuple(item.get("imports"))))
    return eggs


def _tuple(value: Optional[list[str]]) -> Optional[tuple[str, ...]]:
    return None if value is None else tuple(value)


def selected(eggs: list[Egg], only: list[str]) -> list[Egg]:
    """``--only``: eggs whose file name contains one of the words, or whose project or class is one."""
    if not only:
        return eggs
    words = [w.lower() for w in only]
    return [e for e in eggs if any(w in e.file.lower() or w in (e.project.lower(), e.cls) for w in words)]


def fetch(egg: Egg, cache: Path) -> Path:
    """The egg in the cache, downloaded when missing or when its sha256 differs; raises OSError."""
    path = cache / egg.file
    if path.is_file() and _sha256(path) == egg.sha256:
        return path
    cache.mkdir(parents=True, exist_ok=True)
    tmp = cache / f".{egg.file}.part"
    try:
        with requests.get(egg.url, stream=True, timeout=120) as response:
            response.raise_for_status()
            with open(tmp, "wb") as out:
                for chunk in response.iter_content(1 << 16):
                    out.write(chunk)
    except requests.RequestException as exc:
        raise OSError(f"download failed: {exc}") from None
    got = _sha256(tmp)
    if got != egg.sha256:
        tmp.unlink()
        raise OSError(f"sha256 {got} differs from the pinned {egg.sha256}")
    os.replace(tmp, path)
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def convert(paths: list[Path], dest: Path, jobs: int) -> dict[str, dict[str, Any]]:
    """{egg file name: its --json record}, from one ``egg-migrate convert`` run over all eggs."""
    cmd = [sys.executable, "-m", "migrate", "convert", "--json", "-j", str(jobs), "-d", str(dest), *map(str, paths)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    try:
        records = json.loads(result.stdout)
    except ValueError:
        tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"egg-migrate convert gave no JSON (exit {result.returncode}): {tail}") from None
    return {Path(r["egg"]).name: r for r in records}


def judge(egg: Egg, record: Optional[dict[str, Any]]) -> Outcome:
    """Compare one convert record with the egg's expectation."""
    out = Outcome(egg)
    if record is None:
        out.problems.append("egg-migrate convert said nothing about it")
        return out
    wheel_path = str(record.get("wheel_path") or "") if record.get("status") == "converted" else ""
    converted = bool(wheel_path)
    out.wheel_path = wheel_path or None
    refuse = egg.expect.get("refuse")
    if refuse is not None:
        if converted:
            out.problems.append(f"converted to {out.wheel}, expected a refusal matching {refuse!r}")
        elif not re.search(refuse, record.get("reason") or ""):
            out.problems.append(f"refused, but not for {refuse!r}: {record.get('reason')}")
        return out
    if not converted:
        out.problems.append(f"refused: {record.get('reason')}")
        return out
    out.problems.extend(check_name(egg, Path(wheel_path).name))
    out.problems.extend(check_scripts(egg, wheel_path))
    return out


def check_name(egg: Egg, wheel: str) -> list[str]:
    """Problems with a wheel's file name: project, version, and each tag part against the expectation."""
    try:
        name, version, _build, tags = parse_wheel_filename(wheel)
    except InvalidWheelFilename as exc:
        return [f"invalid wheel name {wheel}: {exc}"]
    problems = []
    if canonicalize_name(name) != canonicalize_name(egg.project):
        problems.append(f"project {name}, expected {egg.project}")
    for part in PARTS:
        found = {getattr(t, "interpreter" if part == "python" else part) for t in tags}
        if not tag_set_ok(found, egg.expect[part]):
            problems.append(f"{part} {'.'.join(sorted(found))} not in {' | '.join(egg.expect[part])}")
    wanted = egg.expect.get("version")
    if wanted and not any(_same_version(str(version), v) for v in wanted):
        problems.append(f"version {version}, expected {' | '.join(wanted)}")
    return problems


def check_scripts(egg: Egg, wheel_path: str) -> list[str]:
    """The egg's scripts must be in the wheel's ``.data/scripts/``, where installers put them on PATH."""
    wanted = egg.expect.get("scripts")
    if not wanted:
        return []
    try:
        with zipfile.ZipFile(wheel_path) as zf:
            have = {n.rsplit("/", 1)[-1] for n in zf.namelist() if n.split("/")[1:2] == ["scripts"]
                    and n.split("/", 1)[0].endswith(".data")}
    except (OSError, zipfile.BadZipFile) as exc:
        return [f"cannot read {Path(wheel_path).name}: {exc}"]
    missing = sorted(set(wanted) - have)
    return [f"scripts missing from .data/scripts: {', '.join(missing)}"] if missing else []


def tag_set_ok(found: set[str], allowed: list[str]) -> bool:
    """Every tag found matches a single allowed pattern, or the set is one allowed compound (``py2.py3``)."""
    singles = [p.lower() for p in allowed if "." not in p]
    compounds = [set(p.lower().split(".")) for p in allowed if "." in p]
    if found in compounds:
        return True
    return bool(found) and all(any(fnmatch.fnmatchcase(t.lower(), p) for p in singles) for t in found)


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def collisions(outcomes: list[Outcome]) -> None:
    """Two eggs giving one wheel file fail, unless both expect that very compound python tag (identical code)."""
    by_wheel = defaultdict(list)
    for o in outcomes:
        if o.wheel:
            by_wheel[o.wheel].append(o)
    for wheel, same in by_wheel.items():
        if len(same) < 2:
            continue
        python = ".".join(sorted({t.interpreter for t in parse_wheel_filename(wheel)[3]}))
        if "." in python and all(python in o.egg.expect["python"] for o in same):
            continue
        for o in same:
            others = ", ".join(x.egg.file for x in same if x is not o)
            o.problems.append(f"{wheel} is also the wheel of {others}")


def expected(egg: Egg) -> str:
    if "refuse" in egg.expect:
        return f"refusal ({egg.expect['refuse']})"
    return "-".join("|".join(egg.expect[p]) for p in PARTS)


def report(outcomes: list[Outcome]) -> int:
    """One line per egg, the failures by class, then the closing count; returns the number failed."""
    for o in outcomes:
        if o.problems:
            print(f"FAIL  {o.egg.file} [{o.egg.cls}] expected {expected(o.egg)}, got {o.wheel or 'no wheel'}: "
                  + "; ".join(o.problems))
        else:
            print(f"PASS  {o.egg.file} -> {o.wheel or 'refused'}" + (f" ({o.note})" if o.note else ""))
    failed = [o for o in outcomes if o.problems]
    by_class = defaultdict(list)
    for o in failed:
        by_class[o.egg.cls].append(o.egg.file)
    if by_class:
        print("\nFailures by class:")
        for cls in sorted(by_class):
            print(f"  {cls} ({len(by_class[cls])}): {', '.join(by_class[cls])}")
    print(f"\n{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    return len(failed)


def run(args) -> int:
    eggs = selected(load(args.list), args.only)
    if not eggs:
        print(f"real-eggs: no egg in {args.list} matches {' '.join(args.only)}", file=sys.stderr)
        return 2
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="real-eggs-"))
    (work / "wheels").mkdir(parents=True, exist_ok=True)
    (work / "venvs").mkdir(exist_ok=True)
    try:
        outcomes, paths = {}, []
        for egg in eggs:
            try:
                paths.append(fetch(egg, Path(args.cache)))
            except OSError as exc:
                outcomes[egg.file] = Outcome(egg, problems=[str(exc)])
        records = convert(paths, work / "wheels", args.jobs) if paths else {}
        for egg in eggs:
            outcomes.setdefault(egg.file, judge(egg, records.get(egg.file)))
        ordered = [outcomes[e.file] for e in eggs]
        collisions(ordered)
        if not args.no_install:
            install_all(ordered, work / "venvs")
        return 1 if report(ordered) else 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="scripts/real-eggs", description=__doc__.split("\n\n")[0])
    p.add_argument("--only", action="append", default=[], metavar="NAME",
                   help="only eggs whose file name contains NAME, or of project or class NAME (repeatable)")
    p.add_argument("--keep", metavar="DIR", help="work in DIR and keep the wheels and venvs there")
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                   help="eggs converted in parallel (default: %(default)s)")
    p.add_argument("--cache", default=str(CACHE), metavar="DIR",
                   help="where eggs are downloaded (default: %(default)s)")
    p.add_argument("--list", type=Path, default=LIST, metavar="FILE",
                   help="the egg list (default: scripts/real-eggs.json)")
    p.add_argument("--no-install", action="store_true", help="judge the tags only; install and import nothing")
    args = p.parse_args(argv)
    try:
        return run(args)
    except RuntimeError as exc:
        print(f"real-eggs: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
