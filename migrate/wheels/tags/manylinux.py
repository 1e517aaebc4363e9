"""The manylinux verdict: auditwheel's policy, without auditwheel (PEP 513, 571, 599, 600).

:func:`manylinux_audit` follows auditwheel's ``analyze_wheel_abi`` as
``auditwheel show`` runs it: the overall policy is the most restrictive of the
symbol-version, library-whitelist, blacklist, UCS2, PyFPE and ISA verdicts,
each being the oldest policy that constraint allows. The policy data is
auditwheel's published JSON, shipped in ``migrate/data`` (see
``manylinux-policy.SOURCE``).
"""
from __future__ import annotations

import posixpath
from functools import lru_cache
from typing import Any, Callable, Collection, NamedTuple, Optional

from migrate import problems as P
from migrate.binaries import BinaryFacts, libpython_version
from migrate.problems import Problem
from migrate.wheels.tags.data import shipped_json

_Policy = dict[str, Any]  # one policy of auditwheel's manylinux-policy.json
_Limit = tuple[str, Optional[str], str]  # (constraint, oldest policy it allows or None, why)


class ManylinuxAudit(NamedTuple):
    """The manylinux verdict for a set of ELF files, and each constraint's part in it."""

    arch: str
    policy: Optional[str]  # "manylinux_2_17", or None: linux only
    aliases: tuple[str, ...] = ()  # legacy names of ``policy``: ("manylinux2014",)
    limits: tuple[_Limit, ...] = ()  # for the constraints that bind
    external_libs: tuple[str, ...] = ()  # needed libraries no manylinux policy allows (the deployment must provide them)
    notes: tuple[Problem, ...] = ()  # found on the way (RPATHs out of the egg, unreachable bundled libraries)

    @property
    def why_not(self) -> str:
        """Why no manylinux policy fits (empty when one does)."""
        return "; ".join(why for _c, pol, why in self.limits if pol is None)

    @property
    def repairable(self) -> bool:
        """Not manylinux only because of libraries outside the policy: ``auditwheel repair`` grafts them."""
        blocking = {c for c, pol, _ in self.limits if pol is None}
        return self.policy is None and blocking == {"libraries"}

    def explain(self) -> str:
        if self.policy is None:
            return f"not manylinux: {self.why_not}"
        text = f"every ELF meets the {self.policy} policy (auditwheel's)"
        newer = [why for _c, pol, why in self.limits if pol == self.policy]
        return text + (f"; not older because {'; '.join(newer)}" if newer else "")


def manylinux_policy(arch: str, binaries: list[BinaryFacts]) -> tuple[Optional[str], Optional[str]]:
    """(lowest manylinux_2_X name every ELF meets, or None, and why not)."""
    audit = manylinux_audit(arch, binaries)
    return audit.policy, (audit.why_not or None)


def manylinux_audit(arch: str, binaries: list[BinaryFacts]) -> ManylinuxAudit:
    """auditwheel's overall policy for these ELF files (``auditwheel show``, no grafting)."""
    elves = [b for b in binaries if b.format == "elf" and not b.problem]
    policies = [p for p in _policies() if arch in p["symbol_versions"]]
    notes, internal = _bundled_resolution(elves)
    external = _external(elves, internal, _system_libs())
    if not policies:
        return ManylinuxAudit(arch, None, limits=(("arch", None, f"no manylinux policy exists for {arch}"),),
                              external_libs=external, notes=notes)
    checks: tuple[tuple[str, Callable[[_Policy], Optional[str]]], ...] = (
        ("symbol versions", lambda p: _symbol_violation(p, arch, elves)),
        ("libraries", lambda p: _library_violation(p, elves, internal)),
        ("blacklist", lambda p: _blacklist_violation(p, elves)),
        ("ucs2", lambda p: _ucs2_violation(elves)),
        ("pyfpe", lambda p: _pyfpe_violation(elves)),
        ("isa", lambda p: _isa_violation(elves)),
    )
    limits: list[_Limit] = []
    overall: Optional[int] = 0  # index into policies, oldest first
    for constraint, violation in checks:
        index, why = _oldest_allowed(policies, violation)
        if index is None:
            limits.append((constraint, None, why))
            overall = None
        else:
            if index > 0:
                limits.append((constraint, policies[index]["name"], why))
            if overall is not None:
                overall = max(overall, index)
    if overall is None:
        return ManylinuxAudit(arch, None, limits=tuple(limits), external_libs=external, notes=notes)
    chosen = policies[overall]
    return ManylinuxAudit(arch, chosen["name"], tuple(chosen["aliases"]),
                          tuple(limit for limit in limits if limit[1] == chosen["name"]), external, notes)


def _oldest_allowed(policies: list[_Policy], violation: Callable[[_Policy], Optional[str]]) -> tuple[Optional[int], str]:
    """(index of the oldest policy a constraint allows, or None for none; why the older policies do not).

    The why is the first violation's when a policy allows it, the newest's when none does."""
    first_why: Optional[str] = None
    why: Optional[str] = None
    for i, policy in enumerate(policies):
        why = violation(policy)
        if why is None:
            return i, first_why or ""
        first_why = first_why or why
    return None, why or ""


def _is_loader(lib: str) -> bool:
    """The dynamic loader: never external (auditwheel's ``filter_libs``)."""
    return "ld-linux" in lib or lib in ("ld64.so.2", "ld64.so.1")


