"""Pure eggs: the python tag comes from the egg's pyver; ``py2.py3`` only with evidence.

The Pygments-1.6-py2.7 egg on PyPI lists Python 3 classifiers but holds Python 2 only
syntax; tagged py2.py3, pip on Python 3 would install code that cannot be imported.
"""
import zipfile
from pathlib import Path

import pytest
from packaging.tags import Tag, compatible_tags
from packaging.utils import parse_wheel_filename

from migrate.wheels import pure_pair_tag
from migrate.wheels.convert import ConvertOptions, convert_egg
from migrate.wheels.tags import TagOptions
from tests.eggmaker import make_egg, pkg_info
from tests.runner import in_process

CLASSIFIERS = ("Classifier: Programming Language :: Python :: 2\n"
               "Classifier: Programming Language :: Python :: 3\n")


def pygments_like(path: Path) -> Path:
    """A py2.7 egg whose classifiers name Python 2 and 3 but whose code is Python 2 only."""
    return make_egg(path, {
        "EGG-INFO/PKG-INFO": pkg_info("lexy", "1.6", CLASSIFIERS, mv="1.1"),
        "EGG-INFO/top_level.txt": "lexy\n",
        "lexy/__init__.py": "try:\n    import foo\nexcept ImportError, err:\n    pass\n",
    })


def accepted_by(wheel: str, python: tuple) -> bool:
    """Whether an interpreter of that version accepts the wheel's tags (pure tags only)."""
    tags = parse_wheel_filename(Path(wheel).name)[3]
    accepted = set(compatible_tags(python_version=python, interpreter=f"cp{python[0]}{python[1]}", platforms=["any"]))
    return bool(tags & accepted)


def wheel_tags(wheel: str) -> list:
    with zipfile.ZipFile(wheel) as zf:
        text = zf.read("lexy-1.6.dist-info/WHEEL").decode()
    return [line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("Tag: ")]


def test_classifiers_alone_do_not_make_py2_py3(tmp_path):
    egg = pygments_like(tmp_path / "lexy-1.6-py2.7.egg")
    result = convert_egg(egg, tmp_path / "w")
    assert result.ok, result.problems
    assert Path(result.wheel).name == "lexy-1.6-py2-none-any.whl"
    assert wheel_tags(result.wheel) == ["py2-none-any"]
    assert accepted_by(result.wheel, (2, 7)) and not accepted_by(result.wheel, (3, 11))
    assert "no evidence" in result.tags.reason("python")


@pytest.mark.parametrize("pyver, expected", [("2.4", "py2"), ("2.7", "py2"), ("3.2", "py3"), ("3.10", "py3")])
def test_pure_tag_follows_the_pyver(tmp_path, pyver, expected):
    egg = pygments_like(tmp_path / f"lexy-1.6-py{pyver}.egg")
    result = convert_egg(egg, tmp_path / "w")
    assert Path(result.wheel).name == f"lexy-1.6-{expected}-none-any.whl"


def test_universal_is_the_users_word(tmp_path):
    egg = pygments_like(tmp_path / "lexy-1.6-py2.7.egg")
    result = convert_egg(egg, tmp_path / "w", ConvertOptions(tags=TagOptions(universal=True)))
    assert Path(result.wheel).name == "lexy-1.6-py2.py3-none-any.whl"
    assert wheel_tags(result.wheel) == ["py2-none-any", "py3-none-any"]
    assert accepted_by(result.wheel, (3, 11)) and "--universal" in result.tags.reason("python")


def test_universal_on_the_command_line(tmp_path):
    pygments_like(tmp_path / "eggs" / "lexy-1.6-py2.7.egg")
    for args, wheel in (([], "lexy-1.6-py2-none-any.whl"), (["--universal"], "lexy-1.6-py2.py3-none-any.whl")):
        out = tmp_path / ("w" + "".join(args))
        proc = in_process(["convert", tmp_path / "eggs", "-d", out, *args])
        assert proc.returncode == 0, proc.stderr
        assert [p.name for p in out.iterdir()] == [wheel]


@pytest.mark.parametrize("tags, expected", [
    (["py2", "py3"], "py2.py3"),
    (["py3", "py2"], "py2.py3"),
    (["py2", "py2"], "py2"),
    (["py2.py3", "py3"], "py2.py3"),
    (["cp27", "py3"], None),  # bytecode is tied to one CPython
    (["py27", "py3"], None),
    ([], None),
])
def test_pure_pair_tag(tags, expected):
    assert pure_pair_tag(tags) == expected


def test_pure_pair_tag_names_tags_pip_accepts():
    tag = pure_pair_tag(["py2", "py3"])
    assert {Tag(p, "none", "any") for p in tag.split(".")} <= (
        set(compatible_tags((2, 7), "cp27", ["any"])) | set(compatible_tags((3, 11), "cp311", ["any"])))
