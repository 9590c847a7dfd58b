"""API Gateway's HTTP API (payload format 2.0) events in and out of the ASGI app.

What Mangum did for us, for the one event kind the template wires to an HTTP function, without
what a container serving one request at a time does not need: finding the handler among four
event kinds, a queue per request, and the scope built twice (once more to read the event's
version while answering). Those cost about 0.2 ms of every warm request.

- In: the method and path from `requestContext.http` (a named stage's prefix is taken off, see
  `without_stage`), the raw query string, lower-cased headers with the `cookies` array joined into
  one `cookie` header, and the body, decoded when `isBase64Encoded`. The event and the Lambda
  context travel in the scope as `aws.event` and `aws.context`.
- Out: status and headers (repeated names joined with commas, as API Gateway would), every
  `set-cookie` in `cookies`, and the body as text for text media types (JSON and problem+json
  included), base64 otherwise.
- The app runs as one task on the thread's event loop. An exception that escapes it (every route
  error is already an answer, see RequestContextMiddleware) is logged; the answer already sent
  stands, or it becomes a 500 problem.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Message

from stoflow.api.problems import PROBLEM_JSON, problem

log = logging.getLogger(__name__)

TEXT_MEDIA_TYPES = (
    "text/",
    "application/json",
    PROBLEM_JSON,
    "application/javascript",
    "application/xml",
    "application/vnd.api+json",
    "application/vnd.oai.openapi",
)


def without_stage(event: dict[str, Any]) -> dict[str, Any]:
    """On a named stage (dev, prod) API Gateway puts "/<stage>" in front of the path; routes don't
    carry it. The $default stage has no prefix."""
    context = event.get("requestContext") or {}
    stage = context.get("stage")
    http = context.get("http")
    if not stage or stage == "$default" or not isinstance(http, dict):
        return event
    prefix = f"/{stage}"
    path = http.get("path", "")
    if path != prefix and not path.startswith(prefix + "/"):
        return event
    stripped = path[len(prefix) :] or "/"
    return {**event, "rawPath": stripped, "requestContext": {**context, "http": {**http, "path": stripped}}}


def scope_of(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The ASGI HTTP scope of an HTTP API request event."""
    http = event["requestContext"]["http"]
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    cookies = event.get("cookies")
    if cookies:
        headers["cookie"] = "; ".join(cookies)
    host = headers.get("host", "localhost")
    if ":" in host:
        name, _, port = host.partition(":")
        server = (name, int(port))
    else:
        server = (host, int(headers.get("x-forwarded-port", 443)))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.0"},
        "http_version": "1.1",
        "method": http["method"],
        "scheme": headers.get("x-forwarded-proto", "https"),
        "path": unquote(http["path"] or "/"),
        "raw_path": None,
        "root_path": "",
        "query_string": (event.get("rawQueryString") or "").encode(),
        "headers": [(name.encode(), value.encode()) for name, value in headers.items()],
        "server": server,
        "client": (http.get("sourceIp", ""), 0),
        "aws.event": event,
        "aws.context": context,
    }


def body_of(event: dict[str, Any]) -> bytes:
    body = event.get("body") or b""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body if isinstance(body, bytes) else body.encode()


def response_of(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> dict[str, Any]:
    """The HTTP API response of what the app sent."""
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for raw_name, raw_value in headers:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        if name == "set-cookie":
            cookies.append(value)
        elif name in joined:
            joined[name] = f"{joined[name]},{value}"
        else:
            joined[name] = value
    response: dict[str, Any] = {"statusCode": status, "headers": joined, "isBase64Encoded": False, "body": ""}
    if cookies:
        response["cookies"] = cookies
    if body:
        media_type = joined.get("content-type", "")
        text = None
        if any(kind in media_type for kind in TEXT_MEDIA_TYPES):
            try:
                text = body.decode()
            except UnicodeDecodeError:
                text = None
        if text is None:
            response["body"], response["isBase64Encoded"] = base64.b64encode(body).decode(), True
        else:
            response["body"] = text
    return response


class _Exchange:
    """One request's receive and send: the whole body at once, the answer gathered."""

    def __init__(self, body: bytes) -> None:
        self.request: Message | None = {"type": "http.request", "body": body, "more_body": False}
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = bytearray()
        self.complete = False
        self._disconnected: asyncio.Future[None] | None = None

    async def receive(self) -> Message:
        if self.request is not None:
            request, self.request = self.request, None
            return request
        if not self.complete:
            # Asked again before answering (a route listening for the client going away): the
            # client goes away once the answer is complete, as Lambda returns it whole.
            if self._disconnected is None:
                self._disconnected = asyncio.get_running_loop().create_future()
            await self._disconnected
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", ()))
        elif message["type"] == "http.response.body" and not self.complete:
            self.body += message.get("body", b"")
            if not message.get("more_body", False):
                self.complete = True
                if self._disconnected is not None and not self._disconnected.done():
                    self._disconnected.set_result(None)


def answer(app: ASGIApp, event: dict[str, Any], context: Any, loop: asyncio.AbstractEventLoop) -> dict[str, Any]:
    """Run `app` on one HTTP API event, as one task on `loop`; the response event."""
    event = without_stage(event)
    exchange = _Exchange(body_of(event))
    try:
        loop.run_until_complete(app(scope_of(event, context), exchange.receive, exchange.send))
    except Exception:
        log.exception("the app raised while answering %s", event["requestContext"]["http"].get("path"))
        if not exchange.complete:
            failed = problem(500, "internal_error", "Internal error")
            return response_of(failed.status_code, failed.raw_headers, bytes(failed.body))
    return response_of(exchange.status, exchange.headers, bytes(exchange.body))
