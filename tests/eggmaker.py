"""Build small eggs (good, broken, hostile) inside tests with zipfile."""
from __future__ import annotations

import stat
import zipfile
from pathlib import Path


def pkg_info(name: str = "demo", version: str = "1.0", extra: str = "", mv: str = "1.0") -> str:
    return f"Metadata-Version: {mv}\nName: {name}\nVersion: {version}\nSummary: a demo\n{extra}"


def make_egg(path: Path, files: dict, symlinks: dict = None, duplicate: str = None) -> Path:
    """Write a zipped egg: {member: str|bytes}; symlinks {member: target}; duplicate repeats a member."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data.encode("utf-8") if isinstance(data, str) else data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
        if duplicate:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                zf.writestr(duplicate, "again")
    return path


def simple_egg(path: Path, name: str = "demo", version: str = "1.0", extra_files: dict = None, **kw) -> Path:
    files = {
        "EGG-INFO/PKG-INFO": pkg_info(name, version),
        "EGG-INFO/top_level.txt": f"{name}\n",
        f"{name}/__init__.py": "VALUE = 1\n",
    }
    files.update(extra_files or {})
    return make_egg(path, files, **kw)
