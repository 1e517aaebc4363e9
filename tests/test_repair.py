"""Optional repair: auditwheel repair turns a linux_<arch> wheel that is so only because of
libraries into a manylinux wheel that installs and works; missing tools give a clear skip."""
from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from migrate.wheels.repair import RepairResult, find_tools, repair_wheel, target_policy
from tests.conftest import pip_install, py


def test_missing_tools_are_a_clear_skip(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "bin" / "python"))
    real = importlib.util.find_spec  # only auditwheel goes missing: pkgutil.get_data (the policy JSON) asks it too
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *args: None if name == "auditwheel" else real(name, *args))
    tools, why = find_tools(path=str(tmp_path))
    assert tools is None and why.startswith("auditwheel is not installed") and "egg-migrate[repair]" in why
    wheel = tmp_path / "cext-1.0-cp36-cp36m-linux_x86_64.whl"
    wheel.write_bytes(b"not used")
    result = repair_wheel(wheel, tmp_path / "out")
    assert not result.ok and "repair skipped: auditwheel is not installed" in result.message
    assert wheel.exists() and not (tmp_path / "out").exists()


def test_target_policy():
    assert target_policy("x-1.0-cp36-cp36m-linux_x86_64.whl").startswith("manylinux_2_")
    assert target_policy("x-1.0-cp36-cp36m-linux_x86_64.whl").endswith("_x86_64")
    assert target_policy("x-1.0-py3-none-any.whl") is None
    assert target_policy("x-1.0-cp36-cp36m-linux_s390.whl") is None


@pytest.fixture(scope="module")
def tools():
    found, why = find_tools()
    if found is None:
        pytest.skip(why)
    return found


def test_repair_drops_libpython_and_the_wheel_works(fixture_wheels, tools, tmp_path, make_venv):
    result = fixture_wheels["cext-1.0-py3.6-linux-x86_64.egg"]
    assert result.tags.repairable
    wheel = tmp_path / Path(result.wheel).name
    shutil.copy(result.wheel, wheel)
    repaired = repair_wheel(wheel, tmp_path / "out", tools)
    assert repaired.ok, repaired.message
    name = Path(repaired.repaired).name
    assert name.startswith("cext-1.0-cp36-cp36m-")
    # named for the oldest policy it meets and that policy's alias only, not also the newest one asked for
    assert set(name[:-4].rsplit("-", 1)[-1].split(".")) == {"manylinux_2_5_x86_64", "manylinux1_x86_64"}
    assert not wheel.exists()  # replaced by the repaired wheel
    assert [p.name for p in (tmp_path / "out").iterdir()] == [name]  # no temp folder left
    venv = make_venv("3.6")
    pip_install(venv, repaired.repaired)
    assert py(venv, "import cext; print(cext.add(2, 3))") == "5"


def test_repair_failure_is_one_line_and_keeps_the_wheel(tools, tmp_path):
    wheel = tmp_path / "broken-1.0-cp310-cp310-linux_x86_64.whl"
    wheel.write_bytes(b"not a zip")
    result = repair_wheel(wheel, tmp_path / "out", tools)
    assert isinstance(result, RepairResult) and not result.ok
    assert result.message.startswith("broken-1.0-cp310-cp310-linux_x86_64.whl: auditwheel repair failed: ")
    assert "\n" not in result.message and wheel.exists()
    assert list((tmp_path / "out").iterdir()) == []
