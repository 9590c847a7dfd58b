"""template.yaml, read the way SAM reads it: short intrinsic tags, Globals merged into functions.

The local cloud routes from this and nothing else, so what runs on a laptop is wired exactly as
what is deployed. Only what the local cloud needs is resolved; intrinsics stay as the long-form
dicts CloudFormation would see ({"Ref": ...}, {"Fn::Sub": ...}), for later parts to interpret.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
DEFAULT_ROUTE = "$default"

# Short tag -> long form. Ref and Condition are not "Fn::" functions in CloudFormation.
_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "And",
            "Base64",
            "Cidr",
            "Equals",
            "FindInMap",
            "GetAZs",
            "GetAtt",
            "If",
            "ImportValue",
            "Join",
            "Length",
            "Not",
            "Or",
            "Select",
            "Split",
            "Sub",
            "ToJsonString",
            "Transform",
        )
    },
}
_INTRINSIC_KEYS = frozenset(_TAGS.values())


class TemplateError(ValueError):
    """The template is not what the local cloud can run (a missing handler folder, a bad tag)."""


class _CfnLoader(yaml.SafeLoader):
    """A safe loader that also understands CloudFormation's short tags."""


def _construct_intrinsic(loader: _CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    long_name = _TAGS.get(tag_suffix)
    if long_name is None:
        raise TemplateError(f"unknown CloudFormation tag !{tag_suffix} at {node.start_mark}")
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        # !GetAtt Resource.Attribute is the short form of ["Resource", "Attribute"].
        if long_name == "Fn::GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {long_name: value}


_CfnLoader.add_multi_constructor("!", _construct_intrinsic)


def load_yaml(text: str) -> dict[str, Any]:
    document = yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(document, dict):
        raise TemplateError("a template must be a mapping")
    return document


def merge_globals(global_props: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    """SAM's Globals rules: maps merge key by key, lists add up (globals first), the resource's
    own scalar wins."""
    merged = copy.deepcopy(global_props)
    for key, value in props.items():
        base = merged.get(key)
        if isinstance(base, dict) and isinstance(value, dict) and not _is_intrinsic(value):
            merged[key] = merge_globals(base, value)
        elif isinstance(base, list) and isinstance(value, list):
            merged[key] = base + copy.deepcopy(value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _is_intrinsic(value: dict[str, Any]) -> bool:
    # A one-key {"Fn::...": ...} is a value, not a map: it replaces, never merges.
    return len(value) == 1 and next(iter(value)) in _INTRINSIC_KEYS


@dataclass(frozen=True)
class HttpRoute:
    """One HttpApi event: `method` is upper case ("ANY" included); path "$default" is the
    catch-all route."""

    method: str
    path: str
    function_id: str
    event_name: str

    @property
    def route_key(self) -> str:
        return DEFAULT_ROUTE if self.path == DEFAULT_ROUTE else f"{self.method} {self.path}"


@dataclass(frozen=True)
class FunctionEvent:
    name: str
    type: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_uri: Path
    handler: str
    environment: dict[str, str]
    events: tuple[FunctionEvent, ...]
    memory_size: int = 128
    timeout: int = 3
    properties: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def module_file(self) -> Path:
        module, _, _ = self.handler.rpartition(".")
        return self.code_uri / (module.replace(".", "/") + ".py")

    @property
    def handler_name(self) -> str:
        return self.handler.rpartition(".")[2]

    def events_of_type(self, event_type: str) -> list[FunctionEvent]:
        return [event for event in self.events if event.type == event_type]

    def http_routes(self) -> list[HttpRoute]:
        routes = []
        for event in self.events_of_type("HttpApi"):
            path = event.properties.get("Path")
            method = event.properties.get("Method")
            # SAM: an HttpApi event without Path and Method is the API's $default route.
            if path is None and method is None:
                path, method = DEFAULT_ROUTE, "ANY"
            if not isinstance(path, str) or not isinstance(method, str):
                raise TemplateError(f"{self.logical_id}.{event.name}: Path and Method must be literal strings")
            method = method.upper()
            if method == "X-AMAZON-APIGATEWAY-ANY-METHOD":
                method = "ANY"
            routes.append(HttpRoute(method, path, self.logical_id, event.name))
        return routes


@dataclass(frozen=True)
class Template:
    path: Path
    document: dict[str, Any]
    functions: tuple[FunctionSpec, ...]

    @property
    def resources(self) -> dict[str, Any]:
        return self.document.get("Resources", {})

    def function(self, logical_id: str) -> FunctionSpec:
        for function in self.functions:
            if function.logical_id == logical_id:
                return function
        raise KeyError(logical_id)

    def http_routes(self) -> list[HttpRoute]:
        return [route for function in self.functions for route in function.http_routes()]


def _literal_environment(props: dict[str, Any]) -> dict[str, str]:
    variables = (props.get("Environment") or {}).get("Variables") or {}
    environment: dict[str, str] = {}
    for name, value in variables.items():
        # Intrinsics (!Ref Stage, secret ARNs) only mean something on AWS: left out.
        if isinstance(value, bool):
            environment[name] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            environment[name] = str(value)
    return environment


def _makefile_code_dir(root: Path, logical_id: str) -> Path:
    """The makefile-built functions keep their entrypoint in functions/<name>/ (see the Makefile's
    build-<LogicalId> targets); <name> is the logical id without "Function", in snake case."""
    stem = logical_id.removesuffix("Function")
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", stem).lower()
    folder = root / "functions" / name
    if not folder.is_dir():
        raise TemplateError(f"{logical_id} is built by makefile but {folder.relative_to(root)} does not exist")
    return folder


def _function_spec(root: Path, logical_id: str, resource: dict[str, Any], globals_: dict[str, Any]) -> FunctionSpec:
    props = merge_globals(globals_, resource.get("Properties") or {})
    code_uri = props.get("CodeUri")
    handler = props.get("Handler")
    if not isinstance(code_uri, str) or not isinstance(handler, str):
        raise TemplateError(f"{logical_id}: CodeUri and Handler must be literal strings")
    build_method = ((resource.get("Metadata") or {}).get("BuildMethod") or "").lower()
    code_dir = _makefile_code_dir(root, logical_id) if build_method == "makefile" else (root / code_uri)
    events = tuple(
        FunctionEvent(name, str(event.get("Type")), dict(event.get("Properties") or {}))
        for name, event in (props.get("Events") or {}).items()
    )
    return FunctionSpec(
        logical_id=logical_id,
        code_uri=code_dir.resolve(),
        handler=handler,
        environment=_literal_environment(props),
        events=events,
        memory_size=int(props.get("MemorySize", 128)),
        timeout=int(props.get("Timeout", 3)),
        properties=props,
    )


def parse_template(text: str, root: Path = REPO_ROOT, path: Path | None = None) -> Template:
    document = load_yaml(text)
    globals_ = (document.get("Globals") or {}).get("Function") or {}
    functions = tuple(
        _function_spec(root, logical_id, resource, globals_) for logical_id, resource in _serverless_functions(document)
    )
    return Template(path or root / "template.yaml", document, functions)


def _serverless_functions(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, resource in (document.get("Resources") or {}).items():
        if isinstance(resource, dict) and resource.get("Type") == SERVERLESS_FUNCTION:
            yield logical_id, resource


def load_template(path: Path = TEMPLATE_PATH) -> Template:
    path = Path(path).resolve()
    return parse_template(path.read_text(encoding="utf-8"), path.parent, path)
