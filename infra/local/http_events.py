"""API Gateway HTTP API payload format 2.0: an HTTP request in, a Lambda response out.

Shapes follow the API Gateway developer guide ("Create AWS Lambda proxy integrations for HTTP
APIs"): header names lower case, repeated headers and query parameters comma-joined, the Cookie
header moved to `cookies`, and keys API Gateway leaves out when empty (cookies,
queryStringParameters, pathParameters, body) left out here too, so a handler that assumes them
fails locally as it would on AWS.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from infra.local.functions import LOCAL_ACCOUNT_ID
from infra.local.routing import RouteMatch

LOCAL_API_ID = "local"
STAGE = "$default"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TEXT_TYPES = (
    "application/json",
    "application/javascript",
    "application/xml",
    "application/x-www-form-urlencoded",
    "application/graphql",
    "application/x-ndjson",
)


@dataclass
class HttpRequest:
    """What the gateway read off the socket."""

    method: str
    target: str  # path and query string as sent, e.g. "/products/12?limit=5"
    headers: list[tuple[str, str]]
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"
    server_port: int = 3000


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


class InvalidLambdaResponse(ValueError):
    """API Gateway answers 500 to a response it cannot read."""


def request_id() -> str:
    # The shape of API Gateway's ids (base64 of 10 random bytes); also sent back as apigw-requestid.
    return base64.b64encode(os.urandom(10)).decode()


def _clf_time(epoch: float) -> str:
    t = time.gmtime(epoch)
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


def _is_text(content_type: str | None, content_encoding: str | None) -> bool:
    if content_encoding and content_encoding.strip().lower() not in ("", "identity"):
        return False  # gzip and friends are bytes whatever the media type
    if not content_type:
        return True  # API Gateway passes a body without a content type through as text
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media in _TEXT_TYPES or media.endswith(("+json", "+xml"))


def _host_name(host_header: str) -> str:
    # API Gateway's domainName carries no port.
    if host_header.startswith("["):
        return host_header.split("]", 1)[0] + "]"
    return host_header.rsplit(":", 1)[0]


def _joined(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in pairs:
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def build_event(
    request: HttpRequest, match: RouteMatch, *, now: float | None = None, request_id_: str | None = None
) -> dict[str, Any]:
    """The payload format 2.0 event API Gateway would send for `request` routed to `match`."""
    now = time.time() if now is None else now
    raw_path, _, raw_query = request.target.partition("?")
    raw_path = raw_path or "/"
    cookies: list[str] = []
    header_pairs: list[tuple[str, str]] = []
    for name, value in request.headers:
        lower = name.lower()
        if lower == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
        else:
            header_pairs.append((lower, value))
    headers = _joined(header_pairs)
    # API Gateway adds these on its way in; web frameworks build absolute URLs from them.
    forwarded_for = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded_for}, {request.source_ip}" if forwarded_for else request.source_ip
    headers.setdefault("x-forwarded-port", str(request.server_port))
    headers.setdefault("x-forwarded-proto", "http")
    headers.setdefault("x-amzn-trace-id", f"Root=1-{int(now):08x}-{os.urandom(12).hex()}")
    host = _host_name(headers.get("host", "127.0.0.1"))
    rid = request_id_ or request_id()

    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.route.route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if raw_query:
        event["queryStringParameters"] = _joined(parse_qsl(raw_query, keep_blank_values=True))
    event["requestContext"] = {
        "accountId": LOCAL_ACCOUNT_ID,
        "apiId": LOCAL_API_ID,
        "domainName": host,
        "domainPrefix": host.split(".", 1)[0],
        "http": {
            "method": request.method.upper(),
            "path": raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": rid,
        "routeKey": match.route.route_key,
        "stage": STAGE,
        "time": _clf_time(now),
        "timeEpoch": int(now * 1000),
    }
    if match.path_parameters:
        event["pathParameters"] = dict(match.path_parameters)
    is_base64 = False
    if request.body:
        if _is_text(headers.get("content-type"), headers.get("content-encoding")):
            try:
                event["body"] = request.body.decode("utf-8")
            except UnicodeDecodeError:
                is_base64 = True
        else:
            is_base64 = True
        if is_base64:
            event["body"] = base64.b64encode(request.body).decode("ascii")
    event["isBase64Encoded"] = is_base64
    return event


def _json_body(status: int, message: str) -> HttpResponse:
    return HttpResponse(status, [("content-type", "application/json")], json.dumps({"message": message}).encode())


def not_found() -> HttpResponse:
    return _json_body(404, "Not Found")


def internal_error() -> HttpResponse:
    return _json_body(500, "Internal Server Error")


def _header_value(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise InvalidLambdaResponse(f"header {name!r} has a {type(value).__name__} value")


def convert_response(result: Any) -> HttpResponse:
    """A handler's return value, read as API Gateway reads a format 2.0 response.

    With a statusCode it is a full response; anything else that is JSON is the body of a 200
    application/json answer (a string is sent as it is). Raises InvalidLambdaResponse for what
    API Gateway would turn into a 500."""
    if not (isinstance(result, dict) and "statusCode" in result):
        if isinstance(result, str):
            return HttpResponse(200, [("content-type", "application/json")], result.encode())
        try:
            body = json.dumps(result)
        except (TypeError, ValueError) as exc:
            raise InvalidLambdaResponse(f"the response is not JSON: {exc}") from exc
        return HttpResponse(200, [("content-type", "application/json")], body.encode())

    status = result["statusCode"]
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise InvalidLambdaResponse(f"statusCode {result['statusCode']!r} is not an HTTP status")

    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        headers.append((str(name), _header_value(name, value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        if not isinstance(values, list):
            raise InvalidLambdaResponse(f"multiValueHeaders {name!r} is not a list")
        headers.extend((str(name), _header_value(name, value)) for value in values)
    cookies = result.get("cookies") or []
    if not isinstance(cookies, list):
        raise InvalidLambdaResponse("cookies is not a list")
    headers.extend(("set-cookie", str(cookie)) for cookie in cookies)

    body = result.get("body")
    if body is None:
        payload = b""
    elif not isinstance(body, str):
        raise InvalidLambdaResponse(f"body is a {type(body).__name__}, not a string")
    elif result.get("isBase64Encoded"):
        try:
            payload = base64.b64decode(body, validate=True)
        except binascii.Error as exc:
            raise InvalidLambdaResponse("isBase64Encoded but the body is not base64") from exc
    else:
        payload = body.encode("utf-8")
    return HttpResponse(status, headers, payload)
