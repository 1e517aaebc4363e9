"""``run --dry-run``: read the source's listings and say what a run would do, writing nothing.

The listing is read as the fetch stage reads it (the same source, selection and
eggs.ini), but nothing is downloaded and OUT is not created: an egg already in
``OUT/eggs`` is named as kept (the real run verifies it again), the others as to be
fetched. Every egg to be had is one to convert; the converted wheels would be
published to ``OUT/mirror`` and pinned for the target.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from migrate.run.fetching import read_eggs_ini, source_for
from migrate.run.stage import RunOptions


@dataclass(frozen=True)
class DryRun:
    """What a run would do; ``errors`` are listings that could not be read (the run would fail)."""

    source: str
    out: Path
    fetch: tuple[str, ...] = ()  # egg file names to download or copy
    kept: tuple[str, ...] = ()  # already in OUT/eggs
    errors: tuple[str, ...] = ()
    pin: tuple[str, ...] = ()  # requirements; empty: every converted project (or the eggs.ini pins)
    target: str = ""
    upload: Optional[str] = None

    @property
    def convert(self) -> tuple[str, ...]:
        return tuple(sorted(self.fetch + self.kept))

    def lines(self) -> list[str]:
        """The plan, one line per stage (and one per egg under fetch)."""
        lines = [f"dry run: nothing is written; source {self.source}"]
        lines += [f"would fetch {len(self.fetch)} eggs into {self.out / 'eggs'} "
                  f"({len(self.kept)} already there are kept)"]
        lines += [f"  fetch {name}" for name in self.fetch]
        lines += [f"  ERROR {error}" for error in self.errors]
        lines.append(f"would convert and check {len(self.convert)} eggs into {self.out / 'wheels'}")
        lines.append(f"would publish their wheels to {self.out / 'mirror'}"
                     + (f" and upload them to {self.upload}" if self.upload else ""))
        what = ", ".join(self.pin) if self.pin else "every converted project (or the eggs.ini pins)"
        lines.append(f"would pin {what} for {self.target} into {self.out / 'requirements.txt'}")
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {"dry_run": True, "source": self.source, "out": str(self.out), "fetch": list(self.fetch),
                "kept": list(self.kept), "convert": list(self.convert), "errors": list(self.errors),
                "publish": str(self.out / "mirror"), "upload": self.upload, "pin": list(self.pin),
                "target": self.target}


def dry_run(options: RunOptions, upload: Optional[str] = None) -> DryRun:
    """Read the listings as the run would; raises what the run raises for a bad eggs.ini or target."""
    from migrate.fetch import FetchOptions, Selection, SourceError

    ini = read_eggs_ini(options)
    selection = Selection.make(ini, options.python, options.platforms, options.projects)
    source = source_for(options, ini)
    net = (options.fetch_options or FetchOptions()).net
    try:
        names, errors = _listed(source, selection, net)
    except SourceError as exc:
        names, errors = [], [str(exc)]
    eggs = Path(options.out) / "eggs"
    kept = tuple(n for n in names if (eggs / n).exists())
    fetch = tuple(n for n in names if n not in kept)
    target = options.target_python and f"Python {options.target_python}" or "what most eggs target"
    return DryRun(source, Path(options.out), fetch, kept, tuple(errors), options.pin, target, upload)


def _listed(source: str, selection, net) -> tuple[list[str], list[str]]:
    """(egg file names the selection takes from the source, listing errors)."""
    from migrate.fetch import Listing, keep, make_session, open_source

    session = make_session(4, net) if source.startswith(("http://", "https://")) else None
    try:
        src = open_source(source, session, net, 4)
        if selection.eggs_ini is not None:  # Galaxy's names; a stand-in is chosen when the real run fetches
            return sorted({w.filename for w in selection.wanted()}), []
        listing = Listing()
        if selection.projects:
            for name in selection.projects:
                listing = listing + (src.project_listing(name) or Listing())
        else:
            listing = src.list_all()
        names = sorted({link.filename for link in listing.links if keep(link, selection) is not None})
        errors = list(listing.errors)
        if not names and not errors and not selection.projects:  # as the fetch would say
            errors.append(f"{src.url}: no eggs found")
        return names, errors
    finally:
        if session is not None:
            session.close()
