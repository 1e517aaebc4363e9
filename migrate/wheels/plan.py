"""Where each file of an egg goes in the wheel, or why it is left out.

Rules (what setuptools put in an egg and what pip-era installers expect):

- ``EGG-INFO/scripts/*`` -> ``<name>-<ver>.data/scripts/`` (shebang made ``#!python``
  so the installer points it at the target interpreter);
  ``entry_points.txt``, ``top_level.txt``, ``namespace_packages.txt`` -> ``.dist-info``;
  the rest of EGG-INFO is egg-runtime metadata, rewritten, not copied.
- ``foo.py`` that is setuptools' ``__bootstrap__`` loader for the ``foo*.so`` beside it is
  dropped (with its bytecode): the wheel installs the ``.so`` where Python finds it.
- bytecode: dropped when its source is there (a stale cache); kept when the egg is
  source-less (``bdist_egg --exclude-source-files``), moved out of ``__pycache__``
  so Python 2's and 3's legacy ``.pyc`` lookup finds it.
- a namespace package's ``__init__.py`` that only declares the namespace is dropped
  and a ``-nspkg.pth`` written instead, as pip-era setuptools installed them.
"""
from __future__ import annotations

import ast
import re
from typing import NamedTuple, Optional

from migrate import problems as P
from migrate.binaries import module_name
from migrate.eggs import EggArchive, EggInfo, Member
from migrate.problems import Problem

BINARY_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")
_SO_VERSIONED = re.compile(r"\.so(\.\d+)+$")
_SHEBANG = re.compile(rb"^#![^\n]*?\bpython[\w.]*(?P<args>[ \t][^\n]*)?(?P<eol>\r?\n|$)")
_PYCACHE = re.compile(r"^(?P<dir>(?:.*/)?)__pycache__/(?P<mod>[^/.]+)\.[^/]+\.pyc$")


class Placement(NamedTuple):
    """One egg member and its path in the wheel."""

    member: Member
    arcname: str
    rewrite_shebang: bool = False
    as_utf8: bool = False  # a .dist-info text file: written as UTF-8 whatever the egg's encoding

    @property
    def executable(self) -> bool:
        return self.rewrite_shebang or bool(self.member.mode & 0o111) or is_binary(self.member.path)

    @property
    def rewritten(self) -> bool:
        """Whether the wheel holds :meth:`rewrite` of the egg's bytes rather than the bytes themselves."""
        return self.rewrite_shebang or self.as_utf8

    def rewrite(self, data: bytes) -> bytes:
        """The member's bytes as the wheel holds them."""
        if self.as_utf8:
            data = utf8_text(data)
        return rewrite_shebang(data) if self.rewrite_shebang else data


class Plan(NamedTuple):
    placements: tuple[Placement, ...]  # in wheel order (excluding generated dist-info files)
    dist_info: tuple[Placement, ...]  # EGG-INFO files copied into .dist-info
    dropped: tuple[tuple[str, str], ...]  # (egg path, reason)
    binaries: tuple[Member, ...]  # every binary to analyse
    namespaces: tuple[str, ...]  # namespace packages that get a -nspkg.pth line
    sourceless: bool
    problems: tuple[Problem, ...] = ()


# Members with these endings are never read to see whether they are ELF programs.
_NOT_PROGRAMS = (
    ".py", ".pyc", ".pyo", ".pyi", ".pyx", ".pxd", ".c", ".h", ".cpp", ".txt", ".rst", ".md", ".html",
    ".htm", ".css", ".js", ".json", ".xml", ".cfg", ".ini", ".toml", ".yaml", ".yml", ".csv", ".sql",
    ".png", ".gif", ".jpg", ".jpeg", ".svg", ".ico", ".mo", ".po", ".pem", ".tmpl", ".mako", ".zip", ".gz",
)


def is_binary(path: str) -> bool:
    lower = path.lower()
    return lower.endswith(BINARY_SUFFIXES) or bool(_SO_VERSIONED.search(lower))


