"""``egg-migrate check``: the table, --json, exit codes, --manifest / --egg, bad arguments."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from migrate.cli import main
from tests.test_check_broken import BROKEN
from tests.test_check_wheelmaker import VENV_BIN, build_wheel, standard_files


def _good(tmp_path) -> Path:
    return build_wheel(tmp_path / "good", standard_files())


def test_table_one_line_per_wheel_problems_below(tmp_path, capsys):
    good = _good(tmp_path)
    bad = BROKEN["W306"](tmp_path / "bad")
    warned = BROKEN["W702"](tmp_path / "warned")
    rc = main(["check", str(good), str(bad), str(warned), "-j", "1"])
    out, err = capsys.readouterr()
    assert rc == 1
    lines = out.splitlines()
    assert lines[0].startswith("OK") and lines[0].endswith(good.name)
    assert lines[1].startswith("ERRORS 1") and lines[1].endswith(bad.name)
    assert lines[2].split()[:2] == ["error", "W306"] and "demo/__init__.py" in lines[2]
    assert lines[3].startswith("WARNINGS 1")
    assert lines[4].split()[:2] == ["warning", "W702"]
    assert "checked 3 wheels: 1 ok, 1 with warnings, 1 with errors" in err


def test_warnings_alone_exit_zero(tmp_path, capsys):
    assert main(["check", str(BROKEN["W702"](tmp_path))]) == 0


def test_json_records(tmp_path, capsys):
    good = _good(tmp_path)
    bad = BROKEN["W605"](tmp_path / "bad")
    rc = main(["check", "--json", str(tmp_path)])  # a folder: searched for wheels
    out, _ = capsys.readouterr()
    records = {Path(r["wheel"]).name: r for r in json.loads(out)}
    assert rc == 1
    assert records[good.name]["status"] == "ok" and records[good.name]["problems"] == []
    assert records[good.name]["smoke"] is None
    record = records[bad.name]
    assert record["status"] == "errors" and record["errors"] == 1
    assert record["problems"][0]["code"] == "W605" and record["problems"][0]["severity"] == "error"


def test_parallel_gives_the_same_answers_in_order(tmp_path, capsys):
    wheels = [str(BROKEN[c](tmp_path / c)) for c in ("W304", "W404", "W601", "W706")]
    main(["check", "--json", "-j", "1", *wheels])
    serial = capsys.readouterr().out
    main(["check", "--json", "-j", "2", *wheels])
    assert capsys.readouterr().out == serial


def test_bad_arguments_are_named_and_the_rest_goes_on(tmp_path, capsys):
    good = _good(tmp_path)
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    rc = main(["check", str(good), str(tmp_path / "missing.whl"), str(tmp_path / "empty"), str(tmp_path / "notes.txt")])
    out, err = capsys.readouterr()
    assert rc == 1
    assert out.startswith("OK")
    assert "missing.whl: no such file or folder" in err
    assert "empty: no wheels found" in err
    assert "notes.txt: not a wheel" in err


def test_not_a_zip_is_one_line_not_a_traceback(tmp_path, capsys):
    wheel = BROKEN["W001"](tmp_path)
    assert main(["check", str(wheel)]) == 1
    out, err = capsys.readouterr()
    assert "W001" in out and "not a zip archive" in out and "Traceback" not in out + err


def test_manifest_from_convert_json_compares_with_the_eggs(tmp_path, capsys, fixture_wheels):
    egg = Path(__file__).parent / "fixtures" / "eggs" / "toolbox-0.5-py2.7.egg"
    wheels = tmp_path / "wheels"
    assert main(["convert", str(egg), "-d", str(wheels), "--json", "-j", "1"]) == 0
    manifest = tmp_path / "convert.json"
    manifest.write_text(capsys.readouterr().out)
    rc = main(["check", str(wheels), "--manifest", str(manifest), "--json", "-v"])
    records = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert records[0]["source_egg"] == str(egg)
    assert any(p["code"] == "W807" for p in records[0]["problems"])


def test_manifest_of_run_schema(tmp_path, capsys, fixture_wheels):
    result = fixture_wheels["purepkg-1.0-py3.10.egg"]
    wheel = shutil.copy(result.wheel, tmp_path)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"schema": 1, "eggs": [
        {"egg": str(result.egg), "wheel_path": str(wheel), "wheel": {"filename": Path(wheel).name}},
        {"egg": "never-converted.egg", "wheel_path": None, "wheel": None},
    ]}))
    assert main(["check", str(wheel), "--manifest", str(manifest), "-v"]) == 0
    out = capsys.readouterr().out
    assert "W807" in out and "stale bytecode" in out


def test_egg_option_matches_by_name_and_version(tmp_path, capsys, fixture_wheels):
    result = fixture_wheels["toolbox-0.5-py3.10.egg"]
    wheel = Path(shutil.copy(result.wheel, tmp_path))
    broken = tmp_path / "broken"
    broken.mkdir()
    import zipfile
    with zipfile.ZipFile(wheel) as zf:
        files = {n: zf.read(n) for n in zf.namelist() if not n.endswith("RECORD")}
    files["toolbox-0.5.dist-info/entry_points.txt"] = b"[console_scripts]\n"
    bad = build_wheel(broken, files, wheel.name)
    rc = main(["check", str(bad), "--egg", str(result.egg)])
    out = capsys.readouterr().out
    assert rc == 1 and "W804" in out
    other = Path(__file__).parent / "fixtures" / "eggs" / "purepkg-1.0-py2.7.egg"
    rc = main(["check", str(wheel), "--egg", str(other)])
    _, err = capsys.readouterr()
    assert rc == 1 and "no wheel given for purepkg 1.0" in err


def test_bad_manifest_is_named(tmp_path, capsys):
    manifest = tmp_path / "manifest.json"
    manifest.write_text("{not json")
    rc = main(["check", str(_good(tmp_path)), "--manifest", str(manifest)])
    out, err = capsys.readouterr()
    assert rc == 1 and out.startswith("OK")
    assert f"{manifest}: cannot read the manifest" in err


def test_usage_errors_exit_two(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:  # -j is checked by its option type, as in every subcommand
        main(["check", str(_good(tmp_path)), "-j", "0"])
    assert exit_.value.code == 2
    assert "argument -j/--jobs: 0 is not at least 1" in capsys.readouterr().err


def test_console_script(tmp_path):
    wheel = _good(tmp_path)
    result = subprocess.run([VENV_BIN / "egg-migrate", "check", wheel], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK")
