"""``report.html``: the run's records as one page to look at, beside report.txt.

One self-contained static file: no network, no framework; the charts are inline SVG and
the table sorts and filters with a few lines of plain JavaScript (the page reads fine
without it; ``report.html#status=failed&q=lxml`` opens it filtered). Every text from an egg or a server is escaped. Like report.txt it holds no
times, so the same records always give the same bytes.
"""
from __future__ import annotations

import html
import os
from collections import Counter
from pathlib import Path
from typing import Iterable, Iterator, Optional, Sequence

from packaging.utils import canonicalize_name

from migrate import problems as P
from migrate.records import CONVERTED, FAILED, SKIPPED, EggRecord
from migrate.run.recordlog import in_order

_COLOURS = {CONVERTED: "#2e7d32", SKIPPED: "#9e9e9e", FAILED: "#c62828"}

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.5em}
.counts span{display:inline-block;margin-right:1.5em;font-size:1.1em}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:4px 6px;
text-align:left;vertical-align:top}th{cursor:pointer;background:#f4f4f4;position:sticky;top:0}
td.converted{color:#2e7d32}td.failed{color:#c62828}td.skipped{color:#757575}
.why{color:#555;font-size:.9em}code{font-size:.95em}.charts svg{margin-right:2em;vertical-align:top}
"""

_SCRIPT = """
(function(){
var table=document.getElementById('eggs'),body=table.tBodies[0];
var rows=Array.prototype.slice.call(body.rows);
var text=document.getElementById('filter'),status=document.getElementById('status');
function show(){var q=text.value.toLowerCase(),s=status.value;
rows.forEach(function(r){var ok=(!s||r.dataset.status===s)&&
(!q||r.textContent.toLowerCase().indexOf(q)>=0);r.style.display=ok?'':'none';});}
var want=new URLSearchParams(location.hash.slice(1));
text.value=want.get('q')||'';status.value=want.get('status')||'';show();
text.addEventListener('input',show);status.addEventListener('change',show);
Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){
th.addEventListener('click',function(){var up=th.dataset.dir!=='asc';th.dataset.dir=up?'asc':'desc';
rows.sort(function(a,b){var x=a.cells[i].textContent,y=b.cells[i].textContent;
return (x<y?-1:x>y?1:0)*(up?1:-1);});rows.forEach(function(r){body.appendChild(r);});});});
})();
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def render_html(records: Sequence[EggRecord], out: Path, mirror: Optional[Path] = None,
                requirements: Optional[Path] = None) -> str:
    """The page for ``records``; links into ``mirror`` and to ``requirements`` are relative to ``out``."""
    return "".join(html_chunks(records, out, mirror, requirements))


def html_chunks(records: Sequence[EggRecord], out: Path, mirror: Optional[Path] = None,
                requirements: Optional[Path] = None) -> Iterator[str]:
    """:func:`render_html`'s text in pieces, a table row each: a run's records are walked, never held."""
    outcomes, abis, platforms = _tally(records)
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>egg-migrate report</title>", f"<style>{_STYLE}</style></head><body>",
             "<h1>egg-migrate report</h1>", _counts(len(records), outcomes),
             _links(out, mirror, requirements),
             '<div class="charts">',
             _bar_chart("Outcomes", [(s, outcomes.get(s, 0), _COLOURS[s]) for s in (CONVERTED, SKIPPED, FAILED)]),
             _bar_chart("Wheels by ABI", [(t, n, "#1565c0") for t, n in sorted(abis.items())]),
             _bar_chart("Wheels by platform", [(t, n, "#6a1b9a") for t, n in sorted(platforms.items())]),
             "</div>"]
    yield "\n".join(p for p in parts if p) + "\n"
    yield from _table(in_order(records), out, mirror)
    yield f"\n<script>{_SCRIPT}</script>\n</body></html>\n"


def _tally(records: Iterable[EggRecord]) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """(outcomes, wheels by ABI, wheels by platform): one walk, holding no record after it."""
    outcomes: Counter[str] = Counter()
    abis: Counter[str] = Counter()
    platforms: Counter[str] = Counter()
    for r in records:
        outcomes[r.status] += 1
        if r.wheel is not None and r.status == CONVERTED:
            abis[str(r.wheel.tags.abi)] += 1
            platforms[str(r.wheel.tags.platform).split(".")[0]] += 1  # the first (oldest policy) tag
    return outcomes, abis, platforms


def _counts(total: int, outcomes: Counter) -> str:
    bits = [f"<span>eggs: <b>{total}</b></span>"]
    bits += [f'<span style="color:{_COLOURS[s]}">{s}: <b>{outcomes.get(s, 0)}</b></span>'
             for s in (CONVERTED, SKIPPED, FAILED)]
    return f'<p class="counts">{"".join(bits)}</p>'


