"""docs/manifest.schema.json describes the manifest.json a real run writes, and nothing looser."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

SCHEMA = json.loads((Path(__file__).resolve().parent.parent / "docs" / "manifest.schema.json").read_text())


@pytest.fixture(scope="module")
def manifest(sample_run: Path) -> dict:
    return json.loads((sample_run / "manifest.json").read_text(encoding="utf-8"))


def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_a_real_run_manifest_validates(manifest):
    jsonschema.validate(manifest, SCHEMA, cls=jsonschema.Draft202012Validator)
    statuses = {r["status"] for r in manifest["eggs"]}
    assert statuses == {"converted", "failed"}  # both shapes of a record were checked


@pytest.mark.parametrize("break_it", [
    lambda m: m["eggs"][0].update(status="done"),
    lambda m: m["eggs"][0].update(surprise=1),
    lambda m: m["eggs"][0].pop("wheel_path"),
    lambda m: m["eggs"][0]["wheel"].update(sha256="xyz"),
    lambda m: next(r for r in m["eggs"] if r["status"] == "converted").update(wheel=None),
    lambda m: next(r for r in m["eggs"] if r["status"] == "failed").update(reason=None),
    lambda m: m.update(schema=2),
], ids=["status", "unknown key", "missing key", "sha256", "converted without wheel", "failed without reason",
        "schema"])
def test_the_schema_rejects_a_broken_manifest(manifest, break_it):
    broken = copy.deepcopy(manifest)
    break_it(broken)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA, cls=jsonschema.Draft202012Validator)
