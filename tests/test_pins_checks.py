"""What pin checks in the mirror before it pins a file: the wheel's sha256, and Requires-Python."""
from __future__ import annotations

import hashlib

import pytest

from migrate import mirror, pins
from tests.wheelmaker import make_wheel


def test_a_wheel_whose_bytes_differ_from_the_index_hash_is_refused(tmp_path):
    """No PEP 658 file on the page, so pin reads the wheel itself: its bytes must match the #sha256."""
    wheel = make_wheel(tmp_path / "files", "alpha", "1.0", {"alpha.py": "X = 1\n"})
    wrong = hashlib.sha256(b"other bytes").hexdigest()
    page = tmp_path / "simple" / "alpha"
    page.mkdir(parents=True)
    (page / "index.html").write_text(f'<a href="../../files/{wheel.name}#sha256={wrong}">{wheel.name}</a>\n')
    (tmp_path / "simple" / "index.html").write_text('<a href="alpha/">alpha</a>\n')
    with pytest.raises(pins.PinError, match="sha256 differs from the index"):
        pins.pin(["alpha"], tmp_path / "simple", pins.Target.make("3.11"))
    good = hashlib.sha256(wheel.read_bytes()).hexdigest()
    (page / "index.html").write_text(f'<a href="../../files/{wheel.name}#sha256={good}">{wheel.name}</a>\n')
    assert [(p.name, p.version) for p in pins.pin(["alpha"], tmp_path / "simple", pins.Target.make("3.11")).pins] \
        == [("alpha", "1.0")]


def test_requires_python_keeps_a_newer_release_from_an_older_target(tmp_path):
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "beta", "1.0", {"beta.py": "X = 1\n"}, requires_python=">=2.7")
    make_wheel(wheels, "beta", "2.0", {"beta.py": "X = 2\n"}, requires_python=">=3.8")
    root = tmp_path / "mirror"
    assert mirror.publish(sorted(str(w) for w in wheels.iterdir()), root).ok
    for python, version in (("2.7", "1.0"), ("3.11", "2.0")):
        (found,) = pins.pin(["beta"], root, pins.Target.make(python)).pins
        assert found.version == version, (python, found)
