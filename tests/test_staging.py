"""``convert`` stages every wheel in one folder: a folder of an egg's own is made only when another
egg's wheel there has its wheel's name already, and nothing an earlier egg wrote is replaced."""
from __future__ import annotations

import shutil
from pathlib import Path

from migrate.cli import main
from migrate.wheels import convert_egg
from tests.conftest import FIXTURES, fixture_egg


def test_a_taken_name_goes_aside_and_the_first_wheel_stays(tmp_path):
    egg = fixture_egg("purepkg-1.0-py3.10.egg")
    staging = tmp_path / "staging"
    staging.mkdir()
    first = convert_egg(egg, staging, sync=False, aside=staging / "0")
    before = Path(str(first.wheel)).stat()
    second = convert_egg(egg, staging, sync=False, aside=staging / "1")
    assert Path(str(first.wheel)).parent == staging and not (staging / "0").exists()
    assert Path(str(second.wheel)) == staging / "1" / Path(str(first.wheel)).name
    after = Path(str(first.wheel)).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # not replaced
    assert Path(str(first.wheel)).read_bytes() == Path(str(second.wheel)).read_bytes()


def test_no_folder_per_egg(tmp_path, monkeypatch):
    eggs = tmp_path / "eggs"
    eggs.mkdir()
    names = [e.name for e in sorted(FIXTURES.glob("*.egg")) if e.is_file()]
    for name in names:
        shutil.copyfile(FIXTURES / name, eggs / name)
    made: list[Path] = []
    mkdir = Path.mkdir

    def spy(self, *args, **kwargs):
        made.append(self)
        return mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", spy)
    assert main(["convert", str(eggs), "-d", str(tmp_path / "out"), "-j", "1", "-q"]) == 0
    assert not [p for p in made if p.parent.name.startswith(".egg-migrate-convert-")]
    assert len(list((tmp_path / "out").glob("*.whl"))) == len(names)
