"""API Gateway HTTP API events in and out of the app (stoflow.api.gateway), and the events the
local gateway builds read like API Gateway's: path, query, headers, cookies and binary bodies in;
status, cookies, headers and text or base64 bodies out."""

import asyncio
import base64
import json
import logging

from fastapi import FastAPI, Request, Response

from infra.local.http_events import HttpRequest, build_event, convert_response
from infra.local.routing import RouteTable
from infra.local.template import HttpRoute
from stoflow.api.app import lambda_handler
from stoflow.api.gateway import answer, without_stage
from tests.support.api import http_event as gateway_event

app = FastAPI()


@app.put("/products/{product_id}")
async def put_product(product_id: int, request: Request, response: Response) -> dict:
    response.set_cookie("last", str(product_id))
    response.headers["x-seen"] = "1"
    return {
        "id": product_id,
        "tags": request.query_params.getlist("tag"),
        "session": request.cookies.get("session"),
        "agent": request.headers.get("user-agent"),
        "body_len": len(await request.body()),
        "url": str(request.url),
        "client": request.client.host if request.client else None,
    }


@app.get("/photo")
async def photo() -> Response:
    return Response(b"\xff\xd8\xff\xe0", media_type="image/jpeg", headers={"cache-control": "max-age=60"})


@app.get("/two-cookies")
async def two_cookies(response: Response) -> dict:
    response.set_cookie("a", "1")
    response.set_cookie("b", "2")
    response.headers.append("vary", "origin")
    response.headers.append("vary", "accept")
    return {}


handler = lambda_handler(app)


def http_event(method: str, path: str, **extra: object) -> dict:
    """The event the local gateway builds, from api.example.com and 203.0.113.9, with `extra` set."""
    return {**gateway_event(method, path, ip="203.0.113.9", headers={"host": "api.example.com"}), **extra}


def test_a_request_goes_through_the_gateway_adapter_and_back():
    routes = RouteTable([HttpRoute("ANY", "/{proxy+}", "ApiFunction", "Api")])
    request = HttpRequest(
        method="PUT",
        target="/products/7?tag=a&tag=b",
        headers=[
            ("Host", "127.0.0.1:3000"),
            ("User-Agent", "pytest"),
            ("Cookie", "session=s1; x=y"),
            ("Content-Type", "image/jpeg"),
        ],
        body=b"\xff\xd8\xff\x00binary",
        source_ip="10.0.0.9",
        server_port=3000,
    )
    match = routes.match(request.method, "/products/7")
    assert match is not None
    response = convert_response(handler(build_event(request, match), None))
    assert response.status == 200
    assert json.loads(response.body) == {
        "id": 7,
        "tags": ["a", "b"],
        "session": "s1",
        "agent": "pytest",
        "body_len": 10,
        "url": "http://127.0.0.1:3000/products/7?tag=a&tag=b",
        "client": "10.0.0.9",
    }
    assert ("x-seen", "1") in response.headers
    assert any(name == "set-cookie" and value.startswith("last=7") for name, value in response.headers)


def test_binary_answers_are_base64_and_json_answers_text():
    photo = handler(http_event("GET", "/photo"), None)
    assert photo["isBase64Encoded"] is True
    assert base64.b64decode(photo["body"]) == b"\xff\xd8\xff\xe0"
    assert photo["headers"]["cache-control"] == "max-age=60"
    missing = handler(http_event("GET", "/nothing-here"), None)
    assert missing["statusCode"] == 404
    assert missing["isBase64Encoded"] is False
    assert json.loads(missing["body"]) == {"detail": "Not Found"}


def test_cookies_leave_in_their_own_list_and_repeated_headers_are_joined():
    reply = handler(http_event("GET", "/two-cookies"), None)
    assert [cookie.split(";")[0] for cookie in reply["cookies"]] == ["a=1", "b=2"]
    assert "set-cookie" not in reply["headers"]
    assert reply["headers"]["vary"] == "origin,accept"


def test_a_base64_request_body_reaches_the_app_decoded_and_the_url_is_https():
    event = http_event("PUT", "/products/3", body=base64.b64encode(b"\x00\x01binary").decode(), isBase64Encoded=True)
    event["rawQueryString"] = "tag=x"
    reply = json.loads(handler(event, None)["body"])
    assert reply["body_len"] == 8
    assert reply["url"] == "https://api.example.com/products/3?tag=x"
    assert reply["client"] == "203.0.113.9"


def test_an_app_that_fails_before_answering_gives_a_500_problem(caplog):
    async def broken(scope, receive, send):
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="stoflow.api.gateway"):
        reply = answer(broken, http_event("GET", "/x"), None, asyncio.new_event_loop())
    assert reply["statusCode"] == 500
    assert reply["headers"]["content-type"] == "application/problem+json"
    assert json.loads(reply["body"])["code"] == "internal_error"
    assert "boom" in caplog.text


def test_an_answer_sent_before_the_app_raised_stands():
    # Starlette's ServerErrorMiddleware sends its 500 and then raises again.
    async def answers_then_raises(scope, receive, send):
        await send({"type": "http.response.start", "status": 201, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"made"})
        raise RuntimeError("after the answer")

    reply = answer(answers_then_raises, http_event("POST", "/x"), None, asyncio.new_event_loop())
    assert (reply["statusCode"], reply["body"]) == (201, "made")


def test_a_second_receive_is_the_disconnect_once_the_answer_is_complete():
    seen = []

    async def listens(scope, receive, send):
        seen.append(await receive())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        seen.append(await receive())

    reply = answer(listens, http_event("GET", "/x", body="hi"), None, asyncio.new_event_loop())
    assert reply["statusCode"] == 200
    assert seen == [{"type": "http.request", "body": b"hi", "more_body": False}, {"type": "http.disconnect"}]


def test_stage_prefix_is_stripped_only_when_present():
    e = http_event("GET", "/dev/auth/me")
    e["requestContext"]["stage"] = "dev"
    assert without_stage(e)["requestContext"]["http"]["path"] == "/auth/me"
    e2 = http_event("GET", "/development/x")
    e2["requestContext"]["stage"] = "dev"
    assert without_stage(e2)["requestContext"]["http"]["path"] == "/development/x"
    plain = http_event("GET", "/auth/me")
    assert without_stage(plain) == plain
