"""Route selection, payload format 2.0 events and response conversion, without sockets."""

import base64
import json
import logging
import re

import pytest

from infra.local.http_events import (
    HttpRequest,
    InvalidLambdaResponse,
    build_event,
    convert_response,
)
from infra.local.http_gateway import HttpGateway
from infra.local.routing import RouteMatch, RouteTable
from infra.local.template import HttpRoute, TemplateError


def table(*keys: str, default: bool = False) -> RouteTable:
    routes = []
    for key in keys:
        method, path = key.split(" ", 1)
        routes.append(HttpRoute(method, path, f"{method} {path}", "E"))
    if default:
        routes.append(HttpRoute("ANY", "$default", "$default", "E"))
    return RouteTable(routes)


def routed(routes: RouteTable, method: str, path: str) -> tuple[str, dict[str, str]] | None:
    match = routes.match(method, path)
    return None if match is None else (match.route.function_id, match.path_parameters)


# The example of the API Gateway guide ("Routing API requests").
DOCS_ROUTES = table("GET /pets/dog/1", "GET /pets/dog/{id}", "GET /pets/{proxy+}", "ANY /{proxy+}", default=True)


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/pets/dog/1", ("GET /pets/dog/1", {})),
        ("GET", "/pets/dog/2", ("GET /pets/dog/{id}", {"id": "2"})),
        ("GET", "/pets/cat/1", ("GET /pets/{proxy+}", {"proxy": "cat/1"})),
        ("POST", "/pets/dog/1", ("ANY /{proxy+}", {"proxy": "pets/dog/1"})),
        ("GET", "/", ("$default", {})),
    ],
)
def test_the_most_specific_route_wins(method, path, expected):
    assert routed(DOCS_ROUTES, method, path) == expected


def test_exact_paths_and_variables():
    routes = table("GET /health", "GET /products/{id}", "GET /products/{id}/images/{image_id}")
    assert routed(routes, "GET", "/health") == ("GET /health", {})
    assert routed(routes, "GET", "/products/7") == ("GET /products/{id}", {"id": "7"})
    assert routed(routes, "GET", "/products/7/images/x%20y") == (
        "GET /products/{id}/images/{image_id}",
        {"id": "7", "image_id": "x y"},
    )
    assert routed(routes, "GET", "/products/") is None  # a variable never matches an empty segment
    assert routed(routes, "GET", "/products/7/images") is None
    assert routed(routes, "POST", "/health") is None


def test_a_literal_segment_beats_a_variable_and_a_named_method_beats_any():
    routes = table("GET /products/{id}", "POST /products/bulk", "GET /products/bulk", "ANY /products/bulk")
    assert routed(routes, "GET", "/products/bulk") == ("GET /products/bulk", {})
    assert routed(routes, "DELETE", "/products/bulk") == ("ANY /products/bulk", {})
    assert routed(routes, "GET", "/products/9") == ("GET /products/{id}", {"id": "9"})


def test_a_greedy_variable_needs_one_segment_and_the_longest_prefix_wins():
    routes = table("ANY /{proxy+}", "ANY /products/{rest+}")
    assert routed(routes, "GET", "/products/1/images") == ("ANY /products/{rest+}", {"rest": "1/images"})
    assert routed(routes, "GET", "/orders") == ("ANY /{proxy+}", {"proxy": "orders"})
    assert routed(routes, "GET", "/products") == ("ANY /{proxy+}", {"proxy": "products"})
    assert routed(table("GET /files/{path+}"), "GET", "/files") is None
    assert routed(table("GET /files/{path+}"), "GET", "/files/") is None


def test_no_route_and_no_default_is_no_match():
    assert table("GET /health").match("GET", "/other") is None


def test_bad_or_duplicate_routes_are_refused():
    with pytest.raises(TemplateError, match="greedy"):
        table("GET /{proxy+}/more")
    with pytest.raises(TemplateError, match="twice"):
        table("GET /health", "GET /health")


def request(**overrides) -> HttpRequest:
    values = {
        "method": "POST",
        "target": "/products/12?tag=a&tag=b&q=caf%C3%A9&empty=",
        "headers": [
            ("Host", "127.0.0.1:3000"),
            ("User-Agent", "pytest"),
            ("Content-Type", "application/json"),
            ("X-Multi", "one"),
            ("x-multi", "two"),
            ("Cookie", "session=abc; theme=dark"),
            ("Cookie", "k=v"),
        ],
        "body": b'{"title": "veste"}',
        "source_ip": "10.1.2.3",
        "server_port": 3000,
    }
    values.update(overrides)
    return HttpRequest(**values)


MATCH = RouteMatch(HttpRoute("POST", "/products/{id}", "ProductsFunction", "E"), {"id": "12"})


def test_the_event_has_the_payload_2_0_shape():
    event = build_event(request(), MATCH, now=1_700_000_000.25, request_id_="rid=")
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /products/{id}"
    assert event["rawPath"] == "/products/12"
    assert event["rawQueryString"] == "tag=a&tag=b&q=caf%C3%A9&empty="
    assert event["cookies"] == ["session=abc", "theme=dark", "k=v"]
    headers = event["headers"]
    assert headers["x-multi"] == "one,two"
    assert headers["content-type"] == "application/json"
    assert "cookie" not in headers and all(name == name.lower() for name in headers)
    assert headers["x-forwarded-for"] == "10.1.2.3"
    assert headers["x-forwarded-proto"] == "http" and headers["x-forwarded-port"] == "3000"
    assert event["queryStringParameters"] == {"tag": "a,b", "q": "café", "empty": ""}
    assert event["pathParameters"] == {"id": "12"}
    assert event["body"] == '{"title": "veste"}'
    assert event["isBase64Encoded"] is False
    assert event["requestContext"] == {
        "accountId": "123456789012",
        "apiId": "local",
        "domainName": "127.0.0.1",
        "domainPrefix": "127",
        "http": {
            "method": "POST",
            "path": "/products/12",
            "protocol": "HTTP/1.1",
            "sourceIp": "10.1.2.3",
            "userAgent": "pytest",
        },
        "requestId": "rid=",
        "routeKey": "POST /products/{id}",
        "stage": "$default",
        "time": "14/Nov/2023:22:13:20 +0000",
        "timeEpoch": 1_700_000_000_250,
    }


