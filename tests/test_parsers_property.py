"""Property tests: the egg file-name, requires.txt and entry_points.txt parsers give a clear
MigrateError or a valid result, never another exception, whatever the input."""
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from migrate.eggs.egginfo import _plain_ini, entry_points_problems, parse_entry_points
from migrate.eggs.names import dist_info_name, map_version, parse
from migrate.eggs.requires import normalise_extra, parse_requires_txt
from migrate.eggs.spelling import canonicalize_name as our_canonical_name
from migrate.errors import MigrateError

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces real and hostile names are made of: digits, letters, separators, quotes, markers' punctuation,
# control characters, non-ASCII letters and digits, and os.fsdecode's surrogates for undecodable bytes.
PIECES = st.sampled_from(["1", "0", "2007", "d", "r", "dev", "py", "a", "b", "rc", "post", "-", "_", ".", " ", "'", '"',
                          "<", ":", "+", "!", "\x1b", "\x00", "\u00e9", "\u0663", "\u212a", "\udce9", "linux", "x86_64",
                          "ucs4", "egg", "/"])
TEXT = st.one_of(st.text(max_size=40), st.lists(PIECES, max_size=12).map("".join))


@SETTINGS
@given(project=TEXT, version=TEXT, pyver=st.one_of(st.none(), TEXT, st.sampled_from(["2.7", "3.10", "2.7.1"])),
       platform=st.one_of(st.none(), TEXT), suffix=st.sampled_from([".egg", ".egg-info", ".EGG", ".whl", ""]))
def test_egg_name_parser(project, version, pyver, platform, suffix):
    parts = [project, version] + ([f"py{pyver}"] if pyver is not None else []) + ([platform] if platform else [])
    filename = "-".join(parts) + suffix
    try:
        name = parse(filename)
    except MigrateError as exc:
        message = str(exc)
        assert message and "\n" not in message and message.isprintable()
        return
    assert name.project and name.project == name.project.strip()
    wheel = f"{dist_info_name(name.project)}-{name.version or '0'}-py2-none-any.whl"
    parsed = parse_wheel_filename(wheel)  # the name and version make a valid wheel file name
    assert parsed[0] == canonicalize_name(name.project)
    if name.version is not None:
        assert str(Version(name.version)) == name.version and name.version.isascii()
    if name.pyver is not None:
        assert all(p.isascii() and p.isdigit() for p in name.pyver.split("."))


@SETTINGS
@given(raw=TEXT)
def test_version_mapping(raw):
    try:
        mapping = map_version(raw)
    except ValueError as exc:  # InvalidVersion: only without a leading number
        assert "no leading release number" in str(exc)
        return
    assert str(Version(mapping.version)) == mapping.version and mapping.version.isascii()


REQ_LINES = st.one_of(
    TEXT,
    st.sampled_from(["six", "foo>=1.0", 'bar; python_version < "3"', "baz[x]==2", 'q; os_name=="nt" or sys_platform=="win32"',
                     "not a requirement!!", "foo (>=1", "[fast]", "[Fast Mode]", '[x"y]', '[:python_version<"3"or os_name=="nt"]',
                     "[docs:sys_platform == 'win32']", "[:bad marker]", "[", "]", "[:]", "[a:b:c]", "# comment"]),
)


@SETTINGS
@given(lines=st.lists(REQ_LINES, max_size=12))
def test_requires_txt_parser(lines):
    requires, extras, found = parse_requires_txt("\n".join(lines))
    for text in requires:
        req = Requirement(text)
        assert str(req) == text
        if req.marker is not None:
            Marker(str(req.marker))
    for extra in extras:
        assert normalise_extra(extra) == extra
    assert all(p.code == "M002" and "\n" not in p.message for p in found)


EP_LINES = st.one_of(
    TEXT,
    st.sampled_from(["[console_scripts]", "[group]", "name = mod:attr", "x = y [extra]", "=", "[", "[]", "a=b=c",
                     "  indented = continued", "; comment", "# comment", "[console_scripts]", "dup = a", "dup = b"]),
)


@SETTINGS
@given(lines=st.lists(EP_LINES, max_size=12))
def test_entry_points_parsers(lines):
    text = "\n".join(lines)
    groups = parse_entry_points(text)
    assert all(isinstance(g, str) and all(isinstance(k, str) and isinstance(v, str) for k, v in e.items())
               for g, e in groups.items())
    assert list(groups) == sorted(groups)
    problems = entry_points_problems(text)
    assert all(p.code == "M005" and "\n" not in p.message for p in problems)


PLAIN_EP_LINES = st.one_of(EP_LINES, st.sampled_from([
    "[a]b", "[a]]", "[[a]", "[ ]", "[DEFAULT]", " [group]", "\t# comment", "\x0c[group]", "name =", "= value",
    "name\r", "[group]\r", "a = b\x0b", "\x85", "x\ry = z", "x\u2028y", "[g]  ", "#", ";", "\t", " = x",
]))


@SETTINGS
@given(lines=st.lists(PLAIN_EP_LINES, max_size=12), newline=st.sampled_from(["\n", "\r\n"]))
def test_plain_entry_points_are_what_configparser_reads(lines, newline):
    """The plain reading, which spares loading configparser, never passes a file configparser refuses."""
    import configparser

    text = newline.join(lines)
    if _plain_ini(text):
        configparser.ConfigParser(delimiters=("=",), interpolation=None, strict=False).read_string(text)


def test_plain_entry_points_skip_configparser():
    """Entry points as setuptools writes them are read without configparser; others are left to it."""
    assert _plain_ini("[console_scripts]\nfoo = foo.cli:main\n\n[gui_scripts]\nbar = bar:run [gui]\n")
    assert _plain_ini("# made by hand\r\n[group]\r\nname = value\r\n")
    assert not _plain_ini("name = value\n[group]\n")  # before any header: configparser refuses it
    assert not _plain_ini("[group]\nname = a\n    continued\n")  # a continuation: configparser decides
    assert entry_points_problems("name = value\n")[0].code == "M005"


def test_surrogates_are_covered():
    assert os.fsdecode(b"\xe9") == "\udce9"


@SETTINGS
@given(name=st.one_of(TEXT, st.lists(st.sampled_from(["A", "z", "0", "-", "_", ".", "--", "._", "\u212a", "\u0130"]),
                                      max_size=12).map("".join)))
def test_canonical_name_is_packagings(name):
    """Our PEP 503 normal form (which spares loading packaging.tags) is packaging's, whatever the text."""
    assert our_canonical_name(name) == canonicalize_name(name)
