"""``egg-migrate pin`` keeps the promises of docs/pins.rst, each against a small mirror built here:
the user's own requirements' markers are evaluated for the target, every accepted wheel of a
pinned version is hashed, and a ``.metadata`` file that does not match the index is refused.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import tomllib

from migrate import mirror
from migrate.cli import main as cli
from tests.wheelmaker import make_wheel


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def pinned(text: str) -> dict:
    return {line.split("==")[0]: line.split("==")[1].rstrip(" \\") for line in text.splitlines()
            if "==" in line and not line.startswith("#")}


def hashes(text: str) -> set:
    return {line.strip().rstrip(" \\").split("sha256:")[1] for line in text.splitlines() if "--hash=sha256:" in line}


@pytest.fixture
def small_mirror(tmp_path) -> tuple:
    """(mirror root, {name: wheel path}) for a handful of one-file projects."""
    made = tmp_path / "made"
    wheels = {
        "py2only": make_wheel(made, "py2only", "1.0", {"py2only.py": "X = 2\n"}),
        "py3only": make_wheel(made, "py3only", "1.0", {"py3only.py": "X = 3\n"}),
        "linux2only": make_wheel(made, "linux2only", "1.0", {"linux2only.py": "X = 'linux2'\n"}),
        "needsdep": make_wheel(made, "needsdep", "1.0", {"needsdep.py": ""}, requires=["py2only"]),
        # two wheels of one version, both accepted by a cp27mu manylinux target
        "multi-pure": make_wheel(made, "multi", "1.0", {"multi.py": "PURE = True\n"}, tag="py2-none-any"),
        "multi-binary": make_wheel(made, "multi", "1.0", {"multi.py": "PURE = False\n"},
                                   tag="cp27-cp27mu-manylinux_2_5_x86_64.manylinux1_x86_64"),
    }
    root = tmp_path / "mirror"
    report = mirror.publish(sorted(wheels.values()), root)
    assert report.ok, report.problems
    return root, wheels


ROOTS = ['py2only; python_version < "3"', 'py3only; python_version >= "3"', 'linux2only; sys_platform == "linux2"']


@pytest.mark.parametrize("python, expected", [
    ("2.7", {"py2only", "linux2only"}),  # this host (3.x, sys_platform "linux") would say py3only only
    ("3.10", {"py3only"}),
])
def test_markers_on_the_users_requirements_are_evaluated_for_the_target(small_mirror, tmp_path, python, expected):
    root, _ = small_mirror
    out = tmp_path / "requirements.txt"
    assert cli(["pin", *ROOTS, "--mirror", str(root), "--target-python", python, "-o", str(out)]) == 0
    assert set(pinned(out.read_text())) == expected
    listed = tmp_path / "requirements.in"  # the same lines from a -r file
    listed.write_text("\n".join(ROOTS) + "\n")
    assert cli(["pin", "-r", str(listed), "--mirror", str(root), "--target-python", python, "-o", str(out)]) == 0
    assert set(pinned(out.read_text())) == expected


def test_every_wheel_of_the_version_the_target_accepts_is_hashed(small_mirror, tmp_path):
    root, wheels = small_mirror
    out, lock = tmp_path / "requirements.txt", tmp_path / "pylock.toml"
    assert cli(["pin", "multi", "--mirror", str(root), "--target-python", "2.7", "-o", str(out), "--lock", str(lock)]) == 0
    text = out.read_text()
    both = {sha256(wheels["multi-pure"]), sha256(wheels["multi-binary"])}
    assert pinned(text) == {"multi": "1.0"}
    assert hashes(text) == both  # pip --require-hashes accepts whichever of the two it picks
    (package,) = tomllib.loads(lock.read_text())["packages"]
    assert {w["hashes"]["sha256"] for w in package["wheels"]} == both
    # a target that accepts only one of them lists only that one
    assert cli(["pin", "multi", "--mirror", str(root), "--target-python", "2.7", "--target-abi", "cp27m", "-o", str(out)]) == 0
    assert hashes(out.read_text()) == {sha256(wheels["multi-pure"])}


def test_a_metadata_file_that_differs_from_the_index_is_refused(small_mirror, tmp_path, capsys):
    root, wheels = small_mirror
    target = root / "packages" / (wheels["py2only"].name + ".metadata")
    forged = target.read_bytes().replace(b"Version: 1.0\n", b"Version: 1.0\nRequires-Dist: py3only\n")
    assert forged != target.read_bytes()
    os.unlink(target)  # a new file, never the bytes a hard link may share
    target.write_bytes(forged)
    out = tmp_path / "requirements.txt"
    capsys.readouterr()
    assert cli(["pin", "needsdep", "--mirror", str(root), "--target-python", "2.7", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{target.name}: sha256 differs from the index's data-core-metadata" in err, err
    assert not out.exists()