def test_keys_api_gateway_leaves_out_when_empty_are_left_out():
    event = build_event(
        request(method="GET", target="/health", headers=[("Host", "localhost")], body=b""),
        RouteMatch(HttpRoute("GET", "/health", "HealthFunction", "E"), {}),
    )
    for key in ("cookies", "queryStringParameters", "pathParameters", "body"):
        assert key not in event
    assert event["rawQueryString"] == ""
    assert event["isBase64Encoded"] is False
    assert re.fullmatch(r"[A-Za-z0-9+/]+=*", event["requestContext"]["requestId"])


@pytest.mark.parametrize(
    ("content_type", "encoding", "body", "base64_expected"),
    [
        ("image/png", None, b"\x89PNG\r\n\x1a\n\x00", True),
        ("application/octet-stream", None, b"abc", True),
        ("text/plain; charset=utf-8", None, "é".encode(), False),
        ("application/problem+json", None, b"{}", False),
        ("application/json", "gzip", b"\x1f\x8b\x08", True),
        ("text/plain", None, b"\xff\xfe not utf-8", True),
    ],
)
def test_binary_bodies_are_base64(content_type, encoding, body, base64_expected):
    headers = [("Content-Type", content_type)] + ([("Content-Encoding", encoding)] if encoding else [])
    event = build_event(request(headers=headers, body=body), MATCH)
    assert event["isBase64Encoded"] is base64_expected
    sent = base64.b64decode(event["body"]) if base64_expected else event["body"].encode()
    assert sent == body


def test_a_full_response_is_sent_as_given():
    response = convert_response(
        {
            "statusCode": 201,
            "headers": {"content-type": "application/json", "x-count": 3},
            "multiValueHeaders": {"vary": ["origin", "accept"]},
            "cookies": ["a=1; Path=/", "b=2; HttpOnly"],
            "body": '{"id": 1}',
        }
    )
    assert response.status == 201
    assert response.body == b'{"id": 1}'
    assert response.headers == [
        ("content-type", "application/json"),
        ("x-count", "3"),
        ("vary", "origin"),
        ("vary", "accept"),
        ("set-cookie", "a=1; Path=/"),
        ("set-cookie", "b=2; HttpOnly"),
    ]


def test_a_base64_response_body_is_decoded():
    png = b"\x89PNG\r\n\x1a\n"
    response = convert_response({"statusCode": 200, "isBase64Encoded": True, "body": base64.b64encode(png).decode()})
    assert response.body == png


def test_a_response_without_status_code_is_json_200():
    response = convert_response({"products": [1, 2]})
    assert (response.status, json.loads(response.body)) == (200, {"products": [1, 2]})
    assert ("content-type", "application/json") in response.headers
    assert convert_response("hello").body == b"hello"
    assert convert_response({"statusCode": 204}).body == b""


@pytest.mark.parametrize(
    "result",
    [
        {"statusCode": "abc"},
        {"statusCode": 700},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "isBase64Encoded": True, "body": "***"},
        {"statusCode": 200, "headers": {"x": ["list"]}},
        {"statusCode": 200, "cookies": "a=1"},
        {1, 2},
    ],
)
def test_an_unreadable_response_is_refused(result):
    with pytest.raises(InvalidLambdaResponse):
        convert_response(result)


class StubRuntime:
    def __init__(self, result=None, error: Exception | None = None) -> None:
        self.result, self.error, self.events = result, error, []

    def invoke(self, logical_id, event):
        self.events.append((logical_id, event))
        if self.error:
            raise self.error
        return self.result


def gateway(runtime: StubRuntime) -> HttpGateway:
    return HttpGateway(runtime, table("GET /products/{id}"))  # type: ignore[arg-type]


def test_the_gateway_invokes_the_routed_function_with_the_event():
    runtime = StubRuntime({"statusCode": 200, "body": "ok"})
    response = gateway(runtime).handle(HttpRequest("GET", "/products/5", [("Host", "h")]))
    assert (response.status, response.body) == (200, b"ok")
    [(function_id, event)] = runtime.events
    assert function_id == "GET /products/{id}"
    assert event["pathParameters"] == {"id": "5"}
    assert ("apigw-requestid", event["requestContext"]["requestId"]) in response.headers


def test_no_route_is_404_and_the_function_is_not_called():
    runtime = StubRuntime({"statusCode": 200})
    response = gateway(runtime).handle(HttpRequest("GET", "/nothing", []))
    assert (response.status, json.loads(response.body)) == (404, {"message": "Not Found"})
    assert runtime.events == []


def test_a_handler_exception_is_500_with_the_traceback_logged(caplog):
    runtime = StubRuntime(error=ValueError("kaboom"))
    with caplog.at_level(logging.ERROR, logger="stoflow.local.http"):
        response = gateway(runtime).handle(HttpRequest("GET", "/products/5", []))
    assert (response.status, json.loads(response.body)) == (500, {"message": "Internal Server Error"})
    assert any(record.exc_info and "kaboom" in str(record.exc_info[1]) for record in caplog.records)


def test_an_unreadable_response_is_500():
    response = gateway(StubRuntime({"statusCode": 200, "body": 42})).handle(HttpRequest("GET", "/products/5", []))
    assert response.status == 500
