"""``report.txt``: the records for people. Counts, each egg's outcome (failures and skips with their
reason), what the deployment needs, the next steps.

Made in pieces (:func:`report_chunks`), like report.html: the counts come first but are known only
at the end of the records, so one walk puts each outcome's lines in a temp file of its own and
tallies the rest; then the files are copied out after the counts. A run's 16,000 lines made as one
string, copied to insert the run's own sections, escaped and encoded, took ~6 MB at the run's end.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO, Iterable, Iterator, Optional

from migrate import problems as P
from migrate.disklog import DiskLog
from migrate.fsutil import write_chunks
from migrate.records import CONVERTED, FAILED, SKIPPED, EggRecord
from migrate.run.recordlog import in_order

__all__ = ["render_report", "report_chunks", "write_report"]

_TITLES = ((CONVERTED, "Converted"), (FAILED, "Failed"), (SKIPPED, "Skipped"))
_BLOCK = 1 << 14  # characters copied out of a group's temp file at a time


def report_chunks(records: Iterable[EggRecord], mirror: Optional[str] = None, requirements: Optional[str] = None,
                  index_url: Optional[str] = None, extra: str = "") -> Iterator[str]:
    """report.txt's text in pieces; ``extra`` (whole lines) goes before the next steps.

    One walk over the records (a run's are on disk): neither the records nor their lines are held."""
    folder = records.folder if isinstance(records, DiskLog) else None
    groups = {status: _Lines(folder) for status, _ in _TITLES}
    try:
        needs, total = _Needs(), 0
        for r in in_order(records):
            total += 1
            if r.status in groups:
                groups[r.status].add(_report_line(r))
            if r.status == CONVERTED:
                needs.add(r)
        yield _lines("egg-migrate report", "==================", "",
                     f"eggs: {total}   converted: {groups[CONVERTED].count}   skipped: {groups[SKIPPED].count}   "
                     f"failed: {groups[FAILED].count}", "")
        for status, title in _TITLES:
            if groups[status].count:
                yield title + "\n"
                yield from groups[status].chunks()
                yield "\n"
        yield _lines(*needs.sections())
        yield extra
        yield _lines(*_next_steps(groups[FAILED].count, mirror, requirements, index_url))
    finally:
        for lines in groups.values():
            lines.close()


def render_report(records: Iterable[EggRecord], mirror: Optional[str] = None, requirements: Optional[str] = None,
                  index_url: Optional[str] = None) -> str:
    """The whole of report.txt as one string (for a few records; a run writes :func:`report_chunks`)."""
    return "".join(report_chunks(records, mirror, requirements, index_url))


def write_report(records: Iterable[EggRecord], path, **context) -> None:
    write_chunks(path, report_chunks(records, **context))


def _lines(*lines: str) -> str:
    return "".join(line + "\n" for line in lines)


class _Lines:
    """One outcome's report lines, kept in an unnamed temp file until they are copied out."""

    def __init__(self, folder: Optional[Path]) -> None:
        self.folder = folder
        self.count = 0
        self._file: Optional[IO[str]] = None

    def add(self, line: str) -> None:
        if self._file is None:  # a lone surrogate (an undecodable file name) goes through as it is
            self._file = tempfile.TemporaryFile("w+", encoding="utf-8", errors="surrogatepass", newline="",
                                                dir=self.folder)
        self._file.write(line + "\n")
        self.count += 1

    def chunks(self) -> Iterator[str]:
        file = self._file
        if file is None:
            return
        file.seek(0)
        while True:
            block = file.read(_BLOCK)
            if not block:
                return
            yield block

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _report_line(r: EggRecord) -> str:
    """An egg's line, its name by ``os.path``: a ``Path`` interns each part, and the interpreter's
    table of interned strings grows with the names it has seen."""
    if r.status != CONVERTED:
        return f"  {os.path.basename(r.egg)}: {r.reason or 'no reason recorded'}"
    assert r.wheel is not None  # a converted egg has its wheel
    warn = sum(1 for p in r.problems + r.checks.problems if p.severity == P.WARNING)
    note = f"   ({warn} warning{'s' if warn != 1 else ''})" if warn else ""
    return f"  {os.path.basename(r.egg)} -> {r.wheel.filename}{note}"


class _Needs:
    """What the deployment needs, gathered one converted record at a time: versions the pins must
    spell the PEP 440 way, and libraries the hosts must provide (with the projects needing each)."""

    def __init__(self) -> None:
        self.renamed: set[tuple[Optional[str], str, str]] = set()  # once, not once per egg
        self.users: dict[str, set[str]] = {}

    def add(self, r: EggRecord) -> None:
        if r.egg_version and r.version and r.egg_version != r.version and r.egg_version.replace("_", "-") != r.version:
            self.renamed.add((r.project, r.egg_version, r.version))
        for lib in r.external_libraries:
            users = self.users.setdefault(lib, set())
            if r.project:
                users.add(r.project)

    def sections(self) -> list[str]:
        lines = []
        if self.renamed:
            lines.append("Versions rewritten for PEP 440 (pin these)")
            lines += [f"  {project}: {egg_version} -> {version}" for project, egg_version, version in sorted(self.renamed)]
            lines.append("")
        if self.users:
            lines.append("Libraries the deployment must provide (not bundled, not part of manylinux)")
            lines += [f"  {lib}   (needed by {', '.join(sorted(users))})" for lib, users in sorted(self.users.items())]
            lines.append("")
        return lines


def _next_steps(failed: int, mirror: Optional[str], requirements: Optional[str],
                index_url: Optional[str]) -> list[str]:
    lines = ["Next steps"]
    step = 1
    if failed:
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
        lines.append(f"  {step}. Pin: egg-migrate pin -r requirements.in --mirror <mirror> --target-python <target> -o requirements.txt")
    return lines
