"""run options: what reaches the Galaxy pins, eggs.ini checks first, -q, --json, --dry-run, --upload, --repair."""
import json
import shutil
import sys
from pathlib import Path

import pytest

from migrate.cli import main as cli
from migrate.run.pipeline import SAMPLE_EGGS_INI, RunOptions, run
from migrate.wheels import find_tools
from tests.conftest import fixture_egg
from tests.runner import SAMPLE, in_process
from tests.test_upload import pypiserver as pypiserver  # the fixture


def test_hashes_reach_the_galaxy_pins(tmp_path):
    report = run(RunOptions(out=tmp_path / "out", eggs_ini=SAMPLE_EGGS_INI, hashes=True, jobs=1))
    text = report.galaxy_pins.read_text()
    assert "bx-python==0.7.2+7b95ff194725 \\\n    --hash=sha256:" in text
    assert "--require-hashes" in text


def test_bad_eggs_ini_writes_nothing(tmp_path):
    bad = tmp_path / "eggs.ini"
    bad.write_text("[general]\nrepository = http://eggs.example.org\n[eggs:platform]\nno equals sign here\n")
    out = tmp_path / "out"
    proc = in_process(["run", "--eggs-ini", bad, "-o", out])
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "eggs.ini:4" in proc.stderr
    assert not out.exists()


# ------------------------------------------------------------------ -q, --json, --dry-run, --upload, --repair

def _files(out):
    """{path: (size, mtime_ns)} of everything under ``out``: what a dry run must leave as it was."""
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(out.rglob("*"))}


def _sample_eggs() -> list:
    return sorted(p.name for p in SAMPLE.rglob("*.egg"))


