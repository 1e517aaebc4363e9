"""What a wheel file name can hold, and how to show a file name that cannot be printed as is.

Decision (docs/tags.rst, "Names"): a project name holding characters no wheel name can
(a space, quotes, ``<``, ``:``, ``é``) is normalised as ``pkg_resources.safe_name``
did, every run of other characters than ``A-Za-z0-9.`` becoming ``-`` (ends trimmed),
since that is the name pkg_resources gave such an egg; a file name holding control
characters or bytes that are not UTF-8 is refused, with the name escaped for the
terminal (:func:`printable`), since nothing says what it meant.
"""
from __future__ import annotations

import re

_SAFE_NAME_JUNK = re.compile(r"[^A-Za-z0-9._-]+")


def printable(text: str) -> str:
    """``text`` safe to print: a byte that is not UTF-8 as ``\\xe9``, a control character as ``\\x1b``."""
    out = []
    for ch in text:
        if "\udc80" <= ch <= "\udcff":  # os.fsdecode's surrogateescape of one undecodable byte
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(repr(ch)[1:-1])
    return "".join(out)


def unprintable(text: str) -> bool:
    """Whether ``text`` holds a control character or an undecodable byte (anything :func:`printable` escapes):
    one ``isprintable`` call, as a surrogate of an undecodable byte is not printable either."""
    return not text.isprintable()


def canonicalize_name(name: str) -> str:
    """PEP 503's normal form (``Foo.Bar_baz`` -> ``foo-bar-baz``), as ``packaging.utils.canonicalize_name``
    gives it: importing that module loads ``packaging.tags`` (with logging, platform, subprocess), a
    tenth of what a conversion of a small egg costs."""
    value = name.lower().replace("_", "-").replace(".", "-")
    while "--" in value:
        value = value.replace("--", "-")
    return value


def safe_name(project: str) -> str:
    """``pkg_resources.safe_name``, keeping ``_`` (a wheel name reads it as ``-`` anyway) and trimming the ends:
    ``Foo Bar`` -> ``Foo-Bar``; "" when nothing is left."""
    return _SAFE_NAME_JUNK.sub("-", project).strip("-._")