def is_elf_program(archive: EggArchive, member: Member) -> bool:
    """A member without a binary's name that is an ELF file all the same (a bundled executable).

    auditwheel looks at every ELF in a wheel; so do the tags.
    """
    if member.size < 64 or member.path.lower().endswith(_NOT_PROGRAMS):
        return False
    return archive.head(member, 4) == b"\x7fELF"


def make_plan(archive: EggArchive, info: EggInfo, data_dir: str, dist_info_dir: str) -> Plan:
    prefix = info.meta_dir + "/"
    members = [m for m in archive.members if not m.path.startswith(prefix)]
    paths = {m.path for m in members}
    script_members = [m for m in archive.members if m.path in info.scripts]
    binaries = tuple(m for m in members + script_members if is_binary(m.path) or is_elf_program(archive, m))
    dropped: list[tuple[str, str]] = []

    stubs = _bootstrap_stubs(archive, members, binaries)
    ns_inits, ns_kept = _namespace_inits(archive, info, paths)
    placements = []
    for m in members:
        reason, path = _left_out(m.path, paths, stubs, ns_inits)
        if reason:
            dropped.append((m.path, reason))
            continue
        placements.append(Placement(m, path))
    kept = _first_of_each_arcname(placements, dropped)

    scripts = []
    for path in info.scripts:
        member = _member(archive, path)
        rel = path[len(prefix) + len("scripts/"):]
        scripts.append(Placement(member, f"{data_dir}/scripts/{rel}", rewrite_shebang=True))
    dist_info = tuple(Placement(_member(archive, p), f"{dist_info_dir}/{p.rsplit('/', 1)[-1]}", as_utf8=True)
                      for p in info.carried)
    for m in archive.members:
        if m.path.startswith(prefix) and m.path not in info.scripts and m.path not in info.carried:
            dropped.append((m.path, "egg metadata (rewritten as .dist-info)"))

    has_source = any(p.arcname.endswith(".py") for p in kept)
    has_bytecode = any(p.arcname.endswith((".pyc", ".pyo")) for p in kept)
    found = []
    if ns_kept:
        found.append(P.warning("C003", "namespace __init__.py with other code kept: " + ", ".join(ns_kept)))
    return Plan(
        placements=tuple(sorted(kept + scripts, key=lambda p: p.arcname)),
        dist_info=dist_info,
        dropped=tuple(sorted(dropped)),
        binaries=binaries,
        namespaces=tuple(ns for ns in info.namespace_packages if _init_of(ns) in ns_inits),
        sourceless=has_bytecode and not has_source,
        problems=tuple(found),
    )


def _left_out(path: str, paths: set[str], stubs: dict[str, str], ns_inits: set[str]) -> tuple[Optional[str], str]:
    """(why a member outside the metadata folder is left out of the wheel, or None; its wheel path)."""
    if path in stubs:
        return "setuptools __bootstrap__ loader for " + stubs[path], path
    if path in ns_inits:
        return "pkg_resources namespace declaration (replaced by -nspkg.pth)", path
    if path.endswith((".pyc", ".pyo")):
        return _bytecode(path, paths, stubs)
    return None, path


def _first_of_each_arcname(placements: list[Placement], dropped: list[tuple[str, str]]) -> list[Placement]:
    """The placements without a later one for a wheel path taken already (noted in ``dropped``).

    A ``__pycache__`` file moved out beside its module must not collide with a legacy ``.pyc``."""
    by_arcname: dict[str, Placement] = {}
    for p in placements:
        if p.arcname in by_arcname:
            dropped.append((p.member.path, f"duplicate of {by_arcname[p.arcname].member.path}"))
            continue
        by_arcname[p.arcname] = p
    return list(by_arcname.values())


def _member(archive: EggArchive, path: str) -> Member:
    for m in archive.members:
        if m.path == path:
            return m
    raise KeyError(path)


def _bytecode(path: str, paths: set[str], stubs: dict[str, str]) -> tuple[Optional[str], str]:
    """(reason to drop or None, wheel path) for a .pyc/.pyo file."""
    cached = _PYCACHE.match(path)
    if cached:
        source = f"{cached['dir']}{cached['mod']}.py"
        if source in paths:
            return ("stale bytecode of a stub" if source in stubs else "stale bytecode (source present)"), path
        return None, f"{cached['dir']}{cached['mod']}.pyc"
    source = path[:-1]
    if source in paths:
        return ("stale bytecode of a stub" if source in stubs else "stale bytecode (source present)"), path
    return None, path


