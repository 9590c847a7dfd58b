"""The app factory every HTTP function uses, and its Lambda handler.

app = create_app([router], title="StoFlow products", openapi_url="/products/openapi.json")
handler = lambda_handler(app)
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI

from stoflow.api.middleware import CORRELATION_HEADER, RequestContextMiddleware
from stoflow.api.problems import PROBLEM_JSON, install_problem_handlers
from stoflow.api.routing import mount
from stoflow.config import get_settings
from stoflow.logs import get_logger


def create_app(
    routers: Sequence[APIRouter],
    *,
    title: str = "StoFlow",
    version: str = "1.0.0",
    openapi_url: str | None = "/openapi.json",
) -> FastAPI:
    """A FastAPI app from routers: problem+json errors, CORS from settings, security headers,
    correlation ids in logs, and the OpenAPI document at `openapi_url` (no docs UI: it would
    need scripts from a CDN and a looser content security policy)."""
    settings = get_settings()
    get_logger()  # JSON logs for every stoflow.* logger from the first line on
    app = FastAPI(
        title=title,
        version=version,
        openapi_url=openapi_url,
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        # Traces are X-Ray's (stoflow.observability): FastAPI's own OpenTelemetry would only ask,
        # on every request, whether a provider was configured.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    for router in routers:
        mount(app, router)
    install_problem_handlers(app)
    document_problems(app)
    if settings.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["authorization", "content-type", CORRELATION_HEADER],
            expose_headers=[CORRELATION_HEADER, "retry-after"],
            allow_credentials=False,  # bearer tokens, never cookies
            max_age=600,
        )
    # Added last, so outermost: preflight answers and last-resort errors get its headers too.
    app.add_middleware(RequestContextMiddleware)
    return app


_PROBLEM_RESPONSE = {
    "description": "Problem (RFC 9457) with a stable `code`",
    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
}
_PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "correlation_id": {"type": "string"},
    },
}


_OPERATION_BODY = ("parameters", "requestBody", "callbacks", "responses")


def document_bearer(app: FastAPI, document: dict[str, Any]) -> None:
    """The bearer scheme on every operation whose dependencies read the token, where and as FastAPI
    puts a security dependency's. The dependencies read the header themselves (stoflow.api.deps):
    `HTTPBearer` as a dependency cost every request a level of dependency solving."""
    from fastapi.routing import APIRoute

    from stoflow.api.deps import BEARER, READ_THE_TOKEN

    scheme = BEARER.scheme_name
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        dependants, reads_the_token = [route.dependant], False
        while dependants and not reads_the_token:
            dependant = dependants.pop()
            reads_the_token = dependant.call in READ_THE_TOKEN
            dependants += dependant.dependencies
        if not reads_the_token:
            continue
        item = document["paths"][route.path_format]
        for method in route.methods:
            operation = item[method.lower()]
            # Where FastAPI put it (the document stays as it was): before the parameters of an
            # operation that has some, last in one that has none.
            after = _OPERATION_BODY if "parameters" in operation else ()
            body = {key: operation.pop(key) for key in after if key in operation}
            operation["security"] = [{scheme: []}]
            operation.update(body)
        schemes = document["components"].setdefault("securitySchemes", {})
        schemes[scheme] = BEARER.model.model_dump(mode="json", by_alias=True, exclude_none=True)


def document_problems(app: FastAPI) -> None:
    """The OpenAPI document says what every route may answer besides its success, as the problem
    handlers answer it (application/problem+json, stoflow.api.problems): 400 (a body that is not
    JSON) and 422 (validation) everywhere, 401 and 403 on routes taking a bearer token, 404 on
    routes addressing a resource by path. A route's own declarations are kept."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, routes=app.routes)
            document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = _PROBLEM_SCHEMA
            document_bearer(app, document)
            for item in document.get("paths", {}).values():
                for operation in item.values():
                    statuses = ["400", "422"]
                    if operation.get("security"):
                        statuses += ["401", "403"]
                    if any(p.get("in") == "path" for p in operation.get("parameters", ())):
                        statuses.append("404")
                    responses = operation.setdefault("responses", {})
                    for status in statuses:
                        declared = responses.get(status)
                        if declared is None or status == "422" or not declared.get("content"):
                            responses[status] = dict(_PROBLEM_RESPONSE)
                        else:
                            declared["content"] = dict(_PROBLEM_RESPONSE["content"])
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def lambda_handler(app: FastAPI) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """API Gateway (HTTP API, payload 2.0) → ASGI (stoflow.api.gateway). No lifespan: nothing to
    start per container, and Lambda would charge it to the first request anyway."""
    from stoflow.api.gateway import answer
    from stoflow.observability import traced_handler

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return answer(app, event, context, _event_loop())

    return traced_handler(handler)


_loops = threading.local()


def _event_loop() -> asyncio.AbstractEventLoop:
    """The calling thread's event loop, kept for its next requests. Lambda has one thread; the
    local cloud calls handlers from one thread per request, so each thread gets its own loop."""
    loop: asyncio.AbstractEventLoop | None = getattr(_loops, "loop", None)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        _loops.loop = loop
    return loop
