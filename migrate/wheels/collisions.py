"""One wheel name, one decision: eggs of one release whose wheels would claim the same tags.

Two eggs can make one wheel file name (``Foo_Bar`` and ``foo.bar``, a py2 and a py3 egg
both tagged ``py2.py3``, a develop ``.egg-info`` beside the real egg); written one after
the other, the later silently replaces the earlier, and with a process pool which one is
later changes between runs. :func:`decide` settles each clash in input order, the same
whatever finishes first:

- the same files (payload) -> one wheel; the later egg gets a note naming the kept one.
  With ``join`` (``--join-py2-py3``), a pure py2 egg and a pure py3 egg with the same
  files are the evidence that one ``py2.py3`` wheel serves both, so the kept wheel is
  re-tagged ``py2.py3`` (without it each keeps its own, both correct);
- other files -> both kept under distinct correct tags where the eggs say them (pure
  eggs built for Python 2 and 3 -> ``py2`` + ``py3``), else the later egg is refused
  with a line naming both.

Pure: it takes the tags chosen (:mod:`migrate.wheels.tags`) and a way to get each
wheel's payload digest (:func:`payload_digest`, read only when a clash needs it).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, NamedTuple, Optional, Sequence

from packaging.version import InvalidVersion, Version

from migrate.eggs import canonicalize_name
from migrate.wheels.convert import ConvertResult

KEEP, SAME, RETAG, REFUSE = "keep", "same", "retag", "refuse"
CLASH = "C010"  # the problem code of an egg refused because an earlier egg makes its wheel


class WheelClaim(NamedTuple):
    """One egg's wheel as the decision needs it."""

    egg: str  # the egg's file name, for messages
    project: str
    version: str
    python: str  # the wheel's tags, compressed: ``py2.py3``, ``none``, ``any``
    abi: str
    platform: str
    egg_major: Optional[int] = None  # the major of the Python the egg was built for (its name's pyver)

    @property
    def release(self) -> tuple[str, str]:
        return canonicalize_name(self.project), _version(self.version)

    @property
    def retaggable(self) -> bool:
        """Pure code tagged ``pyX``: its python tag may be narrowed or widened (``cpXY`` bytecode may not)."""
        return self.abi == "none" and self.platform == "any" and all(
            p.startswith("py") for p in self.python.split("."))

    def wheel(self, python: str) -> str:
        name = canonicalize_name(self.project).replace("-", "_")
        return f"{name}-{self.version}-{python}-{self.abi}-{self.platform}.whl"


class Decision(NamedTuple):
    """What to do with one egg's wheel: ``KEEP`` (under ``python``), ``RETAG`` (make it again
    with python tag ``python``), ``SAME`` (no wheel; ``other``'s serves it) or ``REFUSE``."""

    action: str
    python: str
    other: Optional[int] = None  # the index of the egg it duplicates or clashes with
    message: str = ""  # the note (SAME, RETAG) or the refusal (REFUSE); SAME and REFUSE do not name the egg


@dataclass
class _Kept:
    index: int
    candidate: WheelClaim
    python: str
    shared: bool = False  # serves an identical egg too: its tag is no longer narrowed
    why: str = ""  # why the python tag changed, when it did


def decide(candidates: Sequence[Optional[WheelClaim]], payload: Callable[[int], str],
           join: bool = False) -> list[Optional[Decision]]:
    """A decision per candidate (None for None), in input order; ``payload(i)``: digest of wheel i;
    ``join``: pure wheels with the same files join their python tags (py2 + py3 -> py2.py3)."""
    digest = lru_cache(maxsize=None)(payload)
    decisions: list[Optional[Decision]] = [None] * len(candidates)
    kept_by_release: dict[tuple[str, str], list[_Kept]] = {}
    for i, c in enumerate(candidates):
        if c is None:
            continue
        kept = kept_by_release.setdefault(c.release, [])
        mine = _Kept(i, c, c.python)
        for k in kept:
            decision = _meet(k, mine, digest, join)
            if decision is not None:
                decisions[i] = decision
                break
        else:
            kept.append(mine)
    for kept in kept_by_release.values():
        for k in kept:
            action = KEEP if k.python == k.candidate.python else RETAG
            decisions[k.index] = Decision(action, k.python, message=k.why)
    return decisions


