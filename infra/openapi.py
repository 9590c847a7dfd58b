"""One OpenAPI document for the whole HTTP API: every HTTP function's own document, merged.

Each area function serves its own document (/<area>/openapi.json); the dashboard needs one, to
generate its TypeScript types from. The functions are found in template.yaml (the functions
with HttpApi events and a FastAPI app), so a new function is included without touching this file.

    python -m infra.openapi            # writes openapi/stoflow.json
    python -m infra.openapi --check    # exits 1 if the file is not what the code describes

Merging: paths are disjoint by construction (API Gateway routes each to one function; a clash
is an error). Component schemas with one name and one content are shared; a name that two
functions use for different contents is qualified by area in each of them (`AuthTokenOut`,
`ExtensionTokenOut`), so a generated client never gets a type that silently means two things.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCUMENT_PATH = REPO_ROOT / "openapi" / "stoflow.json"

__all__ = ["DOCUMENT_PATH", "MergeConflict", "build_document", "function_documents", "merge", "render"]

TITLE = "StoFlow API"
DESCRIPTION = """\
Keep one catalogue of second-hand products and publish it on Vinted, eBay and Etsy.

**Authentication.** `POST /auth/login` answers an access token (15 minutes) and a refresh token
(7 days, single use: `POST /auth/refresh` trades it for a new pair). Every other call sends
`Authorization: Bearer <access_token>`.

**Errors** are `application/problem+json` (RFC 9457) with a stable `code` to branch on, e.g.
`product_not_found`, `stale_version`, `marketplace_not_connected`; `detail` is for people.
Invalid input is a 422 whose `errors` say which fields.

**Lists** take `limit` (1 to 100, default 50) and `offset`, and answer `{items, total, limit, offset}`.

**Tenancy.** Every id belongs to your account: an id of another account answers 404, exactly as an
id that does not exist.

**Marketplace work is asynchronous.** Publishing, updating, delisting and syncing are jobs
(`POST /jobs`, answered 202); follow them with `GET /jobs/{job_id}` or over the WebSocket API.
"""

TAGS: dict[str, str] = {
    "auth": "Accounts and sessions: register, log in, refresh, log out, verify the email address, "
    "reset or change the password.",
    "account": "Your whole account: export everything, or delete it.",
    "products": "Your catalogue: create, edit (with the version you read), soft-delete, filter "
    "(status, brand, category, text, price, where it is listed), bulk status changes.",
    "images": "Product photos: upload straight to storage with a presigned form, then `complete`; "
    "order, label flag, alt text.",
    "listings": "Where each product is listed, and its publication history.",
    "catalog": "Shared catalogues (brands, categories, colours, conditions, sizes, materials, …) "
    "that product attributes point at.",
    "jobs": "Marketplace work: publish, update, delist, sync, in batches; follow and cancel it.",
    "marketplaces": "Connect and disconnect eBay and Etsy, their settings, and the state of every connection.",
    "orders": "Orders from every marketplace, in one shape, and when each marketplace's sales were last checked.",
    "sales": "Each sale and its delist chain (sale seen, product sold, delists queued per marketplace, done), "
    "the one-action restore of a sale that fell through, and the alerts a seller must act on.",
    "vinted": "Your Vinted conversations (read, reply) and the wardrobe items not yet linked to a product.",
    "extension": "Pair the browser extension that carries out Vinted work, and manage paired devices.",
    "websocket": "Tickets to open the WebSocket API (live job status for the dashboard, commands for the extension).",
}


class MergeConflict(ValueError):
    pass


def _http_functions() -> list[Any]:
    from infra.local.template import load_template

    return [f for f in load_template().functions if f.events_of_type("HttpApi")]


def _load_app(function: Any) -> Any | None:
    from fastapi import FastAPI

    name = f"stoflow_openapi_{function.logical_id}"
    spec = importlib.util.spec_from_file_location(name, function.module_file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    apps = [value for value in vars(module).values() if isinstance(value, FastAPI)]
    return apps[0] if apps else None  # a plain handler (health) has no document


def function_documents() -> dict[str, dict[str, Any]]:
    """Each HTTP function's own document, by logical id (what /<area>/openapi.json serves)."""
    documents = {}
    for function in _http_functions():
        app = _load_app(function)
        if app is not None:
            documents[function.logical_id] = copy.deepcopy(app.openapi())
    return documents


