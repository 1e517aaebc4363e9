"""The floor of benchmarks/convert.py: inflate and sha256 every member of every egg in a folder.

    python benchmarks/floor.py EGG_DIR

The least any converter must do (RECORD needs each file's sha256), as a process of its own
that imports nothing but zipfile and hashlib, so its start-up is Python's and no more:
timed like the converters, "ours / floor" compares whole processes fairly.
"""
import hashlib
import sys
import zipfile
from os import listdir, path


def main(folder):
    for name in sorted(listdir(folder)):
        if not name.endswith(".egg"):
            continue
        with zipfile.ZipFile(path.join(folder, name)) as zf:
            for info in zf.infolist():
                with zf.open(info) as fp:
                    h = hashlib.sha256()
                    for chunk in iter(lambda: fp.read(1 << 16), b""):
                        h.update(chunk)


if __name__ == "__main__":
    main(sys.argv[1])
