"""The generated files of a wheel: METADATA, WHEEL, RECORD and a ``-nspkg.pth``.

METADATA uses the lowest Metadata-Version whose fields cover what is written
(core metadata spec, "Metadata-Version"): 2.1 once there is an extra or a
Description-Content-Type, 1.2 for Requires-Dist, 1.1 for classifiers.
"""
from __future__ import annotations

import csv
import io
from typing import Iterable

from migrate import __version__
from migrate.eggs.egginfo import EggInfo
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


def _vkey(v: str):
    return tuple(int(x) for x in v.split("."))


def render_metadata(info: EggInfo, name: str, version: str) -> bytes:
    """METADATA for the wheel: the egg's PKG-INFO fields plus merged requirements."""
    meta = info.metadata
    single = dict(meta.single)
    multi = dict(meta.multi)
    headers = []
    needed = "1.0"

    def add(header: str, value: str, since: str) -> None:
        nonlocal needed
        headers.append((header, " ".join(value.split()) if header != "Keywords" else value.replace("\n", " ")))
        if _vkey(since) > _vkey(needed):
            needed = since

    for header, attr, since in _MULTI[:2]:
        for value in multi.get(attr, ()):
            add(header, value, since)
    for header, attr, since in _SINGLE:
        if single.get(attr):
            add(header, single[attr], since)
    for header, attr, since in _MULTI[2:]:
        for value in multi.get(attr, ()):
            add(header, value, since)
    for req in info.requires_dist:
        add("Requires-Dist", req, "1.2")
    for extra in info.provides_extra:
        add("Provides-Extra", extra, "2.1")

    out = io.StringIO()
    out.write(f"Metadata-Version: {needed}\nName: {name}\nVersion: {version}\n")
    for header, value in headers:
        out.write(f"{header}: {value}\n")
    description = meta.description
    if description and _vkey(needed) >= (2, 1):
        out.write("\n" + description)
    elif description:
        lines = description.rstrip("\n").split("\n")
        out.write("Description: " + lines[0] + "\n")
        for line in lines[1:]:
            out.write("        " + line + "\n")
    return out.getvalue().encode("utf-8")


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
    packages = set()
    for ns in namespaces:
        parts = ns.split(".")
        packages.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    lines = []
    for pkg in sorted(packages):
        parent, _, child = pkg.rpartition(".")
        tmpl = _NSPKG_LINES + ((_NSPKG_CHILD,) if parent else ())
        lines.append(";".join(tmpl) % {"pth": tuple(pkg.split(".")), "pkg": pkg, "parent": parent, "child": child} + "\n")
    return "".join(lines).encode("utf-8")