def _area(logical_id: str) -> str:
    return logical_id.removesuffix("Function")


def _rename_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_SCHEMA_REF):
                name = value[len(_SCHEMA_REF) :]
                out[key] = _SCHEMA_REF + renames.get(name, name)
            else:
                out[key] = _rename_refs(value, renames)
        return out
    if isinstance(node, list):
        return [_rename_refs(item, renames) for item in node]
    return node


_SCHEMA_REF = "#/components/schemas/"


def _qualify_clashes(documents: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Schema names used with different contents by different functions, qualified by area."""
    contents: dict[str, list[str]] = {}
    for document in documents.values():
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            text = json.dumps(schema, sort_keys=True)
            if text not in contents.setdefault(name, []):
                contents[name].append(text)
    clashing = {name for name, texts in contents.items() if len(texts) > 1}
    qualified = {}
    for owner, document in documents.items():
        schemas = document.get("components", {}).get("schemas", {})
        renames = {name: f"{_area(owner)}{name}" for name in schemas if name in clashing}
        if not renames:
            qualified[owner] = document
            continue
        renamed = _rename_refs(document, renames)
        renamed_schemas = renamed["components"]["schemas"]
        renamed["components"]["schemas"] = {renames.get(k, k): v for k, v in renamed_schemas.items()}
        qualified[owner] = renamed
    return qualified


def merge(documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    documents = _qualify_clashes(documents)
    paths: dict[str, dict[str, Any]] = {}
    owners: dict[tuple[str, str], str] = {}
    schemas: dict[str, Any] = {}
    schema_owner: dict[str, str] = {}
    security: dict[str, Any] = {}
    tags: set[str] = set()
    versions = {doc.get("openapi") for doc in documents.values()}
    if len(versions) != 1:
        raise MergeConflict(f"the functions' documents use different OpenAPI versions: {sorted(map(str, versions))}")
    for owner, document in sorted(documents.items()):
        for path, operations in document.get("paths", {}).items():
            merged = paths.setdefault(path, {})
            for method, operation in operations.items():
                if method in merged:
                    raise MergeConflict(f"{method.upper()} {path} is in {owners[(path, method)]} and in {owner}")
                owners[(path, method)] = owner
                merged[method] = operation
                tags.update(operation.get("tags", []))
        components = document.get("components", {})
        for name, schema in components.get("schemas", {}).items():
            if name in schemas and schemas[name] != schema:  # cannot happen after _qualify_clashes
                raise MergeConflict(f"schema {name!r} differs between {schema_owner[name]} and {owner}")
            schemas.setdefault(name, schema)
            schema_owner.setdefault(name, owner)
        for name, scheme in components.get("securitySchemes", {}).items():
            if name in security and security[name] != scheme:
                raise MergeConflict(f"security scheme {name!r} differs between functions")
            security[name] = scheme
    unknown_tags = sorted(tags - set(TAGS))
    if unknown_tags:
        raise MergeConflict(f"tags without a description in infra/openapi.py TAGS: {unknown_tags}")
    return {
        "openapi": versions.pop(),
        "info": {"title": TITLE, "version": "1.0.0", "description": DESCRIPTION},
        "tags": [{"name": name, "description": TAGS[name]} for name in TAGS if name in tags],
        "paths": {path: paths[path] for path in sorted(paths)},
        "components": {
            "schemas": {name: schemas[name] for name in sorted(schemas)},
            "securitySchemes": {name: security[name] for name in sorted(security)},
        },
    }


def describe(document: dict[str, Any]) -> dict[str, Any]:
    """Summaries and descriptions for API users, from infra/openapi_text.py where the code has
    none (a route's own docstring wins)."""
    from infra.openapi_text import OPERATIONS

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            text = OPERATIONS.get(f"{method.upper()} {path}")
            if text is None:
                continue
            operation["summary"] = text[0]
            if not operation.get("description"):
                operation["description"] = text[1]
    return document


def build_document() -> dict[str, Any]:
    return describe(merge(function_documents()))


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    parser.add_argument("--output", type=Path, default=DOCUMENT_PATH)
    args = parser.parse_args(argv)
    text = render(build_document())
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"wrote {args.output.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