def _links(out: Path, mirror: Optional[Path], requirements: Optional[Path]) -> str:
    links = []
    if mirror is not None:
        links.append(f'<a href="{_e(_rel(mirror / "simple" / "index.html", out))}">the mirror\'s index</a>')
    if requirements is not None:
        links.append(f'<a href="{_e(_rel(requirements, out))}">{_e(requirements.name)}</a>')
    links.append('<a href="manifest.json">manifest.json</a>')
    links.append('<a href="report.txt">report.txt</a>')
    return "<p>" + " · ".join(links) + "</p>"


def _bar_chart(title: str, bars: list[tuple[str, int, str]]) -> str:
    """A horizontal bar chart as inline SVG: one labelled bar per (label, count, colour)."""
    if not bars:
        return ""
    top = max((n for _, n, _ in bars), default=0) or 1
    row, bar_w = 22, 200
    label_w = 8 * max(len(label) for label, _, _ in bars) + 12
    height = row * len(bars) + 30
    items = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 60}" height="{height}" '
             f'role="img" aria-label="{_e(title)}">', f'<text x="0" y="16" font-weight="bold">{_e(title)}</text>']
    for i, (label, n, colour) in enumerate(bars):
        y = 28 + i * row
        width = round(bar_w * n / top)
        items.append(f'<text x="0" y="{y + 14}">{_e(label)}</text>')
        items.append(f'<rect x="{label_w}" y="{y + 2}" width="{width}" height="16" fill="{colour}"/>')
        items.append(f'<text x="{label_w + width + 6}" y="{y + 14}">{n}</text>')
    items.append("</svg>")
    return "".join(items)


def _table(records: Iterable[EggRecord], out: Path, mirror: Optional[Path]) -> Iterator[str]:
    head = ("<h2>Eggs</h2><p>Filter: <input id=\"filter\" type=\"search\" placeholder=\"text in any column\"> "
            '<select id="status"><option value="">any outcome</option>'
            + "".join(f'<option value="{s}">{s}</option>' for s in (CONVERTED, SKIPPED, FAILED))
            + "</select> (click a column heading to sort)</p>"
            '<table id="eggs"><thead><tr><th>egg</th><th>outcome</th><th>wheel</th><th>tags and why</th>'
            "<th>problems</th><th>libraries needed</th></tr></thead><tbody>")
    yield head
    sep = ""
    for r in records:
        yield sep + _row(r, out, mirror)
        sep = "\n"
    yield "</tbody></table>"


def _row(r: EggRecord, out: Path, mirror: Optional[Path]) -> str:
    """One egg's row, its names made by ``os.path``: a ``Path`` interns each part, and the
    interpreter's table of interned strings grows with the names it has seen."""
    cells = [f"<code>{_e(os.path.basename(r.egg))}</code>", _e(r.status), _wheel_cell(r, out, mirror),
             _tags_cell(r), _problems_cell(r), _e(", ".join(r.external_libraries))]
    tds = "".join(f'<td class="{_e(r.status)}">{c}</td>' if i == 1 else f"<td>{c}</td>" for i, c in enumerate(cells))
    return f'<tr data-status="{_e(r.status)}">{tds}</tr>'


def _wheel_cell(r: EggRecord, out: Path, mirror: Optional[Path]) -> str:
    if r.wheel is None:
        return f'<span class="why">{_e(r.reason or "")}</span>'
    name = f"<code>{_e(r.wheel.filename)}</code>"
    if mirror is None or not r.project or r.status != CONVERTED:
        return name
    page = f"{_rel(mirror / 'simple', out)}/{canonicalize_name(r.project)}/index.html"
    return f'<a href="{_e(page)}">{name}</a>'


def _tags_cell(r: EggRecord) -> str:
    if r.wheel is None:
        return ""
    tags = r.wheel.tags
    reasons = tags.reasons or {}
    lines = [f"<code>{_e(tags.tag)}</code>"]
    lines += [f'<div class="why">{_e(part)}: {_e(reasons[part])}</div>'
              for part in ("python", "abi", "platform") if reasons.get(part)]
    return "".join(lines)


def _problems_cell(r: EggRecord) -> str:
    found = [p for p in r.problems + r.checks.problems if p.severity in (P.ERROR, P.WARNING)]
    items = [f"<div>{_e(p.severity)} <code>{_e(p.code)}</code> {_e(p.message)}</div>" for p in found]
    if r.status == FAILED and r.reason and r.wheel is not None:
        items.insert(0, f"<div>{_e(r.reason)}</div>")
    return "".join(items)


def _rel(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path, start)).as_posix()
