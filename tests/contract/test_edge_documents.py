"""One rule for every route, read from the OpenAPI documents: every value a client sends is bounded
by what its column can hold (stoflow.api.edge). A new route whose parameter or body field is a
bare `int` or `str` fails here before any request is sent.

- integers state a minimum and a maximum within bigint;
- numbers state both bounds;
- strings refuse NUL: an enum, a date-time, or a pattern that cannot match U+0000;
- objects with free-form keys state a key pattern that refuses NUL too.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.api import load_function

FUNCTIONS = ("account", "auth", "catalog", "extension", "jobs", "marketplaces", "products", "vinted", "ws_tickets")
INT64 = (-(2**63), 2**63 - 1)
# A pattern that cannot match NUL: it names \x00 (in a negated class), or it is anchored at both
# ends and uses only positive classes (no negated class, no dot, no \S \W \D).
_NEGATED = re.compile(r"\[\^|(?<!\\)\.|\\[SWD]")


def _refuses_nul(pattern: str) -> bool:
    if "\\x00" in pattern:
        return True
    return pattern.startswith("^") and pattern.endswith("$") and not _NEGATED.search(pattern)


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        target: Any = document
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        schema = target
    return schema


def _problems(document: dict[str, Any], schema: dict[str, Any], where: str, seen: frozenset[str]) -> list[str]:
    ref = schema.get("$ref")
    if ref in seen:
        return []
    schema = _resolve(document, schema)
    seen = seen | {ref} if ref else seen
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for index, sub in enumerate(schema.get(key, ())):
            found += _problems(document, sub, f"{where}/{key}[{index}]", seen)
    kind = schema.get("type")
    if "enum" in schema or "const" in schema:
        return found
    if kind == "integer":
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is None or high is None or low < INT64[0] or high > INT64[1]:
            found.append(f"{where}: integer without bigint bounds ({low}..{high})")
    elif kind == "number":
        if schema.get("minimum") is None or schema.get("maximum") is None:
            found.append(f"{where}: number without bounds")
    elif kind == "string":
        if schema.get("format") != "date-time" and not _refuses_nul(schema.get("pattern", "")):
            found.append(f"{where}: string that may carry NUL (pattern {schema.get('pattern')!r})")
    elif kind == "array":
        found += _problems(document, schema.get("items", {}), f"{where}[]", seen)
    elif kind == "object":
        for name, sub in schema.get("properties", {}).items():
            found += _problems(document, sub, f"{where}.{name}", seen)
        free = schema.get("additionalProperties")
        patterns = schema.get("patternProperties", {})
        if isinstance(free, dict) or patterns:
            key_pattern = (schema.get("propertyNames") or {}).get("pattern", "")
            if not (_refuses_nul(key_pattern) or (patterns and all(_refuses_nul(p) for p in patterns))):
                found.append(f"{where}: object keys may carry NUL")
            for pattern, sub in patterns.items():
                found += _problems(document, sub, f"{where}[{pattern}]", seen)
            if isinstance(free, dict):
                found += _problems(document, free, f"{where}[*]", seen)
    return found


def _inputs(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    inputs = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            label = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", ()):
                parameter = _resolve(document, parameter)
                inputs.append((f"{label} {parameter['in']} {parameter['name']}", parameter.get("schema", {})))
            for media, content in (operation.get("requestBody") or {}).get("content", {}).items():
                inputs.append((f"{label} body ({media})", content.get("schema", {})))
    return inputs


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_input_is_bounded_by_its_column(function: str) -> None:
    document = load_function(function).app.openapi()
    inputs = _inputs(document)
    assert inputs, f"{function}: no inputs found"
    problems = [problem for where, schema in inputs for problem in _problems(document, schema, where, frozenset())]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("schema", "refused"),
    [
        ({"type": "integer", "minimum": 0}, True),
        ({"type": "integer", "minimum": 0, "maximum": 2**63}, True),
        ({"type": "integer", "minimum": 0, "maximum": 2**63 - 1}, False),
        ({"type": "string", "maxLength": 10}, True),
        ({"type": "string", "pattern": "^[^@]+@.+$"}, True),
        ({"type": "string", "pattern": "^[^\\x00]*$"}, False),
        ({"type": "string", "pattern": "^[A-Z]{3}$"}, False),
        ({"type": "object", "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 2}}, True),
        ({"type": "number"}, True),
    ],
)
def test_the_rule_refuses_unbounded_inputs(schema: dict[str, Any], refused: bool) -> None:
    assert bool(_problems({}, schema, "x", frozenset())) is refused