def test_dry_run_writes_nothing_and_says_what_would_be_done(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli(["run", "-o", str(out), "--dry-run"]) == 0
    err = capsys.readouterr().err
    assert not out.exists()
    assert f"would fetch {len(_sample_eggs())} eggs into {out / 'eggs'}" in err
    assert all(f"  fetch {name}\n" in err for name in _sample_eggs())
    assert f"would publish their wheels to {out / 'mirror'}" in err and "would pin every converted project" in err
    assert cli(["run", "-o", str(out), "--dry-run", "--json", "--pin", "sampledep", "--upload", "http://x/"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["fetch"] == _sample_eggs() and plan["kept"] == [] and plan["pin"] == ["sampledep"]
    assert plan["upload"] == "http://x/" and not out.exists()


def test_json_summary_quiet_stderr_then_a_dry_run_leaves_out_untouched(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli(["run", "-o", str(out), "--json", "-q", "-j", "1"]) == 1  # the sample's broken egg fails
    captured = capsys.readouterr()
    summary = json.loads(captured.out)  # nothing but the JSON on stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert summary["counts"]["converted"] == sum(1 for e in manifest["eggs"] if e["status"] == "converted")
    assert [f["egg"] for f in summary["failed"]] == [e["egg"] for e in manifest["eggs"] if e["status"] == "failed"]
    assert summary["requirements"] == str(out / "requirements.txt") and summary["pins"] > 0
    lines = captured.err.splitlines()
    assert lines[-1].startswith("egg-migrate run: done, with failures: ")
    assert all("FAILED" in line for line in lines[:-1]) and len(lines) == 2
    before = _files(out)
    assert cli(["run", "-o", str(out), "--dry-run", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    broken = ["brokenegg-1.0-py2.7.egg"]  # not a zip: never verified, so fetched again
    assert plan["fetch"] == broken and plan["kept"] == [n for n in _sample_eggs() if n not in broken]
    assert _files(out) == before


def test_run_upload_sends_the_published_wheels(pypiserver, tmp_path, capsys):  # noqa: F811 - the fixture
    url, served = pypiserver
    out = tmp_path / "out"
    assert cli(["run", "-o", str(out), "--project", "sampledep", "--upload", url, "--json", "-j", "1"]) == 0
    summary = json.loads(capsys.readouterr().out)
    wheels = sorted(p.name for p in (out / "wheels").iterdir())
    assert len(wheels) == 2 and sorted(p.name for p in served.iterdir()) == wheels
    assert sorted((Path(u["wheel"]).name, u["status"]) for u in summary["upload"]) == [(w, "uploaded") for w in wheels]
    assert cli(["run", "-o", str(out), "--project", "sampledep", "--upload", url, "-q"]) == 1  # already there
    capsys.readouterr()
    assert cli(["run", "-o", str(out), "--project", "sampledep", "--upload", url, "--skip-existing", "-v"]) == 0
    err = capsys.readouterr().err
    assert err.count("skipped  ") == 2  # one line per wheel, as twine --skip-existing
    assert "  converted sampledep-1.0-py2.7.egg -> sampledep-1.0-py2-none-any.whl\n" in err  # -v: each egg


def test_run_repair_publishes_and_pins_the_repaired_wheel(tmp_path):
    if find_tools()[0] is None:
        pytest.skip(find_tools()[1])
    source = tmp_path / "eggs"
    source.mkdir()
    shutil.copy(fixture_egg("cext-1.0-py3.6-linux-x86_64.egg"), source)
    report = run(RunOptions(out=tmp_path / "out", source=str(source), jobs=1, repair=True))
    (record,) = report.records
    assert record.wheel.filename.startswith("cext-1.0-cp36-cp36m-manylinux")
    assert set(record.wheel.filename[:-4].rsplit("-", 1)[-1].split(".")) == {"manylinux1_x86_64",
                                                                              "manylinux_2_5_x86_64"}
    assert [p.name for p in (tmp_path / "out" / "wheels").iterdir()] == [record.wheel.filename]
    assert f"--hash=sha256:{record.wheel.sha256}" in (tmp_path / "out" / "requirements.txt").read_text()
    assert (tmp_path / "out" / "mirror" / "simple" / "cext" / "index.html").read_text().count(record.wheel.filename)
    plain = run(RunOptions(out=tmp_path / "plain", source=str(source), jobs=1))
    assert plain.records[0].wheel.filename == "cext-1.0-cp36-cp36m-linux_x86_64.whl"


def test_run_upload_that_cannot_start_stops_before_anything_is_written(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit:  # a URL no index has is a usage error, as in every subcommand
        cli(["run", "-o", str(out), "--upload", "ftp://user:secret@example.org/"])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("egg-migrate run: error: argument --upload: ") and "secret" not in err
    assert err.count("\n") == 1
    monkeypatch.setitem(sys.modules, "twine", None)  # import twine -> ImportError
    assert cli(["run", "-o", str(out), "--upload", "http://127.0.0.1:9/"]) == 1
    assert "uploading needs twine, which is not installed" in capsys.readouterr().err
    assert not out.exists()


def test_unreadable_source_with_json_still_gives_the_summary(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli(["run", str(tmp_path / "no-such-folder"), "-o", str(out), "--json"]) == 1
    summary = json.loads(capsys.readouterr().out)
    assert summary["finished"] is False and summary["ok"] is False and summary["errors"]


def test_dry_run_over_http_reads_listings_only(tmp_path, capsys):
    from tests.servers import TreeServer, galaxy_tree

    root = tmp_path / "repo"
    eggs = ["alpha-1.0-py2.7.egg", "beta-2.0-py2.7-linux-x86_64-ucs4.egg", "beta-2.0-py3.10.egg"]
    galaxy_tree(root, eggs)
    out = tmp_path / "out"
    with TreeServer(root) as server:
        assert cli(["run", server.url, "-o", str(out), "--dry-run", "--json", "--python", "2.7"]) == 0
        asked = [r.path for r in server.log]
        plan = json.loads(capsys.readouterr().out)
        assert cli(["run", server.url, "-o", str(out), "--dry-run", "--python", "2.6"]) == 1  # as fetch: none
    assert plan["fetch"] == eggs[:2] and plan["errors"] == [] and not out.exists()
    assert asked and not [p for p in asked if p.endswith(".egg")]  # listings read, no egg downloaded
    assert f"  ERROR {server.url}: no eggs found\n" in capsys.readouterr().err
