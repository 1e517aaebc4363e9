"""One wheel name, one decision (``convert``): eggs of one release that would make one wheel.

Identical files -> one wheel and a note; a pure py2/py3 pair -> one wheel each; any other
clash -> the later egg (in the order given) refused with a line naming both, exit 1.
The same with ``-j 1`` and ``-j 2``. ``run`` and the mirror: tests/test_collisions_run.py.
"""
from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from migrate.wheels import REFUSE, RETAG, SAME, WheelClaim, decide
from tests.conftest import pip_install, py
from tests.eggmaker import make_egg, pkg_info
from tests.runner import in_process

BOTH = "Classifier: Programming Language :: Python :: 2\nClassifier: Programming Language :: Python :: 3\n"


def egg(folder: Path, filename: str, code: str, name: str = "docu", classifiers: str = BOTH,
        extra: dict = None) -> Path:
    files = {"EGG-INFO/PKG-INFO": pkg_info(name, "0.12", classifiers, mv="1.1"),
             "EGG-INFO/top_level.txt": "docu\n", "docu/__init__.py": code}
    files.update(extra or {})
    return make_egg(folder / filename, files)


def convert(dest: Path, *eggs: Path, jobs: int = 1, options: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """``egg-migrate convert EGGS -d DEST -j JOBS OPTIONS`` by its entry point, in this process."""
    return in_process(["convert", *eggs, "-d", dest, "-j", str(jobs), *options])


def wheels(dest: Path) -> dict[str, tuple[list[str], bytes]]:
    """{wheel file name: (its WHEEL Tag lines, docu/__init__.py)}; and nothing else in the folder."""
    found = {}
    assert all(p.suffix == ".whl" for p in dest.iterdir()), sorted(dest.iterdir())  # no staging left
    for p in sorted(dest.glob("*.whl")):
        with zipfile.ZipFile(p) as zf:
            wheel_file = next(n for n in zf.namelist() if n.endswith(".dist-info/WHEEL"))
            tags = [line[5:] for line in zf.read(wheel_file).decode().splitlines() if line.startswith("Tag: ")]
            found[p.name] = (tags, zf.read("docu/__init__.py"))
    return found


@pytest.mark.parametrize("jobs", [1, 2])
def test_2to3_pair_keeps_one_wheel_per_python(tmp_path, jobs):
    """Classifiers name Python 2 and 3, so each egg alone would be py2.py3: the py3 wheel replaced
    the py2 one and pip on 2.7 installed Python 3 code. Now each keeps its own major."""
    two = egg(tmp_path, "docu-0.12-py2.7.egg", "print 'two'\n")
    three = egg(tmp_path, "docu-0.12-py3.8.egg", "print('three')\n")
    proc = convert(tmp_path / "w", two, three, jobs=jobs)
    assert proc.returncode == 0, proc.stderr
    assert wheels(tmp_path / "w") == {
        "docu-0.12-py2-none-any.whl": (["py2-none-any"], b"print 'two'\n"),
        "docu-0.12-py3-none-any.whl": (["py3-none-any"], b"print('three')\n"),
    }
    assert proc.stdout.count("ok      ") == 2


@pytest.mark.parametrize("jobs", [1, 2])
def test_identical_py2_py3_pair_is_one_universal_wheel_when_asked(tmp_path, jobs):
    """The same files built for py2.7 and py3.8 are the evidence that one py2.py3 wheel serves both."""
    two = egg(tmp_path, "docu-0.12-py2.7.egg", "X = 1\n", classifiers="")
    three = egg(tmp_path, "docu-0.12-py3.8.egg", "X = 1\n", classifiers="")
    proc = convert(tmp_path / "w", two, three, jobs=jobs, options=("--join-py2-py3",))
    assert proc.returncode == 0, proc.stderr
    assert wheels(tmp_path / "w") == {"docu-0.12-py2.py3-none-any.whl": (["py2-none-any", "py3-none-any"], b"X = 1\n")}
    assert ("same    docu-0.12-py3.8.egg: the same files as docu-0.12-py2.7.egg; its wheel "
            "docu-0.12-py2.py3-none-any.whl serves both") in proc.stdout
    # without --join-py2-py3 each keeps the tag of its own Python: two correct wheels
    proc = convert(tmp_path / "w2", two, three, jobs=jobs)
    assert proc.returncode == 0, proc.stderr
    assert sorted(wheels(tmp_path / "w2")) == ["docu-0.12-py2-none-any.whl", "docu-0.12-py3-none-any.whl"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_two_spellings_with_other_files_refuse_the_later(tmp_path, jobs):
    first = egg(tmp_path, "Docu_Tool-0.12-py2.7.egg", "FIRST = 1\n", name="Docu_Tool", classifiers="")
    second = egg(tmp_path, "docu.tool-0.12-py2.7.egg", "SECOND = 1\n", name="Docu_Tool", classifiers="")
    proc = convert(tmp_path / "w", first, second, jobs=jobs)
    assert proc.returncode == 1
    assert wheels(tmp_path / "w") == {"docu_tool-0.12-py2-none-any.whl": (["py2-none-any"], b"FIRST = 1\n")}
    assert ("FAILED  docu.tool-0.12-py2.7.egg: would make docu_tool-0.12-py2-none-any.whl as "
            "Docu_Tool-0.12-py2.7.egg does, with other files; refused (Docu_Tool-0.12-py2.7.egg is kept)"
            ) in proc.stderr.splitlines()
    # the order given decides, not the file names
    again = convert(tmp_path / "w2", second, first, jobs=jobs)
    assert again.returncode == 1
    assert wheels(tmp_path / "w2") == {"docu_tool-0.12-py2-none-any.whl": (["py2-none-any"], b"SECOND = 1\n")}


def test_two_spellings_with_the_same_files_make_one_wheel(tmp_path):
    first = egg(tmp_path, "Docu_Tool-0.12-py2.7.egg", "X = 1\n", name="Docu_Tool", classifiers="")
    second = egg(tmp_path, "docu.tool-0.12-py2.7.egg", "X = 1\n", name="Docu_Tool", classifiers="")
    proc = convert(tmp_path / "w", first, second, jobs=2)
    assert proc.returncode == 0, proc.stderr
    assert list(wheels(tmp_path / "w")) == ["docu_tool-0.12-py2-none-any.whl"]
    assert "same    docu.tool-0.12-py2.7.egg: the same files as Docu_Tool-0.12-py2.7.egg" in proc.stdout


def _develop_checkout(root: Path) -> Path:
    """``python setup.py develop`` of docu 0.12: the code beside ``docu.egg-info``, no script."""
    (root / "docu").mkdir(parents=True)
    (root / "docu" / "__init__.py").write_text("X = 1\n")
    info = root / "docu.egg-info"
    info.mkdir()
    (info / "PKG-INFO").write_text(pkg_info("docu", "0.12", BOTH, mv="1.1"))
    (info / "top_level.txt").write_text("docu\n")
    return info


@pytest.mark.parametrize("jobs", [1, 2])
def test_develop_egg_info_beside_the_real_egg_never_replaces_it(tmp_path, jobs):
    """Both are ``docu-0.12-py2.py3-none-any.whl``; the develop one lacks the real egg's script."""
    real = egg(tmp_path, "docu-0.12-py2.7.egg", "X = 1\n", extra={"EGG-INFO/scripts/docu-run": "#!python\nprint(1)\n"})
    develop = _develop_checkout(tmp_path / "checkout")
    proc = convert(tmp_path / "w", real, develop, jobs=jobs)
    assert proc.returncode == 1
    (name, _), = wheels(tmp_path / "w").items()
    with zipfile.ZipFile(tmp_path / "w" / name) as zf:
        assert "docu-0.12.data/scripts/docu-run" in zf.namelist()
    refusal = [line for line in proc.stderr.splitlines() if line.startswith("FAILED")]
    assert refusal == [f"FAILED  docu.egg-info: would make {name} as docu-0.12-py2.7.egg does, with other files; "
                       "refused (docu-0.12-py2.7.egg is kept)"]


def test_pip_takes_the_wheel_of_its_own_python(tmp_path, make_venv):
    """The point of it all: pip on 2.7 installs the py2 code, pip on 3 the py3 code."""
    egg(tmp_path, "docu-0.12-py2.7.egg", "WHICH = 'two'\n")
    egg(tmp_path, "docu-0.12-py3.8.egg", "WHICH = 'three'\n")
    assert convert(tmp_path / "w", tmp_path).returncode == 0
    for version, which in (("2.7", "two"), ("3.10", "three")):
        python = make_venv(version)
        pip_install(python, "--no-index", "--find-links", str(tmp_path / "w"), "docu")
        assert py(python, "import docu; print(docu.WHICH)") == which


def claim(egg: str, python: str, major, abi: str = "none", platform: str = "any", project: str = "docu"):
    return WheelClaim(egg, project, "0.12", python, abi, platform, major)


def test_decide_in_input_order_only():
    claims = [claim("b.egg", "py2", 2), claim("a.egg", "py2", 2), None, claim("c.egg", "py2", 2, project="Docu")]
    digests = {0: "x", 1: "y", 3: "y"}
    decisions = decide(claims, digests.__getitem__)
    assert [d.action if d else None for d in decisions] == ["keep", REFUSE, None, REFUSE]
    assert decisions[1].other == 0 and decisions[3].other == 0


def test_decide_narrows_a_pure_pair_and_never_binaries():
    pure = decide([claim("a-py2.7.egg", "py2.py3", 2), claim("a-py3.8.egg", "py2.py3", 3)], {0: "x", 1: "y"}.get)
    assert [(d.action, d.python) for d in pure] == [(RETAG, "py2"), (RETAG, "py3")]
    binary = decide([claim("b1.egg", "cp27", 2, "cp27mu", "linux_x86_64"),
                     claim("b2.egg", "cp27", 2, "cp27m.cp27mu", "linux_x86_64")], {0: "x", 1: "y"}.get)
    assert [d.action for d in binary] == ["keep", REFUSE]
    other_abi = decide([claim("b1.egg", "cp27", 2, "cp27mu", "linux_x86_64"),
                        claim("b2.egg", "cp27", 2, "cp27m", "linux_x86_64")], {0: "x", 1: "y"}.get)
    assert [d.action for d in other_abi] == ["keep", "keep"]


def test_decide_keeps_a_shared_wheel_whole():
    """A py2.py3 wheel serving two identical eggs is not narrowed by a third egg: that one is refused."""
    claims = [claim("a-py2.7.egg", "py2", 2), claim("a-py3.8.egg", "py3", 3), claim("a-py3.9.egg", "py3", 3)]
    decisions = decide(claims, {0: "x", 1: "x", 2: "z"}.get, join=True)
    assert [(d.action, d.python) for d in decisions] == [(RETAG, "py2.py3"), (SAME, "py2.py3"), (REFUSE, "py3")]
    apart = decide(claims, {0: "x", 1: "x", 2: "z"}.get)  # not joined: py2 and py3 stay apart, py3.9 clashes
    assert [(d.action, d.python) for d in apart] == [("keep", "py2"), ("keep", "py3"), (REFUSE, "py3")]


def test_an_unwritable_wheel_dir_is_one_line(tmp_path):
    """The staging folder lives in WHEEL_DIR: when it cannot be made, one line and exit 1, no traceback."""
    (tmp_path / "file").write_text("")
    proc = convert(tmp_path / "file" / "w", egg(tmp_path, "docu-0.12-py2.7.egg", "X = 1\n"))
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [f"egg-migrate: {tmp_path / 'file' / 'w'}: cannot write "
                                        "(not a folder (a file is in the way))"]


def test_decide_says_why_each_narrowed_tag_changed():
    both = decide([claim("docu-0.12-py2.7.egg", "py2.py3", 2), claim("docu-0.12-py3.8.egg", "py2.py3", 3)],
                  {0: "x", 1: "y"}.get)
    assert [d.message for d in both] == [
        "pure code built for Python 2; docu-0.12-py3.8.egg (other files) is the Python 3 build",
        "pure code built for Python 3; docu-0.12-py2.7.egg (other files) is the Python 2 build"]
