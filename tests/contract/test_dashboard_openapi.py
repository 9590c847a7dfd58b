"""The dashboard's API types are generated from the HTTP functions' OpenAPI documents; the merged
copy it reads (dashboard/src/api/openapi.json) must be what the functions serve today. The
dashboard's own test (Vitest) then checks that the generated TypeScript matches that copy."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMBINED = ROOT / "openapi" / "stoflow.json"
MERGED = ROOT / "dashboard" / "src" / "api" / "openapi.json"


def _dump_module():
    script = ROOT / "dashboard" / "scripts" / "dump_openapi.py"
    spec = importlib.util.spec_from_file_location("dashboard_dump_openapi", script)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(COMBINED.exists(), reason="the dashboard reads the combined document, checked by its own test")
def test_the_dashboard_copy_of_the_api_document_is_current() -> None:
    served = json.loads(json.dumps(_dump_module().combined()))
    committed = json.loads(MERGED.read_text())
    assert committed == served, "dashboard/src/api/openapi.json is stale: run `npm run types` in dashboard/"
