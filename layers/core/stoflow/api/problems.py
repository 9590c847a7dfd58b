"""Every error answered as application/problem+json (RFC 9457) with a stable `code`, in one place.

- StoflowError subclasses: their own status, code and title; `detail` is the message.
- Request validation (FastAPI/pydantic): 422, code "validation_error", with the failing fields.
- Starlette HTTP errors (unknown route, wrong method): their status, a code derived from it.
- A dependency that is unavailable (database, proxy, Secrets Manager; stoflow.availability): 503,
  code "service_unavailable", with Retry-After.
- Anything else: 500, code "internal_error", logged with its traceback, never shown to the client.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from stoflow.errors import ServiceUnavailable, StoflowError, Unauthorized

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://stoflow.app/problems/"

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def problem(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {"type": PROBLEM_TYPE_BASE + code, "title": title, "status": status, "code": code}
    if detail is not None:
        body["detail"] = detail
    body.update(extra)
    from stoflow.logs import get_correlation_id

    correlation_id = get_correlation_id()
    if correlation_id:
        body["correlation_id"] = correlation_id
    return Response(
        content=json.dumps(body, default=str, separators=(",", ":")),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def error_headers(exc: StoflowError) -> dict[str, str]:
    headers: dict[str, str] = {}
    retry_after = exc.extra.get("retry_after")
    if retry_after is not None:
        # Whole seconds, never 0: a client told "retry after 0" retries at once.
        headers["Retry-After"] = str(max(1, math.ceil(float(retry_after))))
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = f'Bearer error="{"invalid_token" if exc.status == 401 else exc.code}"'
    return headers


def from_error(exc: StoflowError) -> Response:
    if isinstance(exc, ServiceUnavailable):
        log.warning("unavailable: %s", exc.detail)
        headers = {"Retry-After": str(max(1, math.ceil(float(exc.extra.get("retry_after", 5)))))}
        return problem(exc.status, exc.code, exc.title, exc.detail, headers=headers)
    if exc.status >= 500 and not exc.public:
        log.error("server error %s: %s", exc.code, exc.detail, exc_info=exc)
        # A domain error that maps to 5xx is our bug: say what kind, not the details.
        return problem(exc.status, exc.code, exc.title)
    if exc.status >= 500:
        log.warning("%s: %s", exc.code, exc.detail)
    public_extra = {
        k: v
        for k, v in exc.extra.items()
        if k in ("retry_after", "errors", "missing", "host", "marketplace", "products", "parameters")
    }
    return problem(exc.status, exc.code, exc.title, exc.detail, headers=error_headers(exc), **public_extra)


async def _on_stoflow_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StoflowError)
    return from_error(exc)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "loc": [str(part) for part in error.get("loc", ())],
            "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors()
    ]
    return problem(422, "validation_error", "Invalid request", "The request did not validate.", errors=errors)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    title = code.replace("_", " ").capitalize()
    detail = exc.detail if isinstance(exc.detail, str) else None
    return problem(exc.status_code, code, title, detail, headers=dict(exc.headers or {}))


def unexpected(exc: BaseException, method: str | None, path: str | None) -> Response:
    """An exception no handler expected: 503 with Retry-After when a dependency is unavailable
    (one warning line, no traceback: it is not our bug), else 500, logged with its traceback."""
    from stoflow.availability import RETRY_AFTER_S, unavailable_dependency

    dependency = unavailable_dependency(exc)
    if dependency is not None:
        log.warning("%s unavailable on %s %s: %s: %s", dependency, method, path, type(exc).__name__, exc)
        return problem(
            503,
            ServiceUnavailable.code,
            ServiceUnavailable.title,
            "A service StoFlow depends on is not answering; try again shortly.",
            headers={"Retry-After": str(RETRY_AFTER_S)},
            retry_after=RETRY_AFTER_S,
        )
    log.exception("unhandled error on %s %s", method, path, exc_info=exc)
    return problem(500, "internal_error", "Internal error")


async def _on_unexpected_error(request: Request, exc: Exception) -> Response:
    return unexpected(exc, request.method, request.url.path)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StoflowError, _on_stoflow_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    # Registered for Exception, Starlette runs it in ServerErrorMiddleware: the outermost layer,
    # so even an error raised inside another middleware becomes a problem, never a bare 500.
    app.add_exception_handler(Exception, _on_unexpected_error)