def _meet(k: _Kept, mine: _Kept, digest: Callable[[int], str], join: bool) -> Optional[Decision]:
    """Settle a new egg against one kept earlier: a decision for the new one, or None (both stay)."""
    overlap = _overlap(k, mine)
    both_pure = k.candidate.retaggable and mine.candidate.retaggable
    if not overlap and not (join and both_pure):
        return None
    if digest(k.index) == digest(mine.index):
        return _same(k, mine, join and both_pure)
    if not overlap:
        return None
    if both_pure and _narrow(k, mine):
        return None
    first = k.candidate
    return Decision(REFUSE, mine.python, k.index,
                    f"would make {first.wheel(k.python)} as {first.egg} does, with other files; "
                    f"refused ({first.egg} is kept)")


def _same(k: _Kept, mine: _Kept, join: bool) -> Decision:
    """Identical files: one wheel; with ``join``, pure wheels join their python tags (the evidence for ``py2.py3``)."""
    first = k.candidate
    if join:
        joined = _join(k.python, mine.python)
        if joined != k.python:
            k.python = joined
            k.why = (f"pure code; {first.egg} and {mine.candidate.egg} hold the same files, "
                     f"so one wheel serves {_majors(joined)}")
    k.shared = True
    return Decision(SAME, k.python, k.index,
                    f"the same files as {first.egg}; its wheel {first.wheel(k.python)} serves both")


def _narrow(k: _Kept, mine: _Kept) -> bool:
    """Pure eggs built for different Python majors keep one wheel each, ``pyX`` from each egg's name."""
    a, b = k.candidate.egg_major, mine.candidate.egg_major
    if a is None or b is None or a == b or k.shared:
        return False
    ka, mb = f"py{a}", f"py{b}"
    if ka not in k.python.split(".") or mb not in mine.python.split("."):
        return False
    for one, tag, major, other, other_major in ((k, ka, a, mine, b), (mine, mb, b, k, a)):
        if one.python != tag:
            one.python = tag
            one.why = (f"pure code built for Python {major}; {other.candidate.egg} (other files) "
                       f"is the Python {other_major} build")
    return True


def _overlap(k: _Kept, mine: _Kept) -> bool:
    """Whether the two wheels share a tag (pip could take either for one interpreter)."""
    a, b = k.candidate, mine.candidate
    return bool(_parts(k.python) & _parts(mine.python) and _parts(a.abi) & _parts(b.abi)
                and _parts(a.platform) & _parts(b.platform))


def _parts(tag: str) -> set[str]:
    return set(tag.split("."))


def _join(a: str, b: str) -> str:
    return ".".join(sorted(_parts(a) | _parts(b)))


def _majors(python: str) -> str:
    return " and ".join(f"Python {p[2:]}" for p in python.split(".")) or python


def _version(text: str) -> str:
    try:
        return str(Version(text))
    except InvalidVersion:
        return text


def payload_digest(wheel: str) -> str:
    """sha256 over the wheel's RECORD lines but its own WHEEL and RECORD: every file the
    wheel installs and its metadata, not its tags."""
    import zipfile  # only when two eggs claim one wheel name: most conversions never load it

    with zipfile.ZipFile(wheel) as zf:
        record = next(n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/RECORD"))
        dist_info = record.rsplit("/", 1)[0]
        lines = zf.read(record).decode("utf-8").splitlines()
    own = (f"{dist_info}/WHEEL,", f"{dist_info}/RECORD,")
    body = sorted(line for line in lines if line and not line.startswith(own))
    return hashlib.sha256("\n".join(body).encode("utf-8")).hexdigest()


def claim_of(result: ConvertResult) -> Optional[WheelClaim]:
    """The claim of a converted egg's wheel; None when it made none."""
    facts, tags = result.facts, result.tags
    if result.wheel is None or facts is None or tags is None:
        return None
    return WheelClaim(facts.name.filename, facts.project, facts.version, tags.python, tags.abi, tags.platform,
                      facts.name.py_major)
