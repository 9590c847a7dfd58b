"""Calling HTTP functions the way API Gateway does: payload 2.0 events into the Lambda handler,
built and loaded by the local cloud's own gateway code (infra.local), routed by template.yaml.

Shared by every area's HTTP tests: build an event, call a function's handler, read the reply;
plus the identity fixture (cheap argon2, temp keys, SES mocked) and a registered, logged-in user.
"""

from __future__ import annotations

import itertools
import json
import sys
import uuid
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local.functions import load_handler, module_name_for
from infra.local.http_events import HttpRequest, build_event
from infra.local.routing import RouteMatch, RouteTable
from infra.local.template import DEFAULT_ROUTE, HttpRoute, Template, load_template
from stoflow import runtime
from stoflow.config import get_settings

REPO = Path(__file__).resolve().parents[2]
SENDER = "no-reply@stoflow.app"
_ips = itertools.count(1)
_emails = itertools.count(1)


def new_ip() -> str:
    n = next(_ips)
    return f"198.18.{n // 250}.{n % 250 + 1}"


def new_email() -> str:
    return f"reseller{next(_emails)}.{uuid.uuid4().hex[:6]}@example.com"


@cache
def _template() -> Template:
    return load_template()


@cache
def _routes() -> RouteTable:
    return RouteTable(_template().http_routes())


def http_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    ip: str = "203.0.113.10",
    headers: dict[str, str] | None = None,
    stage: str = "$default",
) -> dict[str, Any]:
    """The payload format 2.0 event API Gateway sends for this request, built by the local
    cloud's gateway (infra.local.http_events) from template.yaml's routes: the route's own
    routeKey ("GET /products/{id}") and its pathParameters, as on AWS."""
    raw_path = path.partition("?")[0]
    # A path the template does not route (a test's own app) arrives as a $default route would send it.
    match = _routes().match(method, raw_path) or RouteMatch(HttpRoute("ANY", DEFAULT_ROUTE, "test", "test"), {})
    all_headers = {
        "accept": "application/json",
        "content-type": "application/json",
        "host": "a1b2c3d4e5.execute-api.eu-west-3.amazonaws.com",
        "user-agent": "pytest",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
        **(headers or {}),
    }
    if token is not None:
        all_headers["authorization"] = f"Bearer {token}"
    payload = json.dumps(body).encode() if body is not None else b""
    if payload:
        all_headers["content-length"] = str(len(payload))
    request = HttpRequest(method, path, list(all_headers.items()), payload, source_ip=ip, server_port=443)
    event = build_event(request, match)
    if stage != "$default":  # a named stage: its name leads the raw path
        event["rawPath"] = event["requestContext"]["http"]["path"] = f"/{stage}{event['rawPath']}"
        event["requestContext"]["stage"] = stage
    return event


class Reply:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.status = raw["statusCode"]
        self.headers = {k.lower(): v for k, v in raw.get("headers", {}).items()}
        assert raw.get("isBase64Encoded") is False, raw
        self.json = json.loads(raw["body"]) if raw.get("body") else None

    def __repr__(self) -> str:
        return f"<Reply {self.status} {self.json}>"


def load_function(name: str) -> Any:
    """functions/<name>/app.py's handler, loaded by the local cloud's loader (infra.local.functions)
    from the template's function whose code is that folder."""
    entry = (REPO / "functions" / name / "app.py").resolve()
    (function,) = [f for f in _template().functions if f.module_file.resolve() == entry]
    handler = load_handler(function)
    module = sys.modules[module_name_for(function)]
    return SimpleNamespace(handler=handler, spec=function, app=getattr(module, "app", None))


Call = Callable[..., Reply]


def caller(function: str) -> Call:
    """call("POST", "/jobs", body, token=...) → Reply, through functions/<function>/app.py."""
    handler = load_function(function).handler

    def invoke(method: str, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return Reply(handler(http_event(method, path, body, **kwargs), None))

    return invoke


def register_and_login(password: str = "correct horse battery") -> dict[str, Any]:
    """A new account (user + tenant schema) and its tokens, through the auth function."""
    call = caller("auth")
    email, ip = new_email(), new_ip()
    registered = call("POST", "/auth/register", {"email": email, "password": password}, ip=ip)
    assert registered.status == 201, registered
    tokens = call("POST", "/auth/login", {"email": email, "password": password}, ip=ip)
    assert tokens.status == 200, tokens
    return {**tokens.json, "email": email, "id": registered.json["id"]}


@pytest.fixture
def identity(engine, tmp_path, monkeypatch):
    """Test settings (cheap argon2, keys in a temp folder), SES mocked with a verified sender."""
    monkeypatch.setenv("STOFLOW_ENVIRONMENT", "test")
    monkeypatch.setenv("STOFLOW_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STOFLOW_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("STOFLOW_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("STOFLOW_AWS_ENDPOINT_URL", raising=False)

    runtime.reset()
    with mock_aws():
        boto3.client("ses", region_name=get_settings().aws_region).verify_email_identity(EmailAddress=SENDER)
        yield engine
    runtime.reset()
