"""Calling HTTP functions the way API Gateway does: payload 2.0 events into the Lambda handler.

Shared by every area's HTTP tests: build an event, call a function's handler, read the reply;
plus the identity fixture (cheap argon2, temp keys, SES mocked) and a registered, logged-in user.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import time
import urllib.parse
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from stoflow import aws
from stoflow.auth import passwords
from stoflow.auth.keys import set_keystore
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
    """An HTTP API payload format 2.0 event, as API Gateway sends it to the integration."""
    path, _, query = path.partition("?")
    raw_path = path if stage == "$default" else f"/{stage}{path}"
    all_headers = {
        "accept": "application/json",
        "content-type": "application/json",
        "host": "a1b2c3d4e5.execute-api.eu-west-3.amazonaws.com",
        "user-agent": "pytest",
        "x-amzn-trace-id": "Root=1-67891233-abcdef012345678912345678",
        "x-forwarded-for": ip,
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
        **(headers or {}),
    }
    if token is not None:
        all_headers["authorization"] = f"Bearer {token}"
    payload = json.dumps(body) if body is not None else None
    if payload is not None:
        all_headers["content-length"] = str(len(payload.encode()))
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": all_headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "domainName": "a1b2c3d4e5.execute-api.eu-west-3.amazonaws.com",
            "domainPrefix": "a1b2c3d4e5",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": ip,
                "userAgent": "pytest",
            },
            "requestId": f"{uuid.uuid4().hex[:8]}=",
            "routeKey": f"{method} {path}",
            "stage": stage,
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": False,
    }
    if payload is not None:
        event["body"] = payload
    if query:
        parameters: dict[str, list[str]] = {}
        for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
            parameters.setdefault(key, []).append(value)
        event["queryStringParameters"] = {key: ",".join(values) for key, values in parameters.items()}
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
    spec = importlib.util.spec_from_file_location(f"{name}_function_app", REPO / "functions" / name / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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

    def reset() -> None:
        get_settings.cache_clear()
        passwords.reset()
        set_keystore(None)
        aws.reset_clients()

    reset()
    with mock_aws():
        boto3.client("ses", region_name=get_settings().aws_region).verify_email_identity(EmailAddress=SENDER)
        yield engine
    reset()
