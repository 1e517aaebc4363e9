"""scripts/real-eggs without the network: the committed egg list is well formed, and the judging
(tag patterns, versions, refusals, collisions, scripts) says what the docs say it does."""
from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
sys.path.insert(0, str(SCRIPTS))
import real_eggs  # noqa: E402

# pkg_resources.EGG_NAME (the converter's own parser is under test elsewhere: it refuses 2007d today)
EGG_NAME = re.compile(r"(?P<name>[^-]+)-(?P<ver>[^-]+)-py(?P<pyver>\d\.\d+)(-(?P<plat>.+))?\.egg", re.I)

EGGS = real_eggs.load(real_eggs.LIST)
CLASSES = {"linux-i686", "linux-x86_64", "win32", "win-amd64", "freebsd", "macos-ppc", "macos-i386",
           "macos-fat", "macos-intel", "pure-py2", "pure-py3", "pure-pair", "namespace", "scripts",
           "legacy-version"}


def egg(**expect) -> real_eggs.Egg:
    base = {"python": ["cp25"], "abi": ["cp25mu"], "platform": ["manylinux*_i686", "linux_i686"]}
    return real_eggs.Egg(file="x-1.0-py2.5-linux-i686.egg", project="x", url="", sha256="", cls="linux-i686",
                         expect={**base, **expect})


def test_the_list_is_well_formed():
    assert len(EGGS) >= 40
    assert len({e.file for e in EGGS}) == len(EGGS)
    for e in EGGS:
        assert re.fullmatch(r"[0-9a-f]{64}", e.sha256), e.file
        assert e.url.startswith("https://files.pythonhosted.org/packages/") and e.url.endswith("/" + e.file)
        assert EGG_NAME.fullmatch(e.file), e.file
        assert e.evidence, e.file
        if "refuse" not in e.expect:
            for part in real_eggs.PARTS:
                assert e.expect[part] and all(p == p.lower() for p in e.expect[part]), (e.file, part)


def test_the_list_covers_every_class():
    assert CLASSES <= {e.cls for e in EGGS}
    assert len([e for e in EGGS if e.group == "paste"]) >= 2


@pytest.mark.parametrize("found, allowed, ok", [
    ({"cp27m", "cp27mu"}, ["cp27m", "cp27mu"], True),
    ({"cp27mu"}, ["cp27m", "cp27mu"], True),
    ({"cp27mu"}, ["cp25mu"], False),
    ({"manylinux_2_5_x86_64", "manylinux1_x86_64"}, ["manylinux*_x86_64", "linux_x86_64"], True),
    ({"manylinux_2_5_i686"}, ["freebsd_6_2_release_p3_i386"], False),
    ({"py2", "py3"}, ["py2", "py27"], False),
    ({"py2", "py3"}, ["py2", "py27", "py2.py3"], True),
    ({"py3"}, ["py2", "py27", "py2.py3"], False),
    (set(), ["any"], False),
])
def test_tag_set_ok(found, allowed, ok):
    assert real_eggs.tag_set_ok(found, allowed) is ok


def test_check_name_names_each_wrong_part():
    problems = real_eggs.check_name(egg(), "x-1.0-cp25-cp27mu-manylinux_2_5_i686.manylinux1_i686.whl")
    assert problems == ["abi cp27mu not in cp25mu"]
    assert real_eggs.check_name(egg(), "x-1.0-cp25-cp25mu-linux_i686.whl") == []
    assert real_eggs.check_name(egg(), "y-1.0-cp25-cp25mu-linux_i686.whl") == ["project y, expected x"]


def test_versions_compare_as_pep_440():
    assert real_eggs.check_name(egg(version=["0.6c11"]), "x-0.6rc11-cp25-cp25mu-linux_i686.whl") == []
    assert real_eggs.check_name(egg(version=["2007+d"]), "x-2007-cp25-cp25mu-linux_i686.whl") == [
        "version 2007, expected 2007+d"]


def test_judge_refusals():
    refused = {"status": "failed", "reason": "x.egg: version '2007d' cannot be made PEP 440"}
    assert real_eggs.judge(egg(), refused).problems == [f"refused: {refused['reason']}"]
    wants_refusal = real_eggs.Egg("x.egg", "x", "", "", "c", {"refuse": "PEP 440"})
    assert real_eggs.judge(wants_refusal, refused).problems == []
    other = {"status": "failed", "reason": "something else"}
    assert real_eggs.judge(wants_refusal, other).problems
    assert real_eggs.judge(egg(), None).problems


def test_judge_checks_scripts_in_the_wheel(tmp_path):
    wheel = tmp_path / "x-1.0-cp25-cp25mu-linux_i686.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("x-1.0.data/scripts/paster", "#!python\n")
    record = {"status": "converted", "wheel_path": str(wheel)}
    assert real_eggs.judge(egg(scripts=["paster"]), record).problems == []
    assert real_eggs.judge(egg(scripts=["cherryd"]), record).problems == [
        "scripts missing from .data/scripts: cherryd"]


def test_collisions():
    def outcome(python):
        o = real_eggs.Outcome(real_eggs.Egg("a.egg", "x", "", "", "c", {"python": python}))
        o.wheel_path = "/w/x-1.0-py2.py3-none-any.whl"
        return o

    strict = [outcome(["py2"]), outcome(["py3"])]
    real_eggs.collisions(strict)
    assert all("is also the wheel of" in o.problems[0] for o in strict)
    merged = [outcome(["py2", "py2.py3"]), outcome(["py3", "py2.py3"])]
    real_eggs.collisions(merged)
    assert all(not o.problems for o in merged)


def test_only_selects_by_file_project_or_class():
    assert {e.project for e in real_eggs.selected(EGGS, ["paste"])} >= {"paste", "pastedeploy", "pastescript"}
    assert {e.cls for e in real_eggs.selected(EGGS, ["freebsd"])} == {"freebsd"}
    assert real_eggs.selected(EGGS, []) == EGGS
