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
