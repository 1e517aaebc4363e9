"""The floor of benchmarks/convert.py: inflate and sha256 every member of every egg in a folder.

    python benchmarks/floor.py EGG_DIR [--write OUT_DIR]

The least any converter must do (RECORD needs each file's sha256), as a process of its own
that imports nothing but zipfile and hashlib (and io, which Python has loaded at start), so its start-up is Python's and no more:
timed like the converters, "ours / floor" compares whole processes fairly.

With --write it also writes one new file per egg into OUT_DIR, holding the egg's bytes (about
its wheel's size): the least a converter that leaves a wheel on disk must do. On many small
eggs creating the files costs the kernel more than the reading and hashing, and the
converters pay it too; "wheel convert / floor + files" is the best ratio any converter can
reach on that set.
"""
import hashlib
import io
import sys
import zipfile
from os import listdir, path


def main(folder, out=None):
    for name in sorted(listdir(folder)):
        if not name.endswith(".egg"):
            continue
        egg = path.join(folder, name)
        if out is not None:  # the egg read once: its bytes are written and then read as the zip
            with open(egg, "rb") as src:
                data = src.read()
            with open(path.join(out, name[:-4] + ".whl"), "xb") as dst:
                dst.write(data)
            egg = io.BytesIO(data)
        with zipfile.ZipFile(egg) as zf:
            for info in zf.infolist():
                with zf.open(info) as fp:
                    h = hashlib.sha256()
                    for chunk in iter(lambda: fp.read(1 << 16), b""):
                        h.update(chunk)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[3] if sys.argv[2:3] == ["--write"] else None)
