"""The local HTTP API over a real socket, with the template's functions and a real database."""

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local.functions import FunctionRuntime
from infra.local.http_gateway import HttpGateway
from infra.local.routing import RouteTable
from infra.local.template import FunctionSpec, HttpRoute, load_template

ECHO_AND_BOOM = """
import json

def echo(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "cookies": ["seen=1"],
            "body": json.dumps(event)}

def boom(event, context):
    raise RuntimeError("boom from a handler")
"""


def fixture_function(folder: Path, logical_id: str, handler: str) -> FunctionSpec:
    return FunctionSpec(logical_id=logical_id, code_uri=folder, handler=handler, environment={}, events=())


@pytest.fixture
def gateway(engine, tmp_path) -> Iterator[HttpGateway]:
    (tmp_path / "app.py").write_text(ECHO_AND_BOOM)
    template = load_template()
    extra = [
        fixture_function(tmp_path, "EchoFunction", "app.echo"),
        fixture_function(tmp_path, "BoomFunction", "app.boom"),
    ]
    routes = [
        *template.http_routes(),
        HttpRoute("ANY", "/echo/{proxy+}", "EchoFunction", "Echo"),
        HttpRoute("GET", "/boom", "BoomFunction", "Boom"),
    ]
    gateway = HttpGateway(FunctionRuntime([*template.functions, *extra]), RouteTable(routes), port=0)
    gateway.start()
    yield gateway
    gateway.stop()


def call(
    gateway: HttpGateway,
    path: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(gateway.url + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def test_health_answers_with_the_database_ok(gateway):
    status, headers, body = call(gateway, "/health")
    assert status == 200
    assert json.loads(body) == {"status": "ok", "database": "ok"}
    assert headers["content-type"] == "application/json"
    assert headers["apigw-requestid"]


def test_an_unknown_route_is_404(gateway):
    status, _, body = call(gateway, "/no/such/route")
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})
    status, _, _ = call(gateway, "/health", method="POST", body=b"{}")
    assert status == 404


def test_a_handler_exception_is_500(gateway, caplog):
    status, _, body = call(gateway, "/boom")
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})
    assert "boom from a handler" in caplog.text


def test_a_request_reaches_the_function_as_a_2_0_event(gateway):
    status, headers, body = call(
        gateway,
        "/echo/a/b%20c?x=1&x=2",
        method="PUT",
        body=b"\x00\x01binary",
        headers={"Content-Type": "application/octet-stream", "Cookie": "s=1; t=2"},
    )
    assert status == 200
    assert headers["set-cookie"] == "seen=1"
    event = json.loads(body)
    assert event["routeKey"] == "ANY /echo/{proxy+}"
    assert event["pathParameters"] == {"proxy": "a/b c"}
    assert event["rawPath"] == "/echo/a/b%20c"
    assert event["queryStringParameters"] == {"x": "1,2"}
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["isBase64Encoded"] is True and event["body"] == "AAFiaW5hcnk="
    assert event["requestContext"]["http"]["method"] == "PUT"
    assert event["requestContext"]["http"]["sourceIp"] == "127.0.0.1"
    assert event["headers"]["x-forwarded-port"] == str(gateway.port)


def test_a_body_over_api_gateways_10_mb_is_413_before_any_function_runs(gateway):
    status, _, body = call(gateway, "/echo/big", method="POST", body=b"x" * (10 * 1024 * 1024 + 1))
    assert (status, json.loads(body)) == (413, {"message": "Request Entity Too Large"})
    status, _, _ = call(gateway, "/echo/small", method="POST", body=b"x" * 1024)
    assert status == 200
