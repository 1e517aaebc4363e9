"""The README and docs/ are reStructuredText that renders without errors (PyPI shows the README)."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.rst"] + sorted((ROOT / "docs").glob("*.rst"))


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_renders_without_warnings(path):
    core = pytest.importorskip("docutils.core")
    messages = io.StringIO()
    core.publish_doctree(path.read_text("utf-8"), source_path=str(path),
                         settings_overrides={"warning_stream": messages, "report_level": 2, "halt_level": 5})
    assert messages.getvalue() == ""


def test_every_proof_named_in_promises_exists():
    """docs/promises.rst names tests and benchmarks: each file exists, and each test is defined in it."""
    import re

    text = (ROOT / "docs" / "promises.rst").read_text(encoding="utf-8")
    named = re.findall(r"``((?:tests|benchmarks)/[\w/]+\.py)(?:::(\w+))?``", text)
    assert len(named) > 30
    for path, test in named:
        source = (ROOT / path).read_text(encoding="utf-8")
        if test:
            assert re.search(rf"^def {test}\(", source, re.M), f"{path}::{test} is not defined"
