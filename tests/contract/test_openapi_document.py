"""The combined OpenAPI document (openapi/stoflow.json): valid OpenAPI, complete against
template.yaml, written for API users, and up to date with the code (`make openapi`)."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from openapi_spec_validator import validate

from infra.local.template import load_template
from infra.openapi import DOCUMENT_PATH, MergeConflict, build_document, merge, render
from infra.openapi_text import OPERATIONS


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_document()


def _operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": operation
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }


def test_the_document_is_valid_openapi(document) -> None:
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_the_file_is_what_the_code_describes(document) -> None:
    assert DOCUMENT_PATH.is_file(), "run `make openapi`"
    assert DOCUMENT_PATH.read_text() == render(document), (
        f"{DOCUMENT_PATH.name} is out of date with the routes: run `make openapi` and commit the file"
    )


def test_every_route_of_the_template_is_in_the_document(document) -> None:
    routes = {
        route.route_key
        for route in load_template().http_routes()
        if not route.path.endswith("/openapi.json") and route.path != "/health"
    }
    assert routes - set(_operations(document)) == set()
    assert set(_operations(document)) - routes == set(), "an operation no route reaches"


def test_every_operation_is_described_for_api_users(document) -> None:
    operations = _operations(document)
    assert sorted(set(OPERATIONS) - set(operations)) == [], "texts for operations that no longer exist"
    undescribed = [key for key, op in operations.items() if not op.get("description") or not op.get("summary")]
    assert undescribed == []
    developer_words = re.compile(r"async def|Lambda|FastAPI|Mangum|SQL|thread hop|session\.\w|repository", re.I)
    notes = [key for key, op in operations.items() if developer_words.search(op["description"])]
    assert notes == [], "implementation notes in descriptions (write them as comments in the code)"
    for tag in document["tags"]:
        assert tag["description"], tag


def test_errors_are_documented_as_problems(document) -> None:
    for key, operation in _operations(document).items():
        problems = [
            code
            for code, answer in operation["responses"].items()
            if "application/problem+json" in answer.get("content", {})
        ]
        assert problems or key.startswith(("GET /auth/jwks.json",)) or "422" in operation["responses"], key


def _doc(paths: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _get(ref: str) -> dict[str, Any]:
    return {
        "get": {
            "tags": ["products"],
            "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": ref}}}}},
        }
    }


def test_merge_refuses_one_route_in_two_functions() -> None:
    one = _doc({"/products": _get("#/components/schemas/A")}, {"A": {"type": "object"}})
    with pytest.raises(MergeConflict, match="GET /products"):
        merge({"ProductsFunction": one, "OtherFunction": copy.deepcopy(one)})


def test_merge_qualifies_a_name_two_functions_use_for_different_models() -> None:
    token = {"type": "object", "properties": {"a": {"type": "string"}}}
    other_token = {"type": "object", "properties": {"b": {"type": "string"}}}
    shared = {"type": "string"}
    merged = merge(
        {
            "AuthFunction": _doc(
                {"/auth/x": _get("#/components/schemas/TokenOut")}, {"TokenOut": token, "Shared": shared}
            ),
            "ExtensionFunction": _doc(
                {
                    "/extension/y": _get("#/components/schemas/Wrapper"),
                },
                {
                    "TokenOut": other_token,
                    "Shared": shared,
                    "Wrapper": {"type": "object", "properties": {"t": {"$ref": "#/components/schemas/TokenOut"}}},
                },
            ),
        }
    )
    schemas = merged["components"]["schemas"]
    assert set(schemas) == {"AuthTokenOut", "ExtensionTokenOut", "Shared", "Wrapper"}
    assert schemas["Wrapper"]["properties"]["t"]["$ref"] == "#/components/schemas/ExtensionTokenOut"
    answer = merged["paths"]["/auth/x"]["get"]["responses"]["200"]["content"]["application/json"]
    assert answer["schema"]["$ref"] == "#/components/schemas/AuthTokenOut"
    validate(merged)