def _bootstrap_stubs(archive: EggArchive, members: list[Member], binaries: tuple[Member, ...]) -> dict[str, str]:
    """{stub .py path: binary name} for setuptools' loaders beside their binary."""
    by_path = {m.path: m for m in members}
    stubs = {}
    for b in binaries:
        directory = b.path.rsplit("/", 1)[0] + "/" if "/" in b.path else ""
        stub = by_path.get(f"{directory}{module_name(b.path)}.py")
        if stub is None or stub.size > 4096:
            continue
        text = archive.read(stub).decode("utf-8", "replace")
        if "def __bootstrap__" in text and b.name in text:
            stubs[stub.path] = b.name
    return stubs


def _init_of(package: str) -> str:
    return package.replace(".", "/") + "/__init__.py"


def _namespace_inits(archive: EggArchive, info: EggInfo, paths: set[str]) -> tuple[set[str], list[str]]:
    """(set of namespace __init__.py paths to drop, list of ones kept because they hold code)."""
    drop: set[str] = set()
    kept: list[str] = []
    for ns in info.namespace_packages:
        init = _init_of(ns)
        if init not in paths:
            continue
        member = next(m for m in archive.members if m.path == init)
        if only_declares_namespace(archive.read(member).decode("utf-8", "replace")):
            drop.add(init)
        else:
            kept.append(init)
    return drop, kept


def only_declares_namespace(source: str) -> bool:
    """True for the pkg_resources / pkgutil namespace boilerplate and nothing else.

    Whatever else the file holds (a function, a value computed at import, code in a
    ``try``'s ``else``/``finally``) would be lost with it: such a file is kept (C003).
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    declares = [False]

    def ok(node) -> bool:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return True  # docstring
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            return all(n.split(".")[0] in ("pkg_resources", "pkgutil", "extend_path", "") for n in names)
        if isinstance(node, ast.Pass):
            return True
        if isinstance(node, ast.Try):
            parts = node.body + node.orelse + node.finalbody + [n for h in node.handlers for n in h.body]
            return all(ok(n) for n in parts)
        text = ast.dump(node)
        if "declare_namespace" in text or "extend_path" in text:
            declares[0] = True
            return _is_declaration(node)
        if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) and t.id.startswith("__") for t in node.targets):
            return _is_literal(node.value)  # __author__ = "..."
        return False

    return all(ok(n) for n in tree.body) and declares[0]


def _is_declaration(node) -> bool:
    """``[__path__ =] <owner>.declare_namespace|extend_path(<names>)`` and nothing more, where the
    owner is a name or ``__import__('...')``."""
    if isinstance(node, ast.Assign):
        if not (len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "__path__"):
            return False
    elif not isinstance(node, ast.Expr):
        return False
    call = node.value
    if not isinstance(call, ast.Call) or call.keywords or not all(isinstance(a, ast.Name) or _is_literal(a) for a in call.args):
        return False
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in ("declare_namespace", "extend_path")
    if not isinstance(func, ast.Attribute) or func.attr not in ("declare_namespace", "extend_path"):
        return False
    owner = func.value
    return isinstance(owner, ast.Name) or (
        isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "__import__")


def _is_literal(node) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def utf8_text(data: bytes) -> bytes:
    """Text as UTF-8: unchanged when it is UTF-8, else read as latin-1 (EGG-INFO's M010 notes it)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1").encode("utf-8")
    return data


def rewrite_shebang(data: bytes) -> bytes:
    """``#!/usr/bin/env python2.7 -u`` -> ``#!python -u`` (PEP 427: installers rewrite ``#!python``)."""
    m = _SHEBANG.match(data)
    if not m:
        return data
    return b"#!python" + (m["args"] or b"") + (m["eol"] or b"") + data[m.end():]


def script_interpreter(data: bytes) -> Optional[str]:
    first = data.split(b"\n", 1)[0]
    return first[2:].decode("utf-8", "replace").strip() if first.startswith(b"#!") else None
