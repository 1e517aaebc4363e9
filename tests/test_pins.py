"""pin: resolvelib against the mirror for a *target*; hash pins that real pip and uv install.

The host running these tests is 3.11; the pins are for 2.7 and 3.10 and must evaluate
markers for those (``six; python_version < "3"`` in toolbox).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import tomllib

from migrate import interpreters, mirror, pins
from migrate.cli import main as cli
from migrate.run import manifest
from tests.conftest import run
from tests.wheelmaker import Served, good_wheels

TARGETS = {
    # python: (roots, import check printing "ok")
    "2.7": (["toolbox", "cext", "cpkg", "nosrc", "nsdemo.alpha", "nsdemo.beta"],
            "import toolbox, cext, cpkg, nosrc, nsdemo.alpha, nsdemo.beta, six, purepkg\n"
            "assert cext.add(2, 3) == 5 and nosrc.value() == 7 and six.PY2\nprint('ok')"),
    "3.10": (["toolbox[fast]", "cpkg", "dirpkg", "zlibext", "nsdemo.alpha"],
             "import toolbox, cext, cpkg, dirpkg, zlibext, nsdemo.alpha, purepkg, zlib\n"
             "assert dirpkg.answer() == 42 and zlibext.crc(b'egg') == zlib.crc32(b'egg')\nprint('ok')"),
}


def pinned_names(text: str) -> dict:
    return {line.split("==")[0]: line.split("==")[1].rstrip(" \\") for line in text.splitlines()
            if "==" in line and not line.startswith("#")}


# ---------------------------------------------------------------- the target

def test_target_tags_abi_and_marker_environment():
    t = pins.Target.make("2.7")
    tags = [str(x) for x in t.tags()]
    assert t.abis == ("cp27mu",)
    assert tags[0] == "cp27-cp27mu-manylinux_2_17_x86_64"
    assert {"cp27-cp27mu-manylinux1_x86_64", "cp27-cp27mu-linux_x86_64", "py2-none-any", "cp27-none-any"} <= set(tags)
    assert not [x for x in tags if "cp27m-" in x or x.startswith("py3")]
    env = t.marker_environment()
    assert (env["python_version"], env["sys_platform"], env["platform_machine"]) == ("2.7", "linux2", "x86_64")
    assert pins.Target.make("3.6").abis == ("cp36m",) and pins.Target.make("3.10").abis == ("cp310",)
    distro = pins.Target.make("2.7", platforms=["linux_x86_64_ubuntu_14_04", "manylinux_2_17_x86_64"])
    assert distro.platforms[0] == "linux_x86_64_ubuntu_14_04" and distro.platforms[-1] == "linux_x86_64"
    with pytest.raises(pins.PinError):
        pins.Target.make("two")


# ---------------------------------------------------------------- resolution

def test_markers_are_evaluated_for_the_target_not_the_host(published):
    root, _, _ = published
    index = pins.Index(str(root))
    old = pins.pin(["toolbox"], index, pins.Target.make("2.7"))
    got = {p.name: p for p in old.pins}
    assert set(got) == {"toolbox", "purepkg", "six"}  # six; python_version < "3": true for 2.7
    assert got["six"].via == ("toolbox",) and got["purepkg"].via == ("toolbox",)
    assert got["toolbox"].files[0][0].filename == "toolbox-0.5-py2-none-any.whl"
    assert not [u for u in index.requests if u.endswith(".whl")]  # PEP 658: metadata only
    new = pins.pin(["toolbox"], str(root), pins.Target.make("3.10"))
    assert {p.name for p in new.pins} == {"toolbox", "purepkg"}  # ... false for 3.10 (and this 3.11 host)


def test_extras_follow_their_markers(published):
    root, _, _ = published
    result = pins.pin(["toolbox[fast]"], str(root), pins.Target.make("3.10"))
    got = {p.name: p for p in result.pins}
    assert got["cext"].version == "1.0" and got["cext"].via == ("toolbox",)
    assert [f.filename for f, _ in got["cext"].files] == ["cext-1.0-cp310-cp310-manylinux_2_5_x86_64.manylinux1_x86_64.whl"]
    text = pins.render_requirements(result)
    assert "toolbox[fast]==0.5 \\\n    --hash=sha256:" in text
    assert "cext==1.0 \\\n    --hash=sha256:" + got["cext"].files[0][1] + "\n    # via toolbox\n" in text


def test_a_missing_dependency_is_explained_in_one_paragraph(fixture_wheels, tmp_path, capsys):
    root = tmp_path / "m"
    mirror.publish(good_wheels(fixture_wheels), root)  # no six here
    code = cli(["pin", "toolbox", "--mirror", str(root), "--target-python", "2.7", "-o", str(tmp_path / "r.txt")])
    err = capsys.readouterr().err.strip()
    assert code == 1 and not (tmp_path / "r.txt").exists()
    assert len(err.splitlines()) == 1, err
    assert "Cannot pin for CPython 2.7 (cp27mu)" in err
    assert "six: toolbox 0.5 asked for 'six; python_version < \"3\"'; the mirror has no project of that name" in err
    assert cli(["pin", "toolbox", "--mirror", str(root), "--target-python", "3.10"]) == 0  # no six needed there


def test_conflicts_and_wrong_targets_are_explained(published):
    root, _, _ = published
    with pytest.raises(pins.Unresolvable) as exc:
        pins.pin(["purepkg>1.0"], str(root), pins.Target.make("3.10"))
    assert "purepkg: you asked for 'purepkg>1.0'; the mirror has 1.0 for this target" in str(exc.value)
    with pytest.raises(pins.Unresolvable) as exc:
        pins.pin(["cext"], str(root), pins.Target.make("3.8"))
    assert "the mirror has 1.0, 1.0+7b95ff194725 but no wheel this target accepts" in str(exc.value)
    assert "cp310-cp310-manylinux_2_5_x86_64.manylinux1_x86_64" in str(exc.value)


def test_eggs_ini_pins_what_the_deployment_used(published, fixture_wheels, tmp_path, capsys):
    root, _, _ = published
    ini = tmp_path / "eggs.ini"
    ini.write_text("[general]\nrepository = http://eggs.example.org\nno_auto = pbs_python\n\n"
                   "[eggs:platform]\ncext = 1.0\npbs_python = 4.1.0\n\n[eggs:noplatform]\npurepkg = 1.0\n\n"
                   "[tags]\ncext = _7b95ff194725\n")
    out = tmp_path / "requirements.txt"
    assert cli(["pin", "--eggs-ini", str(ini), "--mirror", str(root), "--target-python", "2.7", "-o", str(out)]) == 0
    assert "pbs_python: in [general] no_auto" in capsys.readouterr().err
    assert pinned_names(out.read_text()) == {"cext": "1.0+7b95ff194725", "purepkg": "1.0"}
    assert "# via eggs.ini [eggs:platform]" in out.read_text()
    # through the manifest: the egg's version string -> the wheel's version
    egg = "cext-1.0_7b95ff194725-py2.7-linux-x86_64-ucs4.egg"
    records = [manifest.egg_record(fixture_wheels[egg])]
    manifest.write_manifest(records, tmp_path / "manifest.json")
    roots, _ = pins.read_eggs_ini(ini, tmp_path / "manifest.json")
    assert [str(r.requirement) for r in roots] == ["cext==1.0+7b95ff194725", "purepkg==1.0"]


def test_pylock_toml_lists_the_same_wheels(published, tmp_path):
    root, _, _ = published
    result = pins.pin(["toolbox"], str(root), pins.Target.make("2.7"))
    pins.write_pylock(result, tmp_path / "pylock.toml")
    lock = tomllib.loads((tmp_path / "pylock.toml").read_text())
    assert lock["lock-version"] == "1.0" and lock["created-by"] == "egg-migrate"
    assert lock["environments"] == ['python_version == "2.7" and sys_platform == "linux2" and platform_machine == "x86_64"']
    got = {p["name"]: p for p in lock["packages"]}
    assert set(got) == {"purepkg", "six", "toolbox"}
    for p in result.pins:
        (wheel,) = got[p.name]["wheels"]
        assert wheel["hashes"]["sha256"] == p.files[0][1]
        assert (tmp_path / wheel["path"]).resolve().read_bytes()[:2] == b"PK"
    with pytest.raises(pins.PinError):
        pins.write_pylock(result, tmp_path / "lock.toml")


# ---------------------------------------------------------------- real installs

@pytest.mark.parametrize("python", sorted(TARGETS))
def test_pip_installs_the_pins_with_require_hashes_from_file_and_http(python, published, make_venv, tmp_path):
    root, _, _ = published
    roots, check = TARGETS[python]
    (tmp_path / "requirements.in").write_text("\n".join(roots) + "\n")
    req = tmp_path / "requirements.txt"
    assert cli(["pin", "-r", str(tmp_path / "requirements.in"), "--mirror", str(root), "--target-python", python,
                "-o", str(req)]) == 0
    assert "# via -r requirements.in" in req.read_text()
    venv = make_venv(python)
    run([venv, "-m", "pip", "install", "--require-hashes", "--no-deps", "-r", req, "--index-url", mirror.index_url(root)])
    assert run([venv, "-c", check]).stdout.strip() == "ok"
    with Served(root) as server:  # the same pins, resolved again through HTTP, installed over HTTP
        req_http = tmp_path / "requirements-http.txt"
        assert cli(["pin", "-r", str(tmp_path / "requirements.in"), "--mirror", f"{server.url}/simple/",
                    "--target-python", python, "-o", str(req_http)]) == 0
        assert pinned_names(req_http.read_text()) == pinned_names(req.read_text())
        run([venv, "-m", "pip", "install", "--force-reinstall", "--require-hashes", "--no-deps", "-r", req_http,
             "--index-url", f"{server.url}/simple/"])
    assert any(p.endswith(".whl") for p in server.requests)
    assert run([venv, "-c", check]).stdout.strip() == "ok"


def test_uv_installs_the_pins_and_the_lock(published, make_venv, tmp_path):
    root, _, _ = published
    uv = Path(sys.executable).with_name("uv")
    if not uv.exists():
        pytest.skip("uv is not installed in this venv")
    roots, check = TARGETS["3.10"]
    result = pins.pin(roots, str(root), pins.Target.make("3.10"))
    pins.write_requirements(result, tmp_path / "requirements.txt")
    pins.write_pylock(result, tmp_path / "pylock.toml")
    env = interpreters.pip_env()
    env.update(UV_NO_CONFIG="1", UV_OFFLINE="1", UV_CACHE_DIR=str(tmp_path / "uv-cache"))
    for i, source in enumerate(("requirements.txt", "pylock.toml")):
        venv = make_venv("3.10")
        args = [uv, "pip", "install", "--python", venv, "--no-cache", "-r", tmp_path / source]
        if source == "requirements.txt":
            args += ["--require-hashes", "--no-deps", "--index-url", mirror.index_url(root)]
        run(args, env=env, cwd=tmp_path)
        assert run([venv, "-c", check]).stdout.strip() == "ok"


def test_cli_json_and_usage_errors(published, capsys):
    root, _, _ = published
    assert cli(["pin", "purepkg", "--mirror", str(root), "--target-python", "3.10", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["pins"][0]["name"] == "purepkg" and data["pins"][0]["files"][0]["sha256"]
    assert cli(["pin", "purepkg", "--mirror", str(root), "--target-python", "x.y"]) == 2
    assert cli(["pin", "purepkg", "--mirror", str(root / "nope"), "--target-python", "3.10"]) == 1
    assert "no simple index here" in capsys.readouterr().err
