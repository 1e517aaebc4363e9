"""manifest.json (schema 1, stable key order, atomic) and report.txt."""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from migrate.checks.check import check_wheel, eggs_from_manifest
from migrate.records import EggRecord, InvalidRecord, parse_manifest, read_manifest
from migrate.run import manifest, textreport
from migrate.wheels.convert import convert_egg
from tests.conftest import FIXTURES

RECORD_KEYS = ["egg", "source", "status", "reason", "project", "version", "egg_version", "version_rule",
               "egg_python",
               "egg_platform", "wheel", "wheel_path", "requires_dist", "extras", "entry_points", "scripts",
               "namespace_packages", "external_libraries", "checks", "problems", "binaries", "dropped"]


@pytest.fixture(scope="module")
def records(fixture_wheels, tmp_path_factory):
    out = tmp_path_factory.mktemp("manifest")
    found = []
    for egg, result in sorted(fixture_wheels.items()):
        checks = check_wheel(result.wheel, result.egg) if result.ok else None
        found.append(manifest.egg_record(result, checks=checks))
    broken = out / "broken-1.0-py2.7.egg"
    broken.write_bytes(b"this is no zip")
    found.append(manifest.egg_record(convert_egg(broken, out / "wheels")))
    found.append(manifest.skipped_record("pysam-0.4.2-py2.6-linux-x86_64-ucs2.egg", "not for the target (py2.7)"))
    return found


def test_schema_counts_and_key_order(records, tmp_path):
    data = manifest.write_manifest(records, tmp_path / "manifest.json")
    text = (tmp_path / "manifest.json").read_text()
    loaded = json.loads(text)
    assert list(loaded) == ["schema", "generator", "counts", "eggs"] and loaded["schema"] == 1
    assert loaded["counts"] == {"eggs": len(records), "converted": len(records) - 2, "skipped": 1, "failed": 1}
    assert all(list(r) == RECORD_KEYS for r in loaded["eggs"])
    assert [r["egg"] for r in loaded["eggs"]] == sorted(r["egg"] for r in loaded["eggs"])
    assert loaded == data
    manifest.write_manifest(list(reversed(records)), tmp_path / "again.json")
    assert (tmp_path / "again.json").read_text() == text  # same input, same bytes, whatever the order
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_a_converted_record_says_everything(records):
    by_egg = {Path(r.egg).name: r.to_json() for r in records}
    r = by_egg["toolbox-0.5-py2.7.egg"]
    egg = FIXTURES / "toolbox-0.5-py2.7.egg"
    assert r["source"] == {"path": str(egg), "url": None, "sha256": hashlib.sha256(egg.read_bytes()).hexdigest(),
                           "size": egg.stat().st_size, "selected": None}
    assert (r["status"], r["reason"], r["project"], r["version"]) == ("converted", None, "toolbox", "0.5")
    assert r["wheel"]["filename"] == "toolbox-0.5-py2-none-any.whl"
    assert r["wheel"]["sha256"] == hashlib.sha256(Path(r["wheel_path"]).read_bytes()).hexdigest()
    assert set(r["wheel"]["tags"]["reasons"]) == {"python", "abi", "platform"}
    assert 'six; python_version < "3"' in r["requires_dist"] and r["extras"] == ["docs", "fast"]
    assert r["entry_points"] == {"console_scripts": {"toolbox": "toolbox.cli:main"},
                                 "toolbox.plugins": {"basic": "toolbox.plugins:basic"}}
    assert r["checks"]["status"] in ("ok", "warnings")
    galaxy = by_egg["cext-1.0_7b95ff194725-py2.7-linux-x86_64-ucs4.egg"]
    assert (galaxy["egg_version"], galaxy["version"]) == ("1.0_7b95ff194725", "1.0+7b95ff194725")
    assert galaxy["wheel"]["tags"]["abi"] == "cp27mu" and "cp27mu" not in galaxy["wheel"]["tags"]["reasons"]["platform"]
    assert by_egg["xmlext-1.0-py3.10-linux-x86_64.egg"]["external_libraries"] == ["libxml2.so.2"]


def test_failed_and_skipped_records_carry_their_reason(records):
    by_egg = {Path(r.egg).name: r.to_json() for r in records}
    broken = by_egg["broken-1.0-py2.7.egg"]
    assert broken["status"] == "failed" and broken["reason"].startswith("broken-1.0-py2.7.egg: ")
    assert broken["wheel"] is None and list(broken) == RECORD_KEYS
    skipped = by_egg["pysam-0.4.2-py2.6-linux-x86_64-ucs2.egg"]
    assert (skipped["status"], skipped["reason"]) == ("skipped", "not for the target (py2.7)")


def test_check_reads_this_manifest(records, tmp_path):
    manifest.write_manifest(records, tmp_path / "manifest.json")
    found = eggs_from_manifest(tmp_path / "manifest.json")
    assert found["toolbox-0.5-py2-none-any.whl"] == FIXTURES / "toolbox-0.5-py2.7.egg"


def test_a_crash_while_writing_keeps_the_old_manifest(records, tmp_path, monkeypatch):
    path = tmp_path / "manifest.json"
    manifest.write_manifest(records[:2], path)
    before = path.read_bytes()

    def boom(*a):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        manifest.write_manifest(records, path)
    monkeypatch.undo()
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_report_txt_counts_reasons_and_next_steps(records, tmp_path):
    textreport.write_report(records, tmp_path / "report.txt", mirror="out/mirror", requirements="requirements.txt",
                            index_url="file:///srv/out/mirror/simple/")
    text = (tmp_path / "report.txt").read_text()
    n = len(records)
    assert f"eggs: {n}   converted: {n - 2}   skipped: 1   failed: 1" in text
    assert "  broken-1.0-py2.7.egg: broken-1.0-py2.7.egg: " in text
    assert "  pysam-0.4.2-py2.6-linux-x86_64-ucs2.egg: not for the target (py2.7)" in text
    assert "  cext: 1.0_7b95ff194725 -> 1.0+7b95ff194725" in text
    assert "  libxml2.so.2   (needed by xmlext)" in text
    assert "Fix or drop the failed eggs above" in text
    assert "pip install --require-hashes --no-deps -r requirements.txt --index-url file:///srv/out/mirror/simple/" in text


def test_a_version_rewritten_for_several_eggs_is_listed_once(records):
    galaxy = next(r for r in records if Path(r.egg).name == "cext-1.0_7b95ff194725-py2.7-linux-x86_64-ucs4.egg")
    ucs2 = replace(galaxy, egg=galaxy.egg.replace("-ucs4", "-ucs2"))  # one release, built twice (as bx-python is)
    text = textreport.render_report(records + [ucs2])
    section = text.split("Versions rewritten for PEP 440 (pin these)\n")[1].split("\n\n")[0]
    assert section.splitlines().count("  cext: 1.0_7b95ff194725 -> 1.0+7b95ff194725") == 1


def test_records_read_back_from_the_json_are_the_records_written(records, tmp_path):
    """to_json and from_json are exact inverses: a manifest read and written again has the same bytes."""
    path = tmp_path / "manifest.json"
    manifest.write_manifest(records, path)
    again = parse_manifest(json.loads(path.read_text()))
    assert sorted(again, key=lambda r: r.egg) == sorted(records, key=lambda r: r.egg)
    assert list(read_manifest(path)) == again  # read a record at a time, the same records
    manifest.write_manifest(again, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()


def test_a_record_missing_a_key_is_refused_in_one_line(records):
    data = records[0].to_json()
    del data["checks"]
    with pytest.raises(InvalidRecord, match="without 'checks'"):
        EggRecord.from_json(data)
