"""Legacy egg versions -> PEP 440 wheel versions, on versions projects really released.

Each case is a version string seen in egg file names on PyPI or in Galaxy's
repository (pytz's dated releases, setuptools' Subversion snapshots, Debian-style
revisions, patch levels). The rule is docs/tags.rst, "Versions".
"""
import json
import zipfile
from pathlib import Path

import pytest
from packaging.version import Version

from migrate.eggs.names import InvalidEggName, map_version, parse
from migrate.run import manifest
from migrate.wheels.convert import convert_egg
from tests.eggmaker import simple_egg
from tests.runner import in_process

# (egg version as written, wheel version, rule)
LEGACY = [
    ("2007d", "2007+d", "leading-number"),  # pytz-2007d-py2.3.egg
    ("2011k", "2011+k", "leading-number"),  # pytz-2011k-py3.2.egg
    ("2006p", "2006+p", "leading-number"),
    ("2008i", "2008+i", "leading-number"),
    ("2013b", "2013b0", "pep440"),  # a pre-release, as pip reads pytz 2013b today
    ("1.0.0final", "1.0.0+final", "leading-number"),
    ("0.2.1p1", "0.2.1+p1", "leading-number"),
    ("1.5.2p1", "1.5.2+p1", "leading-number"),
    ("1.0_beta_2", "1.0b2", "pep440"),  # 1.0-beta-2 after to_filename
    ("0.9.8_r1", "0.9.8.post1", "pep440"),
    ("0.4.0_r373", "0.4.0.post373", "pep440"),
    ("1.0rc1_r123", "1.0rc1.post123", "pep440"),
    ("3.0.1_1", "3.0.1.post1", "pep440"),
    ("0.3.1_pre", "0.3.1rc0", "pep440"),
    ("0.98pre", "0.98rc0", "pep440"),
    ("0.6c11", "0.6rc11", "pep440"),
    ("1.2.3_alpha", "1.2.3a0", "pep440"),
    ("0.9_20070802", "0.9.post20070802", "pep440"),
    ("1.0.4_dev", "1.0.4.dev0", "pep440"),
    ("2.0b1_dev_r1234", "2.0b1.dev1234", "svn-dev"),
    ("1.2dev_r56", "1.2.dev56", "svn-dev"),
    ("0.6c12dev_r88846", "0.6rc12.dev88846", "svn-dev"),
    ("0.5.6_dev_r6498", "0.5.6.dev6498", "svn-dev"),  # Galaxy's SQLAlchemy
    ("0.6a9dev_r41475", "0.6a9.dev41475", "svn-dev"),
    ("1.0a1.dev_r1234", "1.0a1.dev1234", "svn-dev"),
    ("1.0.dev_r1234", "1.0.dev1234", "svn-dev"),
    ("5.0_beta3_dev_r99", "5.0b3.dev99", "svn-dev"),
    ("0.7.2_7b95ff194725", "0.7.2+7b95ff194725", "local"),  # Galaxy's bx_python
    ("2.5.1_9.2.4_static", "2.5.1+9.2.4.static", "local"),  # Galaxy's psycopg2
    ("0.4.2_kanwei_b10f6e722e9a", "0.4.2+kanwei.b10f6e722e9a", "local"),
    ("2.2.0_SNAPSHOT", "2.2.0+snapshot", "local"),
    ("4.0_git_abcd", "4.0+git.abcd", "local"),
    ("1.1.1_1ubuntu1", "1.1.1+1ubuntu1", "local"),
    ("3.1.1_patched", "3.1.1+patched", "local"),
    ("2.4.0_1.fc8", "2.4.0+1.fc8", "local"),
    ("2.1b1_py2.4", "2.1b1+py2.4", "local"),
]


@pytest.mark.parametrize("raw, version, rule", LEGACY)
def test_legacy_version_maps_to_valid_pep440(raw, version, rule):
    mapping = map_version(raw)
    assert (mapping.version, mapping.rule) == (version, rule)
    assert str(Version(mapping.version)) == mapping.version  # valid and in normal form


def test_enough_real_legacy_versions():
    assert len({raw for raw, version, _ in LEGACY if raw != version}) >= 30


# Releases of one project in the order the project made them: the wheel versions keep that order.
ORDERED = [
    ["2006p", "2007d", "2007k", "2008i", "2011k", "2013b", "2013.6", "2014.10"],  # pytz
    ["0.6a9dev_r41475", "0.6a9", "0.6b1", "0.6c11", "0.6c12dev_r88846", "0.6c12"],  # setuptools
    ["1.2dev_r56", "1.2dev_r57", "1.2", "1.2_r60"],
    ["2.0b1_dev_r1234", "2.0b1", "2.0b2", "2.0"],
    ["0.7.2", "0.7.2_7b95ff194725", "0.7.3"],
    ["1.5.2", "1.5.2p1", "1.5.3"],
]


@pytest.mark.parametrize("releases", ORDERED, ids=lambda r: r[0])
def test_wheel_versions_keep_the_release_order(releases):
    versions = [Version(map_version(raw).version) for raw in releases]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)


@pytest.mark.parametrize("raw", ["r1234", "dev", "trunk", "_weird"])
def test_only_a_version_without_a_leading_number_is_refused(raw):
    with pytest.raises(InvalidEggName) as info:
        parse(f"foo-{raw}-py2.7.egg")
    assert str(info.value) == f"foo-{raw}-py2.7.egg: version {raw!r} cannot be made PEP 440 (no leading release number)"


def test_pytz_2007d_converts_and_records_the_mapping(tmp_path):
    egg = simple_egg(tmp_path / "pytz-2007d-py2.3.egg", name="pytz", version="2007d")
    result = convert_egg(egg, tmp_path / "w")
    assert result.ok, result.problems
    assert Path(result.wheel).name == "pytz-2007+d-py2-none-any.whl"
    with zipfile.ZipFile(result.wheel) as zf:
        assert "Version: 2007+d\n" in zf.read("pytz-2007+d.dist-info/METADATA").decode()
    record = manifest.egg_record(result)
    assert (record.egg_version, record.version, record.version_rule) == ("2007d", "2007+d", "leading-number")
    again = type(record).from_json(json.loads(json.dumps(record.to_json())))
    assert again == record
    old = record.to_json()
    del old["version_rule"]  # a manifest written before the key existed still reads
    assert type(record).from_json(old).version_rule is None


def test_inspect_shows_the_mapping(tmp_path):
    egg = simple_egg(tmp_path / "pytz-2007d-py2.3.egg", name="pytz", version="2007d")
    proc = in_process(["inspect", egg])
    assert proc.returncode == 0, proc.stderr
    assert "  version    2007d -> 2007+d   (the leading release number kept" in proc.stdout
    proc = in_process(["inspect", "--json", egg])
    name = json.loads(proc.stdout)[0]["file_name"]
    assert (name["version"], name["version_rule"]) == ("2007d", "leading-number")
