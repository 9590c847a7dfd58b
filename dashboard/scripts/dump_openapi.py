"""Print the HTTP functions' OpenAPI documents merged into one (paths and schemas).

Used by scripts/openapi-types.mjs while the repository has no combined document: each HTTP
function serves its own at /<area>/openapi.json; this imports the same apps and merges them.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _app(area: str) -> Any:
    path = ROOT / "functions" / area / "app.py"
    spec = importlib.util.spec_from_file_location(f"dashboard_openapi_{area}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def combined() -> dict[str, Any]:
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "StoFlow HTTP API", "version": "1"},
        "paths": {},
        "components": {"schemas": {}},
    }
    # Every HTTP function: the ones whose app serves an OpenAPI document.
    areas = sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py") if "openapi_url=" in p.read_text())
    for area in areas:
        part = _app(area).openapi()
        document["paths"].update(part.get("paths", {}))
        document["components"]["schemas"].update(part.get("components", {}).get("schemas", {}))
    document["paths"] = dict(sorted(document["paths"].items()))
    document["components"]["schemas"] = dict(sorted(document["components"]["schemas"].items()))
    return document


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "layers" / "core"))
    json.dump(combined(), sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")
