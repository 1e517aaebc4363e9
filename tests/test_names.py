"""Egg file names, on real-world names (pkg_resources' EGG_NAME, Galaxy's repository)."""
import os

import pytest

from migrate.eggs.names import InvalidEggName, dist_info_name, parse, pep440_version
from migrate.eggs.spelling import printable


@pytest.mark.parametrize(
    "filename, project, canonical, raw, version, pyver, platform, ucs",
    [
        ("Mako-0.4.1-py2.7.egg", "Mako", "mako", "0.4.1", "0.4.1", "2.7", None, None),
        ("bx_python-0.7.2_7b95ff194725-py2.7-linux-x86_64-ucs4.egg", "bx_python", "bx-python",
         "0.7.2_7b95ff194725", "0.7.2+7b95ff194725", "2.7", "linux-x86_64", "ucs4"),
        ("psycopg2-2.0.13_8.4.2_static-py2.7-linux-x86_64-ucs4.egg", "psycopg2", "psycopg2",
         "2.0.13_8.4.2_static", "2.0.13+8.4.2.static", "2.7", "linux-x86_64", "ucs4"),
        ("psycopg2-2.5.1_9.2.4_static-py2.7-linux-x86_64-ucs4.egg", "psycopg2", "psycopg2",
         "2.5.1_9.2.4_static", "2.5.1+9.2.4.static", "2.7", "linux-x86_64", "ucs4"),
        ("pysam-0.4.2_kanwei_b10f6e722e9a-py2.7-linux-x86_64-ucs2.egg", "pysam", "pysam",
         "0.4.2_kanwei_b10f6e722e9a", "0.4.2+kanwei.b10f6e722e9a", "2.7", "linux-x86_64", "ucs2"),
        ("SQLAlchemy-0.5.6_dev_r6498-py2.7.egg", "SQLAlchemy", "sqlalchemy",
         "0.5.6_dev_r6498", "0.5.6.dev6498", "2.7", None, None),
        ("numpy-1.6.0-py2.6-macosx-10.6-intel-ucs2.egg", "numpy", "numpy", "1.6.0", "1.6.0", "2.6",
         "macosx-10.6-intel", "ucs2"),
        ("PyYAML-3.10-py2.5-macosx-10.3-fat.egg", "PyYAML", "pyyaml", "3.10", "3.10", "2.5", "macosx-10.3-fat", None),
        ("pycrypto-2.0.1-py2.7-win32.egg", "pycrypto", "pycrypto", "2.0.1", "2.0.1", "2.7", "win32", None),
        ("lxml-2.2.2-py2.6-solaris-2.11-i86pc-ucs2.egg", "lxml", "lxml", "2.2.2", "2.2.2", "2.6",
         "solaris-2.11-i86pc", "ucs2"),
        ("cext-1.0-py3.10-linux-x86_64.egg", "cext", "cext", "1.0", "1.0", "3.10", "linux-x86_64", None),
        ("setuptools-0.6c11-py2.7.egg", "setuptools", "setuptools", "0.6c11", "0.6rc11", "2.7", None, None),
        ("Foo-2.0_rc1-py2.7.egg", "Foo", "foo", "2.0_rc1", "2.0rc1", "2.7", None, None),
        ("Foo-1.0_1-py2.7.egg", "Foo", "foo", "1.0_1", "1.0.post1", "2.7", None, None),
        ("nsdemo.alpha-1.0-py3.10.egg", "nsdemo.alpha", "nsdemo-alpha", "1.0", "1.0", "3.10", None, None),
        ("Foo.egg-info", "Foo", "foo", None, None, None, None, None),
        ("WebHelpers-0.2-py2.4.egg", "WebHelpers", "webhelpers", "0.2", "0.2", "2.4", None, None),
    ],
)
def test_parse_real_names(filename, project, canonical, raw, version, pyver, platform, ucs):
    name = parse(filename)
    assert (name.project, name.canonical_name, name.version_raw, name.version) == (project, canonical, raw, version)
    assert (name.pyver, name.platform, name.ucs) == (pyver, platform, ucs)


def test_parse_accepts_paths_and_folders():
    assert parse("/srv/eggs/Mako/Mako-0.4.1-py2.7.egg").project == "Mako"
    assert parse("eggs/dirpkg-0.3-py3.10.egg/").version == "0.3"


def test_ucs_suffix_never_stays_in_the_platform():
    name = parse("x-1.0-py2.7-linux-x86_64-UCS4.egg")
    assert name.platform == "linux-x86_64" and name.ucs == "ucs4"


@pytest.mark.parametrize(
    "filename, why",
    [
        ("README.txt", "not an egg"),
        ("foo-1.0.whl", "not an egg"),
        ("-1.0-py2.7.egg", "not a pkg_resources egg name"),
        ("foo-1.0-pyX.Y.egg", "python version"),
        ("foo-_weird-py2.7.egg", "cannot be made PEP 440"),
        ("\"'''-1.0-py2.7.egg", "has no letter or digit"),
        # control characters and bytes that are not UTF-8: refused, the name shown escaped
        (os.fsdecode(b"caf\xe9-1.0-py2.7.egg"), "caf\\xe9-1.0-py2.7.egg: the file name holds control characters"),
        ("x\x1b[31my-1.0-py2.7.egg", "x\\x1b[31my-1.0-py2.7.egg: the file name holds control characters"),
        ("tab\there-1.0-py2.7.egg", "tab\\there-1.0-py2.7.egg: the file name"),
        ("foo-1.0\x00-py2.7.egg", "foo-1.0\\x00-py2.7.egg: the file name"),
    ],
)
def test_bad_names_give_one_clear_line(filename, why):
    with pytest.raises(InvalidEggName) as info:
        parse(filename)
    message = str(info.value)
    assert why in message and "\n" not in message and message.isprintable()
    assert message.startswith(printable(filename.rsplit("/", 1)[-1]))


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("1.0", "1.0"),
        ("1.0-7b95ff194725", "1.0+7b95ff194725"),  # what PKG-INFO says for a Galaxy-tagged build
        ("0.7.2_7b95ff194725", "0.7.2+7b95ff194725"),
        ("1.0.0-r1234", "1.0.0.post1234"),
        ("2.5.1_9.2.4_static", "2.5.1+9.2.4.static"),
    ],
)
def test_pep440_version(raw, expected):
    assert pep440_version(raw) == expected


def test_dist_info_name_is_canonical():
    assert dist_info_name("bx_python") == "bx_python"
    assert dist_info_name("nsdemo.alpha") == "nsdemo_alpha"
    assert dist_info_name("Foo-Bar") == "foo_bar"
