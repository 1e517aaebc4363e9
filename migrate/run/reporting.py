"""The run's ``manifest.json``, ``report.txt`` and ``report.html``: the records as data and for people.

Both are rewritten only when their bytes change, so a re-run that redoes nothing
leaves them untouched (times and work counts are never written into them).
"""
from __future__ import annotations

from migrate.errors import printable
from migrate.fsutil import write_chunks_if_changed
from migrate.mirror import index_url
from migrate.run import manifest
from migrate.run.htmlreport import html_chunks
from migrate.run.stage import RunContext
from migrate.run.textreport import report_chunks


def write_run_manifest(ctx: RunContext) -> None:
    write_chunks_if_changed(ctx.out / "manifest.json", manifest.manifest_chunks(ctx.report.records))


def write_run_report(ctx: RunContext) -> None:
    """report.txt: manifest's summary plus what this run adds (pins target, run errors); report.html beside it."""
    report = ctx.report
    chunks = report_chunks(report.records, mirror=str(report.mirror),
                           requirements=str(report.pins_file) if report.pins_file else None,
                           index_url=index_url(report.mirror), extra=_run_sections(ctx))
    write_chunks_if_changed(ctx.out / "report.txt", (printable(c, lines=True) for c in chunks))  # names may hold ESC
    write_chunks_if_changed(ctx.out / "report.html", html_chunks(report.records, ctx.out, mirror=report.mirror,
                                                                 requirements=report.pins_file))


def _run_sections(ctx: RunContext) -> str:
    """Deterministic lines only (no times, no work counts): report.txt must not change on a re-run."""
    report, lines = ctx.report, []
    if report.errors:
        lines.append("Run errors")
        lines += [f"  {e}" for e in report.errors]
        lines.append("")
    if report.gone:
        lines.append("Gone from the source (their wheels left the mirror)")
        lines += [f"  {name}" for name in report.gone]
        lines.append("")
    if report.pins_file or report.pins_error:
        lines.append("Pins")
        if report.pins_file:
            lines.append(f"  {report.pins_file}: {report.pins_count} projects hash-pinned for {report.target}")
        else:
            lines.append(f"  FAILED (no requirements.txt written): {report.pins_error}")
        if report.other_targets:
            lines.append(f"  The mirror also has binary wheels for Python {', '.join(report.other_targets)}; "
                         "pin for one with:")
            lines.append(f"    egg-migrate run ... -o {ctx.out} --target-python {report.other_targets[-1]}")
        lines.append("")
    return "\n".join(lines) + "\n" if lines else ""
