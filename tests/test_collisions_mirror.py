"""One distribution spelled ``Foo_Bar``/``foo_bar``/``foo.bar`` is one file in the mirror.

pip normalizes the name and version of a wheel file name: ``Foo_Bar-1.0-py2-none-any.whl``
and ``foo_bar-1.00-py2-none-any.whl`` are the same wheel to it, so a mirror listing both
lets pip take either. The first given is published; another with other content is an R003.
"""
from __future__ import annotations

from migrate import mirror
from tests.wheelmaker import links, make_wheel


def test_two_spellings_of_one_wheel_publish_one_file(tmp_path):
    first = make_wheel(tmp_path / "a", "Foo_Bar", "1.0", {"foo_bar.py": "V = 1\n"}, tag="py2-none-any")
    second = make_wheel(tmp_path / "b", "foo_bar", "1.00", {"foo_bar.py": "V = 2\n"}, tag="py2-none-any")
    report = mirror.publish([first, second], tmp_path / "m")
    assert report.files == 1
    assert [(p.code, p.message) for p in report.problems] == [
        ("R003", f"{second}: another wheel named Foo_Bar-1.0-py2-none-any.whl (one file to pip) with different "
                 "content was given; kept the first")]
    assert sorted(p.name for p in (tmp_path / "m" / "packages").rglob("*.whl")) == [first.name]
    page = tmp_path / "m" / "simple" / "foo-bar" / "index.html"
    assert [a["href"].rsplit("/", 1)[-1].split("#")[0] for a in links(page)] == [first.name]


def test_two_spellings_with_other_tags_are_two_files(tmp_path):
    two = make_wheel(tmp_path / "a", "Foo_Bar", "1.0", {"foo_bar.py": "V = 1\n"}, tag="py2-none-any")
    three = make_wheel(tmp_path / "b", "foo_bar", "1.0", {"foo_bar.py": "V = 2\n"}, tag="py3-none-any")
    report = mirror.publish([two, three], tmp_path / "m")
    assert report.files == 2 and not report.problems
