"""The python tag: ``cpXY`` / ``ppXY`` for binaries, ``pyX`` / ``py2.py3`` for pure code.

The version comes from the egg's name, cross-checked against what the binaries
say (their PEP 3149 suffix, a linked ``libpythonX.Y``, an imported
``pythonXY.dll``, the init symbol); a disagreement is a T001 or T007 problem.
Bytecode-only eggs are ``cpXY``: a ``.pyc`` is tied to one CPython version.
"""
from __future__ import annotations

import re
from typing import Iterable, NamedTuple, Optional

from migrate import problems as P
from migrate.binaries import BinaryFacts, init_symbol, python_from_dll
from migrate.eggs import EggName
from migrate.problems import Problem
from migrate.wheels.tags.values import TagError, TagOptions


def pure_python(name: EggName, classifiers: tuple[str, ...], sourceless: bool,
                found: list[Problem], universal: bool = False) -> tuple[str, str]:
    """(python tag, why) for an egg without binaries that use Python.

    The egg's pyver decides (``py2.7`` -> ``py2``): classifiers naming Python 2 and 3
    are no evidence that this egg's code runs on both (2to3-converted eggs exist).
    ``py2.py3`` needs ``universal`` (``--universal``) or, for a py2/py3 pair with
    identical payloads, :func:`pure_pair_tag`.
    """
    majors = _classifier_majors(classifiers)
    if sourceless:
        if not name.pyver:
            raise TagError("bytecode-only egg without a python version in its name: cannot tell which CPython reads it")
        py = "cp" + name.pyver.replace(".", "")
        why = f"only .pyc files, which only CPython {name.pyver} reads"
    elif universal:
        py, why = "py2.py3", "pure code; --universal says it runs unchanged on Python 2 and 3"
    elif name.py_major:
        py, why = f"py{name.py_major}", f"pure code built for py{name.pyver}"
        if majors >= {2, 3}:
            why += " (classifiers naming Python 2 and 3 are no evidence this code runs on both)"
    elif majors:
        py = ".".join(f"py{m}" for m in sorted(majors))
        why = "pure code; no python version in the egg name, taken from the classifiers"
    else:
        py, why = "py2.py3", "pure code; neither the name nor the classifiers name a Python version"
        found.append(P.warning("T010", "no python version in the egg name or classifiers: tagged py2.py3"))
    return py, why


def pure_pair_tag(python_tags: Iterable[str]) -> Optional[str]:
    """The python tag of one wheel for pure eggs whose payloads are identical, or None.

    ``("py2", "py3")`` -> ``"py2.py3"``: the same files built for both majors are the
    evidence that one wheel serves both. None when a tag is not a pure ``pyN`` one.
    """
    majors: set[str] = set()
    for tag in python_tags:
        for part in tag.split("."):
            if not re.fullmatch(r"py[23]", part):
                return None
            majors.add(part)
    return ".".join(sorted(majors)) or None


def _classifier_majors(classifiers: tuple[str, ...]) -> set[int]:
    majors = set()
    for c in classifiers:
        m = re.match(r"Programming Language :: Python :: (\d)", c)
        if m:
            majors.add(int(m.group(1)))
    return majors


def _binary_versions(b: BinaryFacts) -> list[tuple[tuple[int, int], str]]:
    """[((major, minor), how we know)] from one binary's file name and linked libraries."""
    said: list[tuple[tuple[int, int], str]] = []
    abi = b.suffix_abi
    if abi and abi.startswith("cp") and abi[2:3].isdigit():
        said.append(((int(abi[2]), int(abi[3:].rstrip("dmu"))), f"the .so suffix of {b.path}"))
    lib = b.libpython
    if lib:
        said.append(((lib[0], lib[1]), f"{b.path} links libpython{lib[0]}.{lib[1]}{lib[2]}"))
    if b.format == "pe":
        dll = python_from_dll(b.needed)
        if dll and dll[1] is not None:
            said.append(((dll[0], dll[1]), f"{b.path} imports python{dll[0]}{dll[1]}.dll"))
    return said


