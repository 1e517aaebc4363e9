"""The generated files of a wheel: METADATA, WHEEL, RECORD and a ``-nspkg.pth``.

METADATA uses the lowest Metadata-Version whose fields cover what is written
(core metadata spec, "Metadata-Version"): 2.1 once there is an extra or a
Description-Content-Type, 1.2 for Requires-Dist, 1.1 for classifiers.
"""
from __future__ import annotations

import csv
import io
from typing import Iterable, Optional

from migrate import __version__
from migrate.eggs import EggInfo
from migrate.wheels.tags import WheelTags
from migrate.wheels.wheelzip import Written

# (METADATA header, EggInfo/Metadata attribute, first Metadata-Version that has it)
_SINGLE = (
    ("Summary", "summary", "1.0"),
    ("Keywords", "keywords", "1.0"),
    ("Home-page", "home_page", "1.0"),
    ("Download-URL", "download_url", "1.1"),
    ("Author", "author", "1.0"),
    ("Author-email", "author_email", "1.0"),
    ("Maintainer", "maintainer", "1.2"),
    ("Maintainer-email", "maintainer_email", "1.2"),
    ("License", "license", "1.0"),
    ("License-Expression", "license_expression", "2.4"),
    ("Requires-Python", "requires_python", "1.2"),
    ("Description-Content-Type", "description_content_type", "2.1"),
)
_MULTI = (
    ("Platform", "platforms", "1.0"),
    ("Supported-Platform", "supported_platforms", "1.1"),
    ("Classifier", "classifiers", "1.1"),
    ("Project-URL", "project_urls", "1.2"),
    ("Requires-External", "requires_external", "1.2"),
    ("Provides-Dist", "provides_dist", "1.2"),
    ("Obsoletes-Dist", "obsoletes_dist", "1.2"),
)


def _vkey(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split("."))


def render_metadata(info: EggInfo, name: str, version: str) -> bytes:
    """METADATA for the wheel: the egg's PKG-INFO fields plus merged requirements."""
    fields = _fields(info)
    needed = "1.0"
    for _header, _value, since in fields:
        if _vkey(since) > _vkey(needed):
            needed = since
    out = io.StringIO()
    out.write(f"Metadata-Version: {needed}\nName: {name}\nVersion: {version}\n")
    for header, value, _since in fields:
        out.write(f"{header}: {value}\n")
    out.write(_description(info.metadata.description, needed))
    return out.getvalue().encode("utf-8")


def _fields(info: EggInfo) -> list[tuple[str, str, str]]:
    """(header, value on one line, first Metadata-Version with the header) of each field, in METADATA's order."""
    single = dict(info.metadata.single)
    multi = dict(info.metadata.multi)
    fields = [(header, value, since) for header, attr, since in _MULTI[:2] for value in multi.get(attr, ())]
    fields += [(header, single[attr], since) for header, attr, since in _SINGLE if single.get(attr)]
    fields += [(header, value, since) for header, attr, since in _MULTI[2:] for value in multi.get(attr, ())]
    fields += [("Requires-Dist", req, "1.2") for req in info.requires_dist]
    fields += [("Provides-Extra", extra, "2.1") for extra in info.provides_extra]
    return [(header, _one_line(header, value), since) for header, value, since in fields]


def _one_line(header: str, value: str) -> str:
    """A header's value on one line: every whitespace run one space (Keywords: only newlines replaced)."""
    return value.replace("\n", " ") if header == "Keywords" else " ".join(value.split())


def _description(description: Optional[str], needed: str) -> str:
    """The description: the message body from Metadata-Version 2.1, a folded Description header before."""
    if not description:
        return ""
    if _vkey(needed) >= (2, 1):
        return "\n" + description
    lines = description.rstrip("\n").split("\n")
    return "Description: " + lines[0] + "\n" + "".join("        " + line + "\n" for line in lines[1:])


def render_wheel(tags: WheelTags) -> bytes:
    lines = [
        "Wheel-Version: 1.0",
        f"Generator: egg-migrate ({__version__})",
        f"Root-Is-Purelib: {'true' if tags.is_pure else 'false'}",
    ]
    lines += [f"Tag: {tag}" for tag in tags.expanded()]
    return ("\n".join(lines) + "\n\n").encode("ascii")


def render_record(written: Iterable[Written], record_path: str) -> bytes:
    """RECORD: every file with its sha256 and size, RECORD itself last without them."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for entry in written:
        writer.writerow((entry.arcname, entry.sha256, entry.size))
    writer.writerow((record_path, "", ""))
    return out.getvalue().encode("utf-8")


_NSPKG_LINES = (
    "import sys, types, os",
    "has_mfs = sys.version_info > (3, 5)",
    "p = os.path.join(sys._getframe(1).f_locals['sitedir'], *%(pth)r)",
    "importlib = has_mfs and __import__('importlib.util')",
    "has_mfs and __import__('importlib.machinery')",
    "m = has_mfs and sys.modules.setdefault(%(pkg)r, importlib.util.module_from_spec("
    "importlib.machinery.PathFinder.find_spec(%(pkg)r, [os.path.dirname(p)])))",
    "m = m or sys.modules.setdefault(%(pkg)r, types.ModuleType(%(pkg)r))",
    "mp = (m or []) and m.__dict__.setdefault('__path__',[])",
    "(p not in mp) and mp.append(p)",
)
_NSPKG_CHILD = "m and setattr(sys.modules[%(parent)r], %(child)r, m)"


def render_nspkg_pth(namespaces: Iterable[str]) -> bytes:
    """What setuptools' ``install_lib`` wrote for pkg_resources namespace packages.

    Same lines as ``setuptools.namespaces.Installer`` (one per package, parents
    first), so two wheels sharing a namespace install side by side without
    either shipping the namespace's ``__init__.py``.
    """
    packages: set[str] = set()
    for ns in namespaces:
        parts = ns.split(".")
        packages.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    lines = []
    for pkg in sorted(packages):
        parent, _, child = pkg.rpartition(".")
        tmpl = _NSPKG_LINES + ((_NSPKG_CHILD,) if parent else ())
        lines.append(";".join(tmpl) % {"pth": tuple(pkg.split(".")), "pkg": pkg, "parent": parent, "child": child} + "\n")
    return "".join(lines).encode("utf-8")
