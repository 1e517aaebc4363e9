"""(egg facts) -> wheel tags, with the reason for each: :func:`choose` joins the three choosers.

The python tag (:mod:`python`), the ABI (:mod:`abi`) and the platform
(:mod:`platform`) are chosen from the binaries first; the egg's name is
checked against them. Eggs without binaries that use Python are ``pyX-none``.
"""
from __future__ import annotations

from typing import Iterable

from migrate import problems as P
from migrate.binaries import BinaryFacts
from migrate.eggs import EggName
from migrate.problems import Problem
from migrate.wheels.tags.abi import choose_abi
from migrate.wheels.tags.platform import choose_platform
from migrate.wheels.tags.python import pure_python, python_version
from migrate.wheels.tags.values import PLATFORM_MODES, TagError, TagOptions, WheelTags


def choose(
    name: EggName,
    binaries: Iterable[BinaryFacts],
    classifiers: tuple[str, ...] = (),
    sourceless: bool = False,
    options: TagOptions = TagOptions(),
) -> WheelTags:
    """Pick the most specific correct tags for one egg. Raises TagError when none is."""
    if options.platform_tag not in PLATFORM_MODES:
        raise TagError(f"platform tag mode {options.platform_tag!r}: expected one of {', '.join(PLATFORM_MODES)}")
    binaries = list(binaries)
    found = [P.warning("B001", f"{b.path}: {b.problem}") for b in binaries if b.problem]
    readable = [b for b in binaries if not b.problem]
    if not binaries:
        return _pure(name, classifiers, sourceless, found, options.universal)
    if not readable:
        raise TagError("no readable binary: " + "; ".join(f"{b.path}: {b.problem}" for b in binaries))
    if not any(_uses_python(b) for b in readable):
        return _binary_without_python(name, readable, classifiers, sourceless, options, found)
    major, minor, py_reason = python_version(name, readable, options, found)
    pypy = any(_is_pypy(b) for b in readable)
    python = f"{'pp' if pypy else 'cp'}{major}{minor}"
    abi, abi_reason = choose_abi(name, major, minor, readable, options, found, pypy)
    platform, plat_reason, external, repairable = choose_platform(name, readable, options, found)
    return WheelTags(
        python=python,
        abi=abi,
        platform=platform,
        reasons=(("python", py_reason), ("abi", abi_reason), ("platform", plat_reason)),
        external_libs=tuple(external),
        problems=tuple(found),
        repairable=repairable,
    )


def _is_pypy(b: BinaryFacts) -> bool:
    """Built for PyPy: it calls cpyext (``PyPy*`` symbols) or its file name has a ``.pypy39-pp73`` suffix."""
    return b.pypy or (b.suffix_abi or "").startswith("pypy")


def _uses_python(b: BinaryFacts) -> bool:
    """An extension module, or a library calling the Python C API (ties the wheel to an ABI).

    Only ELF symbol tables are read that closely; Mach-O and PE binaries count as using it.
    """
    if b.format != "elf" or b.is_extension or b.suffix_abi or b.libpython:
        return True
    return any(s.startswith(("Py", "_Py")) for s in b.undefined)


def _binary_without_python(name: EggName, binaries: list[BinaryFacts], classifiers: tuple[str, ...], sourceless: bool,
                           options: TagOptions, found: list[Problem]) -> WheelTags:
    """Executables or ctypes libraries only: ``pyX-none-<platform>``, as cmake/ninja wheels are."""
    pure = _pure(name, classifiers, sourceless, found, options.universal)
    platform, plat_reason, external, repairable = choose_platform(name, binaries, options, found)
    return WheelTags(
        python=pure.python,
        abi="none",
        platform=platform,
        reasons=(("python", pure.reason("python") + "; its binaries call no Python C API"),
                 ("abi", "binaries are programs or libraries that use no Python C API"),
                 ("platform", plat_reason)),
        external_libs=tuple(external),
        problems=tuple(found),
        repairable=repairable,
    )


def _pure(name: EggName, classifiers: tuple[str, ...], sourceless: bool, found: list[Problem],
          universal: bool = False) -> WheelTags:
    py, why = pure_python(name, classifiers, sourceless, found, universal)
    return WheelTags(
        python=py, abi="none", platform="any",
        reasons=(("python", why), ("abi", "no extension modules"), ("platform", "no binaries")),
        problems=tuple(found),
    )