def python_version(name: EggName, binaries: list[BinaryFacts], options: TagOptions,
                   found: list[Problem]) -> tuple[int, int, str]:
    """(major, minor, reason) from the name, cross-checked against the binaries."""
    _note_self_contradictions(binaries, found)
    said = _binary_python(binaries)
    name_ver = _pyver(name)
    if name_ver:
        return _named_version(name, name_ver, said, options, found)
    if said.version:
        return said.version[0], said.version[1], f"{said.how} (no python version in the egg name)"
    raise TagError("no python version in the egg name and the binaries do not say one")


def _note_self_contradictions(binaries: list[BinaryFacts], found: list[Problem]) -> None:
    """T007 for a module whose suffix or libpython names another Python than its init symbol."""
    for b in binaries:
        for (major, minor), how in _binary_versions(b):
            if b.python_major and b.python_major != major:
                found.append(P.warning("T007", f"{how} (Python {major}.{minor}) but it exports "
                                       f"{init_symbol(b.path, b.python_major)} (a Python {b.python_major} module)"))


class _BinaryPython(NamedTuple):
    """What the binaries say of the Python they need, one version at most."""

    version: Optional[tuple[int, int]]  # from a suffix, libpython or pythonXY.dll
    how: str  # how the version is known; "" without one
    major: Optional[int]  # the version's major, else the init symbol's
    claim: str  # what they say, for a message; "" when they say nothing


def _binary_python(binaries: list[BinaryFacts]) -> _BinaryPython:
    """The one Python version (or major) the binaries say; TagError when they say several."""
    evidence = [e for b in binaries for e in _binary_versions(b)]
    versions = sorted({v for v, _ in evidence})
    if len(versions) > 1:
        raise TagError("extension modules for several Python versions: "
                       + "; ".join(f"{how} ({v[0]}.{v[1]})" for v, how in evidence))
    init_majors = {b.python_major for b in binaries if b.python_major}
    if len(init_majors) > 1:
        raise TagError("both Python 2 (init<mod>) and Python 3 (PyInit_<mod>) extension modules")
    if versions:
        version = versions[0]
        how = next(how for v, how in evidence if v == version)
        return _BinaryPython(version, how, version[0], f"{how} (Python {version[0]}.{version[1]})")
    init_b = next((b for b in binaries if b.python_major), None)
    if init_b is None or init_b.python_major is None:
        return _BinaryPython(None, "", None, "")
    claim = (f"{init_b.path} exports {init_symbol(init_b.path, init_b.python_major)} "
             f"(a Python {init_b.python_major} module)")
    return _BinaryPython(None, "", init_b.python_major, claim)


def _named_version(name: EggName, name_ver: tuple[int, int], said: _BinaryPython, options: TagOptions,
                   found: list[Problem]) -> tuple[int, int, str]:
    """(major, minor, reason) for an egg whose name has a version: the name's unless the binaries disagree."""
    mismatch = (said.version and said.version != name_ver) or (said.major and said.major != name_ver[0])
    if not mismatch:
        return name_ver[0], name_ver[1], f"egg built for py{name.pyver}" + (", matching the binaries" if said.major else "")
    if options.trust_name:
        found.append(P.warning("T001", f"egg name says py{name.pyver} but {said.claim}; the name is used (--trust-name)"))
        return name_ver[0], name_ver[1], f"egg name py{name.pyver} (--trust-name; the binaries disagree)"
    if said.version:
        found.append(P.warning("T001", f"egg name says py{name.pyver} but {said.claim}; the binary is used "
                               "(--trust-name to use the name)"))
        return said.version[0], said.version[1], f"{said.how} (the egg name said py{name.pyver})"
    found.append(P.warning("T001", f"egg name says py{name.pyver} but {said.claim}"))
    raise TagError(f"egg name says py{name.pyver} but {said.claim}, and nothing says which "
                   f"{said.major}.x; pass --trust-name to tag it py{name.pyver} anyway")


def _pyver(name: EggName) -> Optional[tuple[int, int]]:
    if not name.pyver:
        return None
    parts = name.pyver.split(".")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1])
