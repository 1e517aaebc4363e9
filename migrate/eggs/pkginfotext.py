"""PKG-INFO read exactly as ``pkginfo.Distribution.parse`` reads it, without the ``email`` package.

pkginfo parses PKG-INFO with ``email.parser`` (the compat32 policy), which costs more than
the rest of reading an egg's metadata together, and importing it (with ``tarfile`` and the
rest of ``email``) costs more at start-up than converting a small egg. This reader follows
the same steps on the common form of the file (lines end in ``\n`` or ``\r\n``): the header block ends at the first line that
is no header (a blank line is dropped, any other line starts the body), continuation lines
join their header, names match without case, the Metadata-Version says which fields are
read. What it does not follow step by step (a lone carriage return, other line breaks
``str.splitlines`` knows, a ``From `` line, a Content-Type header) goes to pkginfo itself,
the oracle the tests hold this reader to.
"""
from __future__ import annotations

import re
from typing import Optional

_HEADER = re.compile(r"^(From |[\041-\071\073-\176]*:|[\t ])")  # email.feedparser.headerRE
_ODD_BREAKS = re.compile("\r(?!\n)|[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")  # line breaks besides \n and \r\n

# (header, attribute, many values) added by each Metadata-Version, as pkginfo 1.12 lists them.
_V1_0 = (
    ("Metadata-Version", "metadata_version", False), ("Name", "name", False), ("Version", "version", False),
    ("Platform", "platforms", True), ("Supported-Platform", "supported_platforms", True),
    ("Summary", "summary", False), ("Description", "description", False), ("Keywords", "keywords", False),
    ("Home-Page", "home_page", False), ("Author", "author", False), ("Author-email", "author_email", False),
    ("License", "license", False),
)
_V1_1 = _V1_0 + (
    ("Classifier", "classifiers", True), ("Download-URL", "download_url", False), ("Requires", "requires", True),
    ("Provides", "provides", True), ("Obsoletes", "obsoletes", True),
)
_V1_2 = _V1_1 + (
    ("Maintainer", "maintainer", False), ("Maintainer-email", "maintainer_email", False),
    ("Requires-Python", "requires_python", False), ("Requires-External", "requires_external", True),
    ("Requires-Dist", "requires_dist", True), ("Provides-Dist", "provides_dist", True),
    ("Obsoletes-Dist", "obsoletes_dist", True), ("Project-URL", "project_urls", True),
)
_V2_1 = _V1_2 + (("Provides-Extra", "provides_extras", True), ("Description-Content-Type", "description_content_type", False))
_V2_2 = _V2_1 + (("Dynamic", "dynamic", True),)
_V2_4 = _V2_2 + (("License-Expression", "license_expression", False), ("License-File", "license_file", True))
_V2_5 = _V2_4 + (("Import-Name", "import_names", True), ("Import-Namespace", "import_namespaces", True))
FIELDS_BY_VERSION = {"1.0": _V1_0, "1.1": _V1_1, "1.2": _V1_2, "2.0": _V1_2, "2.1": _V2_1, "2.2": _V2_2,
                     "2.3": _V2_2, "2.4": _V2_4, "2.5": _V2_5}
_NEWEST = (2, 5)


def read_pkg_info(text: str) -> dict[str, object]:
    """{attribute: value} of the fields pkginfo would set from ``text`` (str, or list of str for
    the many-valued ones); attributes it would leave unset are absent."""
    fast = _read(text)
    if fast is not None:
        return fast
    from pkginfo.distribution import Distribution  # the rare forms: pkginfo itself

    dist = Distribution()
    dist.parse(text.encode("utf-8"))
    return {attr: getattr(dist, attr) for attr in vars(dist)}


def _read(text: str) -> Optional[dict[str, object]]:
    """The fields, or None for a form this reader leaves to pkginfo."""
    if _ODD_BREAKS.search(text):
        return None
    lines = text.splitlines(True)
    count = 0
    for line in lines:
        if not _HEADER.match(line):
            break
        if line.startswith("From "):
            return None
        count += 1
    headers = _headers(lines[:count])
    if headers is None:
        return None
    skip = 1 if count < len(lines) and lines[count] in ("\n", "\r\n") else 0  # the blank separator line
    body = "".join(lines[count + skip:])
    return _fields(headers, body)


def _headers(lines: list[str]) -> Optional[list[tuple[str, str]]]:
    """[(name, raw value)] as ``FeedParser._parse_headers`` and compat32 ``header_source_parse`` make them."""
    found: list[tuple[str, str]] = []
    current: list[str] = []
    for line in lines:
        if line[0] in " \t":
            if current:
                current.append(line)
            continue  # a continuation with no header before it is dropped
        if current:
            found.append(_joined(current))
            current = []
        if line.index(":") > 0:  # ":value" (no name) is dropped
            current = [line]
    if current:
        found.append(_joined(current))
    if any(name.lower() == "content-type" for name, _ in found):
        return None  # a MIME type would change how the body is parsed
    return found


def _joined(lines: list[str]) -> tuple[str, str]:
    name, value = lines[0].split(":", 1)
    return name, (value.lstrip(" \t") + "".join(lines[1:])).rstrip("\r\n")


def _collapse(header: str, value: str) -> str:
    """pkginfo's ``_collapse_leading_ws``: Description keeps its lines, other values become one line."""
    if header.lower() == "description":
        return "\n".join(x[8:] if x.startswith(" " * 8) else x for x in value.strip().splitlines())
    return " ".join(x.strip() for x in value.splitlines())


def _fields(headers: list[tuple[str, str]], body: str) -> dict[str, object]:
    by_name: dict[str, list[str]] = {}
    for name, value in headers:
        by_name.setdefault(name.lower(), []).append(value)
    out: dict[str, object] = {}
    if "metadata-version" in by_name:
        out["metadata_version"] = _collapse("Metadata-Version", by_name["metadata-version"][0])
    for header, attr, many in _fields_of(out.get("metadata_version")):
        values = by_name.get(header.lower())
        if attr == "metadata_version" or values is None:
            continue
        if many:
            out[attr] = [_collapse(header, v) for v in values]
        else:
            value = _collapse(header, values[0])
            if value != "UNKNOWN":
                out[attr] = value
    if body:
        out["description"] = body
    return out


def _fields_of(metadata_version: object) -> tuple[tuple[str, str, bool], ...]:
    """The fields pkginfo reads for a Metadata-Version: none for a version it does not know,
    the newest it knows for a later one."""
    known = FIELDS_BY_VERSION.get(metadata_version) if isinstance(metadata_version, str) else None
    if known is not None:
        return known
    if not isinstance(metadata_version, str):
        return ()
    try:
        number = tuple(int(part) for part in metadata_version.split("."))
    except ValueError:
        return ()
    return _V2_5 if number > _NEWEST else ()
