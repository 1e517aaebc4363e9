"""W7xx: content that installs but is wrong in a wheel (what egg conversions leave behind).

What eggs hold that a wheel must not: setuptools' ``__bootstrap__`` stubs beside
extensions, bytecode beside its source, ``__pycache__`` (installer skips it),
scripts outside ``.data/scripts`` (never put on PATH), an ``EGG-INFO``
folder, a top-level ``__init__.py`` (installs ``site-packages/__init__.py``),
pkg_resources namespace ``__init__.py`` files (collide between wheels and
import pkg_resources, gone from setuptools 82).
"""
from __future__ import annotations

import re

from migrate import problems as P
from migrate.binaries import module_name
from migrate.checks.reader import OpenWheel, UnreadableMember
from migrate.problems import Problem
from migrate.wheels import is_binary, only_declares_namespace, script_interpreter

_SHEBANG_PY = re.compile(rb"^#![^\n]*python")
_SCRIPTS = re.compile(r"^[^/]+\.data/scripts/")


def check(w: OpenWheel) -> list[Problem]:
    library = w.library_files()
    installed = {path for path, _ in library}
    extensions = {_module_key(p): p for p in installed if is_binary(p)}
    found = []
    if not library and not any(_SCRIPTS.match(n) for n in w.by_name):
        found.append(P.warning("W708", "the wheel installs no files (only .dist-info)"))
    for path, member in sorted(library):
        found += _library_file(w, path, member, installed, extensions)
    for name in sorted(n for n in w.by_name if _SCRIPTS.match(n)):
        interpreter = script_interpreter(w.head(w.by_name[name], 256))
        if interpreter and "python" in interpreter and interpreter.split()[0] not in ("python", "pythonw"):
            found.append(P.warning("W709", f"{name}: shebang #!{interpreter} (installers only rewrite #!python)"))
    return found


def _library_file(w: OpenWheel, path: str, member: str, installed: set[str],
                  extensions: dict[tuple[str, str], str]) -> list[Problem]:
    """What an egg left behind in one file installed under site-packages (``path``)."""
    parts = path.split("/")
    lower = path.lower()
    if len(parts) > 1 and (parts[0] == "EGG-INFO" or parts[0].lower().endswith(".egg-info")):
        return [P.error("W705", f"{member}: egg metadata folder in the wheel")]
    found = []
    if path == "__init__.py":
        found.append(P.error("W706", f"{member}: a top-level __init__.py installs site-packages/__init__.py"))
    if "__pycache__" in parts[:-1]:
        found.append(P.warning("W703", f"{member}: __pycache__ in a wheel (installers skip or keep it stale)"))
    elif lower.endswith((".pyc", ".pyo")) and path[:-1] in installed:
        found.append(P.warning("W702", f"{member}: stale bytecode beside its source {path[:-1]}"))
    elif lower.endswith(".py"):
        found += _python_source(w, path, member, extensions)
    elif not is_binary(path) and _SHEBANG_PY.match(w.head(w.by_name[member])):
        found.append(P.warning("W704", f"{member}: a script outside .data/scripts (never put on PATH)"))
    return found


def _module_key(path: str) -> tuple[str, str]:
    """``pkg/_speedups.cpython-310-x86_64-linux-gnu.so`` and ``pkg/_speedups.py`` -> ("pkg", "_speedups")."""
    directory = path.rsplit("/", 1)[0] if "/" in path else ""
    return directory, module_name(path)


def _python_source(w: OpenWheel, path: str, member: str, extensions: dict[tuple[str, str], str]) -> list[Problem]:
    if w.by_name[member].file_size > 64 * 1024:
        return []
    stem = path.rsplit("/", 1)[-1][:-3]
    binary = extensions.get(_module_key(path))
    try:
        data = w.read(member)
    except UnreadableMember:
        return []
    if data is None:  # never: ``member`` is one of the wheel's files
        return []
    text = data.decode("utf-8", "replace")
    if binary and "def __bootstrap__" in text:
        return [P.warning("W701", f"{member}: setuptools __bootstrap__ stub beside {binary} (egg leftover)")]
    if stem == "__init__" and "declare_namespace" in text and only_declares_namespace(text):
        return [P.warning("W707", f"{member}: pkg_resources namespace declaration; wheels sharing the namespace "
                          "collide on it and it imports pkg_resources (use a -nspkg.pth or a PEP 420 namespace)")]
    return []
