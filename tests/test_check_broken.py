"""One deliberately broken wheel per static code; each must yield exactly its code.

``BROKEN`` maps a code to a builder ``(tmp_path) -> wheel path``; the wheels
start from ``standard_files()`` (proved clean by every tool in
test_check_wheelmaker.py) and change one thing. test_check_tools.py runs
``twine check`` and ``check-wheel-contents`` on the same wheels.
"""
from __future__ import annotations

import zipfile

import pytest

from migrate import problems as P
from migrate.checks.check import check_wheel
from tests.test_check_wheelmaker import (
    Member,
    build_wheel,
    cext27,
    cext310,
    installer_errors,
    record_hash,
    standard_files,
    xmlext310,
)

DI = "demo-1.0.dist-info"
EXT310 = "cext.cpython-310-x86_64-linux-gnu.so"


def _wheel(tmp, filename="demo-1.0-py3-none-any.whl", **kw):
    files = kw.pop("files", None) or standard_files(**{k: kw.pop(k) for k in list(kw) if k in ("tags", "purelib", "metadata", "modules")})
    return build_wheel(tmp, files, filename, **kw)


def _edit(path: str, old: bytes, new: bytes, **std):
    files = standard_files(**std)
    assert old in files[path], (path, old)
    files[path] = files[path].replace(old, new)
    return files


def _binary(tag: str, modules: dict, purelib: bool = False, filename: str = None):
    def build(tmp):
        files = standard_files(tags=(tag,), purelib=purelib, modules=modules)
        return build_wheel(tmp, files, filename or f"demo-1.0-{tag}.whl")
    return build


def _metadata(old: bytes, new: bytes):
    return lambda tmp: build_wheel(tmp, _edit(f"{DI}/METADATA", old, new))


def _wheel_file(old: bytes, new: bytes, **std):
    return lambda tmp: build_wheel(tmp, _edit(f"{DI}/WHEEL", old, new, **std))


def _rows(change):
    return lambda tmp: build_wheel(tmp, standard_files(), rows=change)


def _replace_row(name, index, value):
    def change(rows):
        for row in rows:
            if row[0] == name:
                row[index] = value
        return rows
    return change


def _files(extra: dict, **std):
    return lambda tmp: build_wheel(tmp, {**standard_files(**std), **extra})


