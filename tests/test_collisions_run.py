"""One wheel name, one decision in ``run``, and a wheel store keyed on everything the wheel depends on.

The store used to key on the egg's bytes and the options only: the same bytes under two
names shared one record (the mirror served ``*-py2-none-any.whl`` whose WHEEL said py3,
and the manifest's sha256 was another file's), ``-j 2`` converted both in one staging
folder, and 150 copies aborted the run.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from packaging.utils import parse_wheel_filename

from migrate.run import pipeline
from migrate.run.pipeline import RunOptions
from tests.runner import SAMPLE

PY27 = SAMPLE / "sampledep" / "sampledep-1.0-py2.7.egg"


def wheel_tags(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/WHEEL"))
        return {line[5:] for line in zf.read(name).decode().splitlines() if line.startswith("Tag: ")}


def assert_every_wheel_is_what_it_says(out: Path) -> None:
    """Each wheel's name gives the tags its WHEEL lists; each manifest sha256 is its file's."""
    wheels = sorted(out.glob("wheels/*.whl")) + sorted(out.glob("mirror/packages/**/*.whl"))
    assert wheels
    for wheel in wheels:
        assert {str(t) for t in parse_wheel_filename(wheel.name)[3]} == wheel_tags(wheel), wheel.name
    for record in json.loads((out / "manifest.json").read_text())["eggs"]:
        if record["wheel"]:
            data = Path(record["wheel_path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == record["wheel"]["sha256"], record["egg"]
            assert len(data) == record["wheel"]["size"]


def outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("wheels/*.whl"))}


def run_sample_with_a_copy(tmp_path: Path, check, **options) -> None:
    """The sample with sampledep-1.0-py2.7.egg copied over its py3.10 egg, run with -j 1 and -j 2:
    ``check(out, report)`` each time, every wheel what it says, the same wheels, a re-run does nothing."""
    source = tmp_path / "repo"
    shutil.copytree(SAMPLE, source)
    shutil.copyfile(PY27, source / "sampledep" / "sampledep-1.0-py3.10.egg")
    runs = {}
    for jobs in (1, 2):
        out = tmp_path / f"out{jobs}"
        report = pipeline.run(RunOptions(out=out, source=str(source), jobs=jobs, **options), bars=False)
        assert_every_wheel_is_what_it_says(out)
        check(out, {Path(r.egg).name: r for r in report.records})
        runs[jobs] = outputs(out)
        again = pipeline.run(RunOptions(out=out, source=str(source), jobs=jobs, **options), bars=False)
        assert again.work == {"fetch": 0, "convert": 0, "publish": 0, "pin": 0}
    assert runs[1] == runs[2]


def test_the_same_egg_under_two_names_is_two_true_wheels(tmp_path):
    """Today's repro: each name gets the wheel its name says (py2 and py3)."""
    def check(out, records):
        both = ["sampledep-1.0-py2-none-any.whl", "sampledep-1.0-py3-none-any.whl"]
        assert sorted(p.name for p in out.glob("wheels/sampledep-*")) == both
        assert sorted(p.name for p in out.glob("mirror/packages/**/sampledep-*.whl")) == both
        assert [r.status for name, r in sorted(records.items()) if "sampledep" in name] == ["converted"] * 2

    run_sample_with_a_copy(tmp_path, check)


def test_the_same_egg_under_two_names_is_one_wheel_for_both_when_joined(tmp_path):
    def check(out, records):
        kept, same = records["sampledep-1.0-py2.7.egg"], records["sampledep-1.0-py3.10.egg"]
        assert kept.wheel is not None and kept.wheel.filename == "sampledep-1.0-py2.py3-none-any.whl"
        assert "hold the same files" in (kept.wheel.tags.reasons or {})["python"]
        assert same.status == "skipped" and same.wheel is None
        assert same.reason == ("the same files as sampledep-1.0-py2.7.egg; its wheel "
                               "sampledep-1.0-py2.py3-none-any.whl serves both")
        assert [p.name for p in out.glob("wheels/sampledep-*")] == ["sampledep-1.0-py2.py3-none-any.whl"]

    run_sample_with_a_copy(tmp_path, check, join_py2_py3=True)


def test_150_copies_under_distinct_names_each_get_their_own_wheel(tmp_path):
    source = tmp_path / "repo" / "sampledep"
    source.mkdir(parents=True)
    for n in range(1, 151):
        shutil.copyfile(PY27, source / f"sampledep-1.{n}-py2.7.egg")
    out = tmp_path / "out"
    report = pipeline.run(RunOptions(out=out, source=str(source.parent), jobs=2), bars=False)
    assert report.counts == {"eggs": 150, "converted": 150, "skipped": 0, "failed": 0}
    assert sorted(p.name for p in out.glob("wheels/*.whl")) == sorted(
        f"sampledep-1.{n}-py2-none-any.whl" for n in range(1, 151))
    assert_every_wheel_is_what_it_says(out)
    assert not [p for p in (out / ".state" / "convert").iterdir() if p.name.startswith(".")]  # no staging left


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_2to3_pair_in_a_run_keeps_one_wheel_per_python(tmp_path, jobs):
    """Both made ``py2.py3`` (their classifiers name 2 and 3): each egg keeps its own major instead."""
    from tests.test_collisions import egg

    source = tmp_path / "repo" / "docu"
    source.mkdir(parents=True)
    egg(source, "docu-0.12-py2.7.egg", "print 'two'\n")
    egg(source, "docu-0.12-py3.8.egg", "print('three')\n")
    out = tmp_path / "out"
    report = pipeline.run(RunOptions(out=out, source=str(source.parent), jobs=jobs), bars=False)
    assert report.counts == {"eggs": 2, "converted": 2, "skipped": 0, "failed": 0}
    assert sorted(outputs(out)) == ["docu-0.12-py2-none-any.whl", "docu-0.12-py3-none-any.whl"]
    assert_every_wheel_is_what_it_says(out)
    before = outputs(out)
    again = pipeline.run(RunOptions(out=out, source=str(source.parent), jobs=jobs), bars=False)
    assert again.work["convert"] == 0 and outputs(out) == before
