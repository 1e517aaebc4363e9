"""The ABI tag: ``cpXYm`` / ``cpXYmu`` / ``cp3Xm`` / ``cp3X`` / ``abi3`` / the PyPy ABI.

The flags follow what pip and ``packaging.tags`` generate for the interpreter
the egg was built for (``migrate.platforms.cpython_abi``): ``m`` (pymalloc)
up to 3.7, ``u`` for a wide (UCS4) build before 3.3. A PEP 3149 ``.so`` suffix
(3.2 on) names the ABI outright. Before 3.3 the build width comes from
``PyUnicodeUCS4_*`` / ``PyUnicodeUCS2_*`` references, else the Galaxy name
suffix, else ``--py2-unicode``; Windows and macOS builds are narrow; other
systems get both (``cp25m.cp25mu``: no Py_UNICODE symbol, so the module
loads on either build).
"""
from __future__ import annotations

from typing import Optional

from migrate import problems as P
from migrate.binaries import BinaryFacts
from migrate.eggs import EggName
from migrate.platforms import cpython_abi, has_unicode_flag
from migrate.problems import Problem
from migrate.wheels.tags.values import TagError, TagOptions

_NARROW_FORMATS = {"pe": "Windows", "macho": "macOS"}  # python.org and Apple builds were all UCS2


def choose_abi(name: EggName, major: int, minor: int, binaries: list[BinaryFacts], options: TagOptions,
               found: list[Problem], pypy: bool) -> tuple[str, str]:
    """(ABI tag, why) for CPython major.minor, or PyPy, from the binaries, the name and the options."""
    if pypy:
        return _pypy_abi(binaries)
    suffixed = _suffix_abi(major, minor, binaries)
    if suffixed:
        return suffixed
    limited = _limited_api(binaries) if (major, minor) >= (3, 2) else None
    if limited:
        return limited
    if has_unicode_flag(major, minor):
        return _unicode_abi(name, major, minor, binaries, options, found)
    other = {b.suffix_abi for b in binaries if b.suffix_abi and b.suffix_abi.startswith("cp")}
    why = f"the .so suffix names {other.pop()}; --trust-name" if len(other) == 1 else "no PEP 3149 suffix on the .so"
    return cpython_abi(major, minor), f"Python {major}.{minor} default ABI ({why})"


def _pypy_abi(binaries: list[BinaryFacts]) -> tuple[str, str]:
    abis = {b.suffix_abi for b in binaries if b.suffix_abi and b.suffix_abi.startswith("pypy")}
    if len(abis) == 1:
        return next(iter(abis)), "PyPy extension suffix"
    raise TagError("PyPy extension modules without a .pypy-XY suffix: cannot tell the PyPy ABI")


def _suffix_abi(major: int, minor: int, binaries: list[BinaryFacts]) -> Optional[tuple[str, str]]:
    """The one ABI the PEP 3149 suffixes name, when it is for this version."""
    abis = {b.suffix_abi for b in binaries if b.suffix_abi and b.suffix_abi.startswith("cp")}
    if len(abis) == 1:
        abi = next(iter(abis))
        if abi.rstrip("dmu") == f"cp{major}{minor}":
            return abi, "the extension modules' .so suffix"
    return None


def _limited_api(binaries: list[BinaryFacts]) -> Optional[tuple[str, str]]:
    if "abi3" in {b.suffix_abi for b in binaries}:
        return "abi3", "the extension modules use the limited API (.abi3.so)"
    if any(b.format == "pe" and "python3.dll" in (n.lower() for n in b.needed) for b in binaries):
        return "abi3", "the extension modules import python3.dll (the limited API)"
    return None


def _unicode_abi(name: EggName, major: int, minor: int, binaries: list[BinaryFacts], options: TagOptions,
                 found: list[Problem]) -> tuple[str, str]:
    """Before 3.3: the narrow (``m``) or wide (``mu``) build the extensions need."""
    seen = {b.ucs for b in binaries if b.ucs}
    if "both" in seen or seen == {"ucs2", "ucs4"}:
        raise TagError("extension modules reference both PyUnicodeUCS2_* and PyUnicodeUCS4_*")
    binary_ucs = next(iter(seen), None)
    if binary_ucs and name.ucs and binary_ucs != name.ucs:
        binary_ucs = _name_or_binary(name, binary_ucs, binaries, options, found)
        if binary_ucs == name.ucs:
            return cpython_abi(major, minor, name.ucs), f"Galaxy name suffix -{name.ucs} (--trust-name; the binaries disagree)"
    if binary_ucs:
        return cpython_abi(major, minor, binary_ucs), f"extensions reference PyUnicode{binary_ucs.upper()}_* symbols"
    if name.ucs:
        return cpython_abi(major, minor, name.ucs), f"Galaxy name suffix -{name.ucs} (binaries reference no PyUnicodeUCS* symbol)"
    if options.py2_unicode:
        return cpython_abi(major, minor, options.py2_unicode), f"--py2-unicode {options.py2_unicode}"
    narrow = sorted({_NARROW_FORMATS[b.format] for b in binaries if b.format in _NARROW_FORMATS})
    if narrow and not any(b.os == "cygwin" for b in binaries):
        return cpython_abi(major, minor, "ucs2"), f"Python {major}.{minor} on {narrow[0]} is a narrow (UCS2) build"
    found.append(P.info("T011", f"Python {major}.{minor} extension without a PyUnicodeUCS* reference or a -ucs suffix: "
                        "tagged for narrow and wide builds"))
    both = f"{cpython_abi(major, minor, 'ucs2')}.{cpython_abi(major, minor, 'ucs4')}"
    return both, "no PyUnicodeUCS* symbol: loads on UCS2 and UCS4 builds (--py2-unicode narrows it)"


def _name_or_binary(name: EggName, binary_ucs: str, binaries: list[BinaryFacts], options: TagOptions,
                    found: list[Problem]) -> str:
    """T002: the name's -ucsN and the binaries disagree; the binaries win unless --trust-name."""
    user = next(b.path for b in binaries if b.ucs == binary_ucs)
    said = (f"egg name says -{name.ucs} but {user} references PyUnicode{binary_ucs.upper()}_* "
            f"(a {binary_ucs.upper()} build); ")
    if options.trust_name:
        found.append(P.warning("T002", said + "the name is used (--trust-name)"))
        return name.ucs or binary_ucs
    found.append(P.warning("T002", said + "the binary is used (--trust-name to use the name)"))
    return binary_ucs