BROKEN = {
    # W0xx the file
    "W001": lambda tmp: (tmp.mkdir(parents=True, exist_ok=True), (tmp / "demo-1.0-py3-none-any.whl").write_bytes(b"not a zip"))
    and tmp / "demo-1.0-py3-none-any.whl",
    # W1xx file name
    "W101": lambda tmp: build_wheel(tmp, standard_files(), "demo-1.0-py3-none.whl"),
    "W102": lambda tmp: build_wheel(tmp, standard_files(), "Demo-1.0-py3-none-any.whl"),
    "W103": lambda tmp: build_wheel(tmp, standard_files(), "demo-1.00-py3-none-any.whl"),
    "W104": lambda tmp: build_wheel(tmp, {"demo/__init__.py": b""}, record=False),
    "W105": lambda tmp: build_wheel(tmp, {**standard_files(), "other-1.0.dist-info/METADATA": b"x"}, dist_info=DI),
    "W106": lambda tmp: build_wheel(tmp, {n.replace("demo-1.0.dist-info", "demo-2.0.dist-info"): d
                                          for n, d in standard_files().items()}),
    "W107": _files({"other-1.0.data/data/share/x.txt": b"x"}),
    # W2xx zip safety
    "W201": _files({"/tmp/evil.txt": b"x"}),
    "W202": _files({"../evil.txt": b"x"}),
    "W203": _files({"demo/link": Member(b"/etc/passwd", symlink=True)}),
    "W204": lambda tmp: build_wheel(tmp, standard_files(), extra=(("demo/__init__.py", b"VALUE = 1\n"),)),
    "W205": _files({"demo/zeros.bin": b"\0" * (3 * 1024**2)}),
    "W206": _files({"demo/secret.txt": Member(b"x", encrypted=True)}),
    "W207": _files({"demo/./dot.py": b""}),
    "W208": lambda tmp: build_wheel(tmp, {**standard_files(), "demo/d.bin": Member(b"0123456789", method=zipfile.ZIP_STORED)},
                                    corrupt="demo/d.bin"),
    "W209": _files({"demo/x": b"", "demo/x/y.py": b""}),
    "W210": _files({"demo/b.txt": Member(b"hello", method=zipfile.ZIP_BZIP2)}),
    # W3xx RECORD
    "W301": lambda tmp: build_wheel(tmp, standard_files(), record=False),
    "W302": _rows(lambda rows: rows[:-1] + [["junk", "only"]] + rows[-1:]),
    "W303": _rows(lambda rows: rows[:1] + rows),
    "W304": _rows(lambda rows: rows[1:]),
    "W305": _rows(lambda rows: [["demo/gone.py", record_hash(b""), "0"]] + rows),
    "W306": _rows(_replace_row("demo/__init__.py", 1, record_hash(b"other!!!!\n"))),
    "W307": _rows(_replace_row("demo/__init__.py", 2, "11")),
    "W308": _rows(_replace_row("demo/__init__.py", 1, "")),
    "W309": _rows(_replace_row("demo/__init__.py", 1, record_hash(b"VALUE = 1\n", "md5"))),
    "W310": _rows(_replace_row(f"{DI}/RECORD", 1, record_hash(b""))),
    "W311": lambda tmp: build_wheel(tmp, standard_files(), record_first=True),
    "W312": lambda tmp: build_wheel(tmp, {**standard_files(), f"{DI}/RECORD.jws": b"{}"}),
    # W4xx METADATA
    "W401": lambda tmp: build_wheel(tmp, {n: d for n, d in standard_files().items() if not n.endswith("METADATA")}),
    "W402": _metadata(b"Metadata-Version: 2.1", b"Metadata-Version: 9.1"),
    "W403": _metadata(b"Summary: a test wheel", "Summary: caf\u00e9".encode("latin-1")),
    "W404": _metadata(b"Metadata-Version: 2.1", b"Metadata-Version: 1.2\nProvides-Extra: fast"),
    "W405": _metadata(b"Summary:", b"Requires-Dist: foo (>=1\nSummary:"),
    "W406": _metadata(b"Name: demo\n", b""),
    "W407": _metadata(b"Version: 1.0\n", b"Version: 1.0\nVersion: 1.0\n"),
    "W408": _metadata(b"Summary:", b"Foo-Bar: x\nSummary:"),
    "W409": _metadata(b"Summary:", b"Requires-Dist: foo\nRequires-Dist: foo\nSummary:"),
    "W410": _metadata(b"Summary:", b"Requires-Dist: foo; extra == 'fast'\nSummary:"),
    "W411": _metadata(b"Name: demo\n", b"Name: other\n"),
    "W412": _files({f"{DI}/entry_points.txt": "[console_scripts]\ncaf\u00e9 = demo:main\n".encode("latin-1")}),
    # W5xx WHEEL
    "W501": lambda tmp: build_wheel(tmp, {n: d for n, d in standard_files().items() if not n.endswith("/WHEEL")}),
    "W502": _wheel_file(b"Generator: egg-migrate tests\n", b"this is not a header\n"),
    "W503": _wheel_file(b"Wheel-Version: 1.0", b"Wheel-Version: 2.0"),
    "W504": _wheel_file(b"Wheel-Version: 1.0", b"Wheel-Version: 1.1"),
    "W505": _wheel_file(b"Root-Is-Purelib: true\n", b""),
    "W506": _binary("cp310-cp310-linux_x86_64", {EXT310: cext310()}, purelib=True),
    "W507": lambda tmp: build_wheel(tmp, standard_files(purelib=False)),
    "W508": _wheel_file(b"Tag: py3-none-any", b"Tag: py2-none-any"),
    "W509": _files({"demo-1.0.data/purelib/extra.py": b""}),
    # W6xx tags vs binaries
    "W601": _binary("py3-none-any", {"demo/libhelper.so": cext310()}),
    "W602": _binary("py3-none-linux_x86_64", {EXT310: cext310()}),
    "W603": _binary("cp310-cp310-linux_x86_64", {"cext.so": cext27()}),
    "W604": _binary("cp36-cp36m-linux_x86_64", {EXT310: cext310()}),
    "W605": _binary("cp27-cp27m-linux_x86_64", {"cext.so": cext27()}),
    "W606": _binary("cp310-cp310-linux_aarch64", {EXT310: cext310()}),
    "W607": _binary("cp310-cp310-manylinux_2_17_x86_64", {"xmlext.cpython-310-x86_64-linux-gnu.so": xmlext310()}),
    "W608": _binary("cp310-cp310-win_amd64", {EXT310: cext310()}),
    "W609": _files({"demo/broken.so": b"this is no ELF file"}),
    "W610": _binary("py27-cp27mu-linux_x86_64", {"demo/__init__.py": b""}),
    # W7xx content smells
    "W701": _binary("cp310-cp310-linux_x86_64", {EXT310: cext310(), "cext.py": b"def __bootstrap__():\n    global __bootstrap__\n    # cext.cpython-310-x86_64-linux-gnu.so\n__bootstrap__()\n"}),
    "W702": _files({"demo/__init__.pyc": b"\x03\xf3\r\n" + b"\0" * 12}),
    "W703": _files({"demo/__pycache__/__init__.cpython-310.pyc": b"o\r\r\n" + b"\0" * 12}),
    "W704": _files({"demo-tool": b"#!/usr/bin/env python\nprint('hi')\n"}),
    "W705": _files({"EGG-INFO/PKG-INFO": b"Metadata-Version: 1.0\n"}),
    "W706": _files({"__init__.py": b""}),
    "W707": _files({"nsdemo/__init__.py": b"__import__('pkg_resources').declare_namespace(__name__)\n",
                    "nsdemo/alpha/__init__.py": b""}),
    "W708": lambda tmp: build_wheel(tmp, standard_files(modules={})),
    "W709": _files({"demo-1.0.data/scripts/demo-tool": b"#!/usr/bin/python2.7\nprint('hi')\n"}),
}


