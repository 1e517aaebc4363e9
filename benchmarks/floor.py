"""The floor of benchmarks/convert.py: inflate and sha256 every member of every egg in a folder.

    python benchmarks/floor.py EGG_DIR [--write OUT_DIR [--rules]]

The least any converter must do (RECORD needs each file's sha256), as a process of its own
that imports nothing but zipfile and hashlib (and io, which Python has loaded at start), so its start-up is Python's and no more:
timed like the converters, "ours / floor" compares whole processes fairly.

With --write it also writes one new file per egg into OUT_DIR, holding the egg's bytes (about
its wheel's size): the least a converter that leaves a wheel on disk must do. On many small
eggs creating the files costs the kernel more than the reading and hashing, and the
converters pay it too; "wheel convert / floor + files" is the best ratio any converter can
reach on that set.

With --rules it also keeps the two rules of this project that cost time whatever the
converter does: each file is written under a temporary name and made durable before it takes
its own (one ``syncfs`` of OUT_DIR's file system, then the renames and one fsync of OUT_DIR),
and each line of an egg's ``requires.txt`` is parsed with ``packaging``, imported when the
first such file is met (Requires-Dist is written from parsed requirements, never spliced as
text). Nothing else: no metadata, RECORD, tags, binary analysis or checks.
"wheel convert / floor + rules" is the best ratio a converter that keeps those rules can reach.
"""
import hashlib
import io
import os
import sys
import zipfile
from os import listdir, path


def main(folder, out=None, rules=False):
    written = []
    for name in sorted(listdir(folder)):
        if not name.endswith(".egg"):
            continue
        egg = path.join(folder, name)
        if out is not None:  # the egg read once: its bytes are written and then read as the zip
            with open(egg, "rb") as src:
                data = src.read()
            target = path.join(out, name[:-4] + ".whl")
            with open(target + ".part" if rules else target, "xb") as dst:
                dst.write(data)
            written.append(target)
            egg = io.BytesIO(data)
        with zipfile.ZipFile(egg) as zf:
            for info in zf.infolist():
                if rules and info.filename == "EGG-INFO/requires.txt":  # inflated once: hashed and parsed
                    data = zf.read(info)
                    hashlib.sha256(data)
                    parse_requirements(data.decode("utf-8"))
                    continue
                with zf.open(info) as fp:
                    h = hashlib.sha256()
                    for chunk in iter(lambda: fp.read(1 << 16), b""):
                        h.update(chunk)
    if rules:
        settle(out, written)


def parse_requirements(text):
    """Each requirement line of a requires.txt parsed by packaging (section headers and comments skipped)."""
    from packaging.requirements import Requirement

    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("[", "#")):
            Requirement(line)


def settle(out, written):
    """One syncfs of OUT's file system, then each file renamed to its own name, then OUT fsynced."""
    import ctypes

    fd = os.open(out, os.O_RDONLY)
    try:
        ctypes.CDLL(None, use_errno=True).syncfs(fd)
        for target in written:
            os.rename(target + ".part", target)
        os.fsync(fd)
    finally:
        os.close(fd)


if __name__ == "__main__":
    write = sys.argv[2:3] == ["--write"]
    main(sys.argv[1], sys.argv[3] if write else None, rules=write and sys.argv[4:5] == ["--rules"])
