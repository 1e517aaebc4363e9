"""publish with distro builds: ``linux_<arch>_<distro>_<version>`` wheels get their own index, tagged linux.

Stock pip refuses a distro tag; ``<mirror>/<distro>/simple/`` serves the same build retagged
``linux_<arch>`` beside every portable wheel (docs/mirror.rst).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from migrate import interpreters, mirror
from migrate.wheels.convert import ConvertOptions, convert_egg
from migrate.wheels.tags import TagOptions
from tests.conftest import fixture_egg, run
from tests.wheelmaker import links


@pytest.fixture(scope="module")
def distro_mirror(tmp_path_factory, fixture_wheels):
    out = tmp_path_factory.mktemp("distro")
    options = ConvertOptions(tags=TagOptions(platform_tag="distro", distro="ubuntu:14.04"))
    result = convert_egg(fixture_egg("cext-1.0-py2.7-linux-x86_64.egg"), out / "wheels", options)
    assert result.ok and result.wheel.endswith("cp27mu-linux_x86_64_ubuntu_14_04.whl"), result.reason
    portable = [fixture_wheels["purepkg-1.0-py2.7.egg"].wheel, fixture_wheels["cpkg-2.0-py2.7-linux-x86_64.egg"].wheel]
    root = out / "mirror"
    report = mirror.publish([Path(result.wheel)] + [Path(p) for p in portable], root)
    assert report.ok and report.distros == ("ubuntu_14_04",)
    return root, Path(result.wheel)


def test_distro_builds_get_their_own_index_tagged_linux(distro_mirror):
    root, original = distro_mirror
    # simple/ lists the distro-tagged original (for pip download --platform ...)
    assert [a["href"].split("#")[0] for a in links(root / "simple" / "cext" / "index.html")] == [f"../../packages/{original.name}"]
    # <distro>/simple/ serves the same build tagged linux_x86_64, plus every portable wheel
    (a,) = links(root / "ubuntu_14_04" / "simple" / "cext" / "index.html")
    assert a["href"].startswith("../../packages/cext-1.0-cp27-cp27mu-linux_x86_64.whl#")
    retagged = root / "ubuntu_14_04" / "packages" / "cext-1.0-cp27-cp27mu-linux_x86_64.whl"
    (b,) = links(root / "ubuntu_14_04" / "simple" / "purepkg" / "index.html")
    assert b["href"].startswith("../../../packages/purepkg-1.0-py2-none-any.whl#")
    projects = [a["href"] for a in links(root / "ubuntu_14_04" / "simple" / "index.html")]
    assert projects == ["cext/", "cpkg/", "purepkg/"]
    from installer.sources import WheelFile

    with WheelFile.open(retagged) as wf:
        wf.validate_record()  # RECORD matches the rewritten WHEEL
    with zipfile.ZipFile(retagged) as zf, zipfile.ZipFile(original) as zo:
        wheel_file = zf.read("cext-1.0.dist-info/WHEEL").decode()
        assert "Tag: cp27-cp27mu-linux_x86_64\n" in wheel_file and "ubuntu" not in wheel_file
        same = [n for n in zo.namelist() if not n.endswith(("/WHEEL", "/RECORD"))]
        assert all(zf.read(n) == zo.read(n) for n in same)


def test_stock_pip_on_27_installs_the_distro_build_from_the_distro_index(distro_mirror, make_venv):
    root, original = distro_mirror
    python = make_venv("2.7")
    env = interpreters.pip_env()
    # The plain index offers only the distro tag: stock pip knows no distro tags and must refuse it ...
    refused = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--index-url", mirror.index_url(root), "cext"],
        capture_output=True, text=True, env=env, timeout=300)
    assert refused.returncode != 0
    # ... and take the same build from <mirror>/ubuntu_14_04/simple/.
    run([python, "-m", "pip", "install", "--no-deps", "--index-url", mirror.index_url(root, "ubuntu_14_04"), "cext", "purepkg"])
    assert run([python, "-c", "import cext, purepkg; print(cext.add(2, 3)); print(purepkg.hello())"]).stdout.split() == ["5", "hello"]


def test_a_distro_index_goes_when_its_last_build_goes(distro_mirror, tmp_path):
    root = tmp_path / "m"
    shutil.copytree(distro_mirror[0], root, symlinks=True)
    portable = [p for p in (root / "packages").glob("*.whl") if "ubuntu" not in p.name]
    first = mirror.publish(portable, root)
    assert first.ok and first.distros == () and not os.path.lexists(root / "ubuntu_14_04" / "simple")
    assert (root / "ubuntu_14_04" / "packages").is_dir()  # the previous generation still lists its files
    mirror.publish(portable[1:], root)  # a publish that changes something collects the garbage
    assert not os.path.lexists(root / "ubuntu_14_04")
    assert not [p for p in (root / ".egg-migrate").iterdir() if p.name.startswith("d-")]