@pytest.mark.parametrize("code", sorted(BROKEN))
def test_broken_wheel_yields_exactly_its_code(tmp_path, code):
    wheel = BROKEN[code](tmp_path)
    result = check_wheel(wheel)
    assert result.codes == [code], [str(p) for p in result.problems]
    severity = {p.severity for p in result.problems if p.code == code}
    assert len(severity) == 1
    expected_error = code not in WARNINGS
    assert (result.errors > 0) == expected_error, [str(p) for p in result.problems]
    assert result.ok == (not expected_error)


WARNINGS = {"W102", "W103", "W210", "W311", "W409", "W410", "W504", "W507", "W609",
            "W701", "W702", "W703", "W704", "W707", "W708", "W709"}


def test_every_static_code_in_the_docs_has_a_broken_wheel():
    documented = documented_codes()
    static = {c for c in documented if "W100" <= c < "W800" or c in ("W001",)}
    assert static - {"W002"} == set(BROKEN), static ^ set(BROKEN)


def documented_codes() -> dict:
    """{code: severity} from the table in docs/check.rst."""
    import re
    from pathlib import Path

    text = (Path(__file__).parent.parent / "docs" / "check.rst").read_text("utf-8")
    return {m[1]: m[2] for m in re.finditer(r"^\s*(?:\|\s*)?``(W\d{3})``\s*\|?\s*(error|warning|info|skip)", text, re.M)}


def test_severities_match_the_docs(tmp_path):
    documented = documented_codes()
    for code, build in sorted(BROKEN.items()):
        result = check_wheel(build(tmp_path / code))
        for p in result.problems:
            assert documented.get(p.code) == p.severity, (code, str(p))


RECORD_CODES = ("W301", "W302", "W304", "W306", "W307", "W308", "W310", "W312")


@pytest.mark.parametrize("code", RECORD_CODES)
def test_installer_agrees_the_record_is_broken(tmp_path, code):
    """installer's validate_record (the reference) rejects every wheel we flag for RECORD."""
    wheel = BROKEN[code](tmp_path)
    assert installer_errors(wheel), code


@pytest.mark.parametrize("code", ("W303", "W305", "W309"))
def test_installer_misses_what_we_add(tmp_path, code):
    """Rows listed twice, rows for files the archive lacks, md5 hashes (the spec forbids md5 and sha1):
    installer's validation lets them pass; we flag them."""
    wheel = BROKEN[code](tmp_path)
    assert installer_errors(wheel) == []
    assert check_wheel(wheel).codes == [code]


def test_problem_messages_name_the_member(tmp_path):
    result = check_wheel(BROKEN["W306"](tmp_path))
    [problem] = result.problems
    assert problem.severity == P.ERROR and "demo/__init__.py" in problem.message


def test_a_crashing_check_is_reported_and_the_others_still_run(tmp_path, monkeypatch):
    from migrate.checks import smells

    def boom(w):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(smells, "check", boom)
    result = check_wheel(BROKEN["W306"](tmp_path))
    assert result.codes == ["W002", "W306"]
    assert any("smells" in p.message and "simulated bug" in p.message for p in result.problems)
