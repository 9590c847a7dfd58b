"""One pure-ASGI middleware for every request: correlation id, security headers, last-resort errors.

Pure ASGI rather than BaseHTTPMiddleware: no extra task or stream per request (cold start and
warm latency both count on Lambda).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stoflow.logs import set_correlation_id

log = logging.getLogger(__name__)

CORRELATION_HEADER = "x-correlation-id"
# A client-supplied id is echoed into logs: keep it short and harmless.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:=+/-]{1,128}$")

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    # The API serves JSON only: nothing it returns may load or run anything.
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"cross-origin-resource-policy", b"same-site"),
)


def correlation_id_for(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == CORRELATION_HEADER.encode():
            candidate = value.decode("latin-1")
            if _SAFE_ID.match(candidate):
                return candidate
            break
    # Behind API Gateway, Mangum passes the event: its request id ties our logs to the gateway's.
    event: dict[str, Any] = scope.get("aws.event") or {}
    request_id = (event.get("requestContext") or {}).get("requestId")
    if isinstance(request_id, str) and _SAFE_ID.match(request_id):
        return request_id
    return str(uuid.uuid4())


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = correlation_id_for(scope)
        set_correlation_id(correlation_id)
        started = time.perf_counter()
        status = 0
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                if b"cache-control" not in present:
                    # Authenticated JSON must not sit in shared caches; a route may say otherwise.
                    headers.append((b"cache-control", b"no-store"))
                headers.append((CORRELATION_HEADER.encode(), correlation_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            # Last resort: an error that escaped every handler still becomes a problem (with our
            # headers and correlation id), and is not re-raised into the Lambda runtime.
            from stoflow.api.problems import unexpected

            response = unexpected(exc, scope.get("method"), scope.get("path"))
            if response_started:
                return
            await response(scope, receive, send_with_headers)
        finally:
            # The one line per request (the gateway's own access line is debug, Mangum's is off).
            log.info(
                "%s %s -> %s",
                scope.get("method"),
                scope.get("path"),
                status,
                extra={
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            set_correlation_id(None)
