"""The ABI tag: ``cp27mu`` / ``cp27m`` / ``cp3Xm`` / ``cp3X`` / ``abi3`` / the PyPy ABI.

Python 2: ``cp27mu`` when extensions reference ``PyUnicodeUCS4_*``, ``cp27m``
for ``PyUnicodeUCS2_*``; else the Galaxy name suffix; else ``--py2-unicode``;
else both (``cp27m.cp27mu``: no Py_UNICODE symbol, so the module loads on
either build). Python 3: the PEP 3149 ``.so`` suffix, else the egg's pyver
(3.3-3.7 -> ``cp3Xm``, 3.8+ -> ``cp3X``).
"""
from __future__ import annotations

from migrate import problems as P
from migrate.binaries import BinaryFacts
from migrate.eggs import EggName
from migrate.problems import Problem
from migrate.wheels.tags.values import TagError, TagOptions

_UCS_ABI = {"ucs2": "cp27m", "ucs4": "cp27mu"}


def choose_abi(name: EggName, major: int, minor: int, binaries: list[BinaryFacts], options: TagOptions,
               found: list[Problem], pypy: bool) -> tuple[str, str]:
    """(ABI tag, why) for CPython major.minor, or PyPy, from the binaries, the name and the options."""
    if pypy:
        abis = {b.suffix_abi for b in binaries if b.suffix_abi and b.suffix_abi.startswith("pypy")}
        if len(abis) == 1:
            return next(iter(abis)), "PyPy extension suffix"
        raise TagError("PyPy extension modules without a .pypy-XY suffix: cannot tell the PyPy ABI")
    if major == 2:
        return _py2_abi(name, binaries, options, found)
    flag = "m" if (3, 3) <= (major, minor) <= (3, 7) else ""
    default = f"cp{major}{minor}{flag}"
    abis = {b.suffix_abi for b in binaries if b.suffix_abi and b.suffix_abi.startswith("cp")}
    if len(abis) == 1:
        abi = next(iter(abis))
        if abi.rstrip("dmu") == f"cp{major}{minor}":
            return abi, "the extension modules' .so suffix"
        return default, f"Python {major}.{minor} default ABI (the .so suffix names {abi}; --trust-name)"
    if "abi3" in {b.suffix_abi for b in binaries}:
        return "abi3", "the extension modules use the limited API (.abi3.so)"
    if any(b.format == "pe" and "python3.dll" in (n.lower() for n in b.needed) for b in binaries):
        return "abi3", "the extension modules import python3.dll (the limited API)"
    return default, f"Python {major}.{minor} default ABI (no PEP 3149 suffix on the .so)"


def _py2_abi(name: EggName, binaries: list[BinaryFacts], options: TagOptions, found: list[Problem]) -> tuple[str, str]:
    seen = {b.ucs for b in binaries if b.ucs}
    if "both" in seen or seen == {"ucs2", "ucs4"}:
        raise TagError("extension modules reference both PyUnicodeUCS2_* and PyUnicodeUCS4_*")
    binary_ucs = next(iter(seen), None)
    is_linux = any(b.format == "elf" for b in binaries)
    if binary_ucs and name.ucs and binary_ucs != name.ucs:
        user = next(b.path for b in binaries if b.ucs == binary_ucs)
        if options.trust_name:
            found.append(P.warning("T002", f"egg name says -{name.ucs} but {user} references "
                                   f"PyUnicode{binary_ucs.upper()}_* (a {binary_ucs.upper()} build); "
                                   "the name is used (--trust-name)"))
            return _UCS_ABI[name.ucs], f"Galaxy name suffix -{name.ucs} (--trust-name; the binaries disagree)"
        found.append(P.warning("T002", f"egg name says -{name.ucs} but {user} references "
                               f"PyUnicode{binary_ucs.upper()}_* (a {binary_ucs.upper()} build); "
                               "the binary is used (--trust-name to use the name)"))
    if binary_ucs:
        return _UCS_ABI[binary_ucs], f"extensions reference PyUnicode{binary_ucs.upper()}_* symbols"
    if name.ucs:
        return _UCS_ABI[name.ucs], f"Galaxy name suffix -{name.ucs} (binaries reference no PyUnicodeUCS* symbol)"
    if options.py2_unicode:
        return _UCS_ABI[options.py2_unicode], f"--py2-unicode {options.py2_unicode}"
    if not is_linux:
        return "cp27m", "Python 2 on macOS and Windows is a UCS2 build"
    found.append(P.info("T011", "no PyUnicodeUCS* reference and no -ucs suffix: tagged for UCS2 and UCS4 builds"))
    return "cp27m.cp27mu", "no PyUnicodeUCS* symbol: loads on UCS2 and UCS4 builds (--py2-unicode narrows it)"

