"""Eggs made here from the committed binaries in tests/fixtures/binaries (GLIBC_2.34, a blacklisted
zlib symbol, UCS2, PyFPE, x86-64-v3, a bundled library with and without an $ORIGIN RPATH, i686,
a text ``.so``), converted once per session (``made_wheels`` in tests/conftest.py): the binary
tests read their tags, and the 3.10 ones that must work go into the session's 3.10 venv.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

from migrate.wheels.convert import convert_egg

BINARIES = Path(__file__).parent / "fixtures" / "binaries"

# egg name -> {path in the egg: committed binary}
MADE_EGGS = {
    "gl234-1.0-py3.10-linux-x86_64.egg": {"gl234.cpython-310-x86_64-linux-gnu.so": "gl234.so"},
    "zblack-1.0-py3.10-linux-x86_64.egg": {"zblack.cpython-310-x86_64-linux-gnu.so": "zblack.so"},
    "usefoo-1.0-py3.10-linux-x86_64.egg": {"usefoo.cpython-310-x86_64-linux-gnu.so": "bundled/usefoo.so",
                                           ".libs/libfoo.so.1": "bundled/libfoo.so.1"},
    "usefoo_norpath-1.0-py3.10-linux-x86_64.egg": {"usefoo.so": "bundled/usefoo-norpath.so",
                                                   "libfoo.so.1": "bundled/libfoo.so.1"},
    "ucs2-1.0-py2.7-linux-x86_64.egg": {"ucs2.so": "ucs2.so"},
    "pyfpe-1.0-py2.7-linux-x86_64.egg": {"pyfpe.so": "pyfpe.so"},
    "isav3-1.0-py3.10-linux-x86_64.egg": {"isav3.so": "isav3.so"},
    "i686-1.0-py3.10-linux-i686.egg": {"i686.so": "i686.so"},
    "textso-1.0-py3.10-linux-x86_64.egg": {"gl234.so": "gl234.so", "notes.so": "text.so"},
}
# The made eggs whose wheels stock pip on 3.10 installs and whose C functions are called.
WORK_ON_310 = ("gl234-1.0-py3.10-linux-x86_64.egg", "zblack-1.0-py3.10-linux-x86_64.egg",
               "usefoo-1.0-py3.10-linux-x86_64.egg")


def make_egg(dest: Path, name: str, files: dict) -> Path:
    project, version = name.split("-")[:2]
    with zipfile.ZipFile(dest / name, "w") as z:
        z.writestr("EGG-INFO/PKG-INFO", f"Metadata-Version: 1.0\nName: {project}\nVersion: {version}\n")
        for arcname, source in files.items():
            z.writestr(arcname, (BINARIES / source).read_bytes())
    return dest / name


def convert_made_eggs(folder: Path) -> dict:
    """{egg name: ConvertResult} of every made egg, eggs and wheels under ``folder``."""
    eggs, out = folder / "eggs", folder / "wheels"
    eggs.mkdir()
    return {name: convert_egg(make_egg(eggs, name, files), out) for name, files in MADE_EGGS.items()}