def _bundled_resolution(elves: list[BinaryFacts]) -> tuple[tuple[Problem, ...], set[tuple[str, str]]]:
    """(notes, {(binary path, needed lib)} that resolve inside the egg through $ORIGIN RPATHs)."""
    paths = {b.path for b in elves}
    by_name: dict[str, list[str]] = {}
    for b in elves:
        by_name.setdefault(b.path.rsplit("/", 1)[-1], []).append(b.path)
    internal: set[tuple[str, str]] = set()
    notes: list[Problem] = []
    for b in elves:
        origin = posixpath.dirname(b.path)
        for entry in b.rpath:
            if entry and not entry.startswith(("$ORIGIN", "${ORIGIN}")):
                notes.append(P.info("B002", f"{b.path}: RPATH {entry} points outside the egg "
                                    "(a path on the build machine); it is ignored"))
        for lib in b.needed:
            if lib not in by_name:
                continue
            for entry in b.rpath:
                if not entry.startswith(("$ORIGIN", "${ORIGIN}")):
                    continue
                rel = entry.replace("${ORIGIN}", "$ORIGIN").replace("$ORIGIN", origin, 1).lstrip("/")
                if posixpath.normpath(posixpath.join(rel, lib)) in paths:
                    internal.add((b.path, lib))
                    break
            else:
                notes.append(P.info("B003", f"{b.path} links {lib}, which the egg carries at "
                                    f"{', '.join(by_name[lib])}, but no $ORIGIN RPATH reaches it: "
                                    "the loader looks for it on the system"))
    return tuple(notes), internal


def _external(elves: list[BinaryFacts], internal: set[tuple[str, str]], allowed: Collection[str]) -> tuple[str, ...]:
    return tuple(sorted({lib for b in elves for lib in b.needed
                         if lib not in allowed and not _is_loader(lib) and (b.path, lib) not in internal}))


def _symbol_violation(policy: _Policy, arch: str, elves: list[BinaryFacts]) -> Optional[str]:
    allowed = policy["symbol_versions"][arch]
    for b in elves:
        for lib, version in b.versioned:
            if _is_loader(lib):
                continue
            prefix, _, number = version.partition("_")
            if prefix in allowed and number not in allowed[prefix]:
                users = b.users_of(version)
                used = f" ({', '.join(users[:3])}{', ...' if len(users) > 3 else ''} from {lib})" if users else f" (from {lib})"
                return f"{b.path} needs {version}{used}, newer than {policy['name']} allows"
    return None


def _library_violation(policy: _Policy, elves: list[BinaryFacts], internal: set[tuple[str, str]]) -> Optional[str]:
    libs = _external(elves, internal, _whitelist(policy["name"]))
    if not libs:
        return None
    users = {lib: next(b.path for b in elves if lib in b.needed) for lib in libs}
    return "; ".join(f"{users[lib]} links {lib}, {_lib_verdict(lib, policy)}" for lib in libs)


def _lib_verdict(lib: str, policy: _Policy) -> str:
    if libpython_version(lib):
        return ("which no manylinux policy allows (PEP 513: built by an --enable-shared Python; "
                "auditwheel repair drops the dependency)")
    if lib not in _system_libs():
        return "which no manylinux policy allows"
    return f"which {policy['name']} does not allow"


def _blacklist_violation(policy: _Policy, elves: list[BinaryFacts]) -> Optional[str]:
    for b in elves:
        for lib, symbols in sorted(policy.get("blacklist", {}).items()):
            if lib in b.needed:
                bad = set(symbols) & (set(b.undefined) | {"*"})
                if bad:
                    return f"{b.path} uses {', '.join(sorted(bad))} from {lib}, which {policy['name']} forbids"
    return None


def _ucs2_violation(elves: list[BinaryFacts]) -> Optional[str]:
    for b in elves:
        if b.python_major == 2 and b.ucs in ("ucs2", "both"):
            return f"{b.path} references PyUnicodeUCS2_* (a narrow-unicode Python 2 build), which auditwheel never tags manylinux"
    return None


def _pyfpe_violation(elves: list[BinaryFacts]) -> Optional[str]:
    for b in elves:
        if b.pyfpe:
            return f"{b.path} references PyFPE_jbuf (a --with-fpectl Python build), which PEP 513 excludes from manylinux"
    return None


def _isa_violation(elves: list[BinaryFacts]) -> Optional[str]:
    for b in elves:
        if b.isa:
            return f"{b.path} needs the {b.isa} instruction set, beyond the manylinux {b.arch} baseline"
    return None


@lru_cache(maxsize=1)
def _system_libs() -> frozenset[str]:
    return frozenset(lib for policy in _policies() for lib in policy["lib_whitelist"])


@lru_cache(maxsize=None)  # one entry per policy
def _whitelist(name: str) -> frozenset[str]:
    """The libraries policy ``name`` allows, made into a set once, not for every egg and policy."""
    return frozenset(next(p for p in _policies() if p["name"] == name)["lib_whitelist"])


@lru_cache(maxsize=1)
def _policies() -> list[_Policy]:
    """auditwheel's manylinux policies, oldest (most compatible) first."""
    policies = [p for p in shipped_json("manylinux-policy.json") if p["name"].startswith("manylinux")]
    return sorted(policies, key=lambda p: -p["priority"])


def policy_names(arch: str = "x86_64") -> list[str]:
    """Every manylinux policy name for ``arch``, oldest first (for docs and tests)."""
    return [p["name"] for p in _policies() if arch in p["symbol_versions"]]
