"""A small validator over the official marketplace OpenAPI files (OpenAPI 3.0 JSON, shipped in
`openapi/` beside this module), used by the sandboxes on every request they receive and every
answer they give, and by the contract tests.

For each request a client sends: the operation must exist (method and path template), path and
query parameters must be declared and of the declared type, required parameters and headers
present, the security scheme's credentials present, and the body must use a declared media type
with only declared field names, of the declared types (JSON, form-encoded and multipart bodies).

Known errors in the official files are corrected in SPEC_FIXES, each with the reason.
"""

from __future__ import annotations

import copy
import email.parser
import email.policy
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import jsonschema

SPEC_DIR = Path(__file__).resolve().parent / "openapi"

# (file, schema name, property) -> the schema the live API really uses.
SPEC_FIXES: dict[tuple[str, str, str], dict[str, Any]] = {
    # Declared as a string, but eBay takes (and documents in its guide and examples) a map of
    # aspect name -> list of values: {"Brand": ["Levi's"], "Size": ["M"]}.
    ("ebay/sell_inventory_v1_oas3.json", "Product", "aspects"): {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    },
}


def _to_json_schema(node: Any, *, strict: bool) -> Any:
    """OpenAPI 3.0 schema → JSON Schema (draft 4): `nullable` becomes a null type; with `strict`,
    objects with declared properties refuse undeclared ones (catches misspelt field names)."""
    if isinstance(node, list):
        return [_to_json_schema(item, strict=strict) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        k: _to_json_schema(v, strict=strict)
        for k, v in node.items()
        if k
        not in (
            "nullable",
            "example",
            "x-ebay-enum",
            "discriminator",
            "xml",
            "externalDocs",
            "readOnly",
            "writeOnly",
            "deprecated",
        )
    }
    if node.get("nullable") and "type" in node:
        out["type"] = [node["type"], "null"] if isinstance(node["type"], str) else [*node["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    if node.get("format") == "binary":
        out.pop("type", None)
    if (
        strict
        and isinstance(node.get("properties"), dict)
        and "additionalProperties" not in node
        and not any(k in node for k in ("allOf", "oneOf", "anyOf"))
    ):
        out["additionalProperties"] = False
    return out


@dataclass
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]
    parameters: list[dict[str, Any]]
    security: list[dict[str, Any]]


class OpenApiSpec:
    def __init__(self, relative: str) -> None:
        self.name = relative
        raw = json.loads((SPEC_DIR / relative).read_text())
        for (file, schema, prop), fix in SPEC_FIXES.items():
            if file == relative:
                raw["components"]["schemas"][schema]["properties"][prop] = fix
        self.raw = raw
        server = raw["servers"][0]
        base = server.get("variables", {}).get("basePath", {}).get("default", "")
        self.base_path = base if "{basePath}" in server["url"] else urlsplit(server["url"]).path.rstrip("/")
        self.components = _to_json_schema(raw.get("components", {}).get("schemas", {}), strict=True)
        self._validators: dict[int, tuple[dict[str, Any], jsonschema.Draft4Validator]] = {}
        self.security_schemes = raw.get("components", {}).get("securitySchemes", {})
        self.operations: list[Operation] = []
        for template, item in raw["paths"].items():
            shared = item.get("parameters", [])
            for method, op in item.items():
                if method not in ("get", "put", "post", "delete", "patch"):
                    continue
                escaped = re.escape(self.base_path + template.rstrip("/"))
                regex = "^" + re.sub(r"\\\{[^}]+\\\}", "([^/]+)", escaped) + "/?$"
                params = [self._deref(p) for p in [*shared, *op.get("parameters", [])]]
                self.operations.append(
                    Operation(
                        method.upper(),
                        template,
                        re.compile(regex),
                        op,
                        params,
                        op.get("security", raw.get("security", [])),
                    )
                )
        # Literal segments win over parameters (/offer/get_listing_fees before /offer/{offerId}).
        self.operations.sort(key=lambda o: (o.template.count("{"), -len(o.template)))

    def _deref(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            path = node["$ref"].lstrip("#/").split("/")
            target: Any = self.raw
            for part in path:
                target = target[part]
            node = target
        return node

    def find(self, method: str, path: str) -> tuple[Operation, list[str]] | None:
        for operation in self.operations:
            if operation.method != method:
                continue
            match = operation.pattern.match(path)
            if match:
                return operation, list(match.groups())
        return None

    def validate_value(self, schema: dict[str, Any], value: Any, where: str) -> list[str]:
        # One validator per schema object: building one over every component costs far more than
        # validating. The cache holds the schema too, so that its id is never reused by another.
        cached = self._validators.get(id(schema))
        if cached is None:
            document = {**_to_json_schema(schema, strict=True), "components": {"schemas": self.components}}
            cached = self._validators[id(schema)] = (schema, jsonschema.Draft4Validator(document))
        validator = cached[1]
        return [
            f"{where}: {'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
            for e in validator.iter_errors(value)
        ]


def _coerce(raw: str, schema: dict[str, Any]) -> Any:
    """A string from a path, query or form field, read as the schema's type (as a server would)."""
    kind = schema.get("type")
    if kind == "integer":
        return int(raw) if re.fullmatch(r"-?\d+", raw) else raw
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            return raw
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    return raw


def _fields(
    pairs: list[tuple[str, str]], schema: dict[str, Any], spec: OpenApiSpec
) -> tuple[dict[str, Any], list[str]]:
    props = spec._deref(schema).get("properties", {})
    values: dict[str, Any] = {}
    problems: list[str] = []
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    for key, raws in grouped.items():
        prop = spec._deref(props.get(key, {}))
        if prop.get("type") == "array":
            item = spec._deref(prop.get("items", {}))
            values[key] = [_coerce(r, item) for r in raws]
        else:
            if len(raws) > 1:
                problems.append(f"form field {key!r} repeated but not an array")
            values[key] = _coerce(raws[0], prop)
    return values, problems


def multipart(request: httpx.Request) -> list[tuple[str, str | bytes]]:
    raw = b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n" + request.content
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    parts: list[tuple[str, str | bytes]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        parts.append((str(name), payload if part.get_filename() else payload.decode()))
    return parts


def check_request(spec: OpenApiSpec, request: httpx.Request) -> list[str]:
    """Everything wrong with `request` according to `spec` (empty: conforms)."""
    request.read()
    method, path = request.method, request.url.path
    found = spec.find(method, path)
    if found is None:
        return [f"{method} {path}: no such operation in {spec.name}"]
    operation, path_values = found
    where = f"{method} {operation.template}"
    problems: list[str] = []
    path_params = [p for p in operation.parameters if p["in"] == "path"]
    names = re.findall(r"\{([^}]+)\}", operation.template)
    for name, value in zip(names, path_values, strict=True):
        param = next((p for p in path_params if p["name"] == name), None)
        if param is None:
            problems.append(f"{where}: path parameter {name} undeclared")
            continue
        problems += spec.validate_value(
            param.get("schema", {}), _coerce(value, param.get("schema", {})), f"{where} path {name}"
        )
    query = parse_qsl(
        request.url.query.decode() if isinstance(request.url.query, bytes) else request.url.query,
        keep_blank_values=True,
    )
    declared_query = {p["name"]: p for p in operation.parameters if p["in"] == "query"}
    sent_query = {k for k, _ in query}
    for key, value in query:
        param = declared_query.get(key)
        if param is None:
            problems.append(f"{where}: query parameter {key!r} is not declared")
            continue
        problems += spec.validate_value(
            param.get("schema", {}), _coerce(value, param.get("schema", {})), f"{where} query {key}"
        )
    for name, param in declared_query.items():
        if param.get("required") and name not in sent_query:
            problems.append(f"{where}: required query parameter {name!r} missing")
    for param in operation.parameters:
        missing = param["in"] == "header" and param.get("required") and param["name"].lower() not in request.headers
        # A required Content-Type on a call without a body (eBay declares it on some) is moot.
        if missing and not (param["name"].lower() == "content-type" and not request.content):
            problems.append(f"{where}: required header {param['name']!r} missing")
    problems += _check_security(spec, operation, request, where)
    problems += _check_body(spec, operation, request, where)
    return problems


def _check_security(spec: OpenApiSpec, operation: Operation, request: httpx.Request, where: str) -> list[str]:
    if not operation.security:
        return []
    for requirement in operation.security:
        missing = []
        for scheme_name in requirement:
            scheme = spec.security_schemes.get(scheme_name, {})
            kind = scheme.get("type")
            if kind == "apiKey" and scheme.get("in") == "header" and scheme["name"].lower() not in request.headers:
                missing.append(scheme["name"])
            if kind == "oauth2" and not request.headers.get("authorization", "").startswith("Bearer "):
                missing.append("Authorization: Bearer")
        if not missing:
            return []
    return [f"{where}: credentials missing for every security requirement {operation.security}"]


def _check_body(spec: OpenApiSpec, operation: Operation, request: httpx.Request, where: str) -> list[str]:
    body_spec = operation.spec.get("requestBody")
    if not request.content:
        if body_spec and body_spec.get("required"):
            return [f"{where}: request body required"]
        return []
    if body_spec is None:
        return [f"{where}: sends a body the operation does not take"]
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    content = {k.lower(): v for k, v in body_spec.get("content", {}).items()}
    if media not in content:
        return [f"{where}: body media type {media!r} not in {sorted(content)}"]
    schema = content[media].get("schema", {})
    if media == "application/json":
        try:
            value = json.loads(request.content)
        except ValueError:
            return [f"{where}: body is not JSON"]
        return spec.validate_value(schema, value, f"{where} body")
    if media == "application/x-www-form-urlencoded":
        values, problems = _fields(parse_qsl(request.content.decode(), keep_blank_values=True), schema, spec)
        return problems + spec.validate_value(schema, values, f"{where} form")
    if media == "multipart/form-data":
        parts = multipart(request)
        binary = {k for k, v in spec._deref(schema).get("properties", {}).items() if v.get("format") == "binary"}
        text_parts = [(k, v) for k, v in parts if isinstance(v, str) and k not in binary]
        values, problems = _fields(text_parts, schema, spec)  # type: ignore[arg-type]
        values.update({k: "<binary>" for k, v in parts if k in binary})
        for k, v in parts:
            if isinstance(v, bytes) and k not in binary:
                problems.append(f"{where}: file part {k!r} is not a binary field")
        return problems + spec.validate_value(schema, values, f"{where} multipart")
    return [f"{where}: cannot check media type {media}"]


@lru_cache(maxsize=8)
def load(relative: str) -> OpenApiSpec:
    return OpenApiSpec(relative)


EBAY_SPECS = (
    "ebay/sell_inventory_v1_oas3.json",
    "ebay/sell_account_v1_oas3.json",
    "ebay/sell_fulfillment_v1_oas3.json",
    "ebay/sell_metadata_v1_oas3.json",
    "ebay/commerce_taxonomy_v1_oas3.json",
)
ETSY_SPECS = ("etsy/etsy_open_api_v3.json",)


def spec_for(marketplace: str, path: str) -> OpenApiSpec | None:
    for relative in EBAY_SPECS if marketplace == "ebay" else ETSY_SPECS:
        spec = load(relative)
        if path.startswith(spec.base_path + "/"):
            return spec
    return None


def copy_spec(relative: str) -> dict[str, Any]:
    return copy.deepcopy(load(relative).raw)


def check_response(spec: OpenApiSpec, request: httpx.Request, response: httpx.Response) -> list[str]:
    """A sandbox's JSON answer against the operation's documented response (a sandbox must answer
    like the real API: same field names and types)."""
    found = spec.find(request.method, request.url.path)
    if found is None:
        return []
    operation, _ = found
    where = f"{request.method} {operation.template} -> {response.status_code}"
    documented = operation.spec.get("responses", {})
    answer = documented.get(str(response.status_code)) or documented.get("default")
    if answer is None:
        return [f"{where}: status not documented ({sorted(documented)})"]
    answer = spec._deref(answer)
    content = answer.get("content", {})
    if not response.content:
        return []
    schema = (content.get("application/json") or {}).get("schema")
    if schema is None:
        return [f"{where}: a JSON body where none is documented"] if content else []
    return spec.validate_value(schema, response.json(), f"{where} response")
