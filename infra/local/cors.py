"""The HTTP API's CorsConfiguration, applied as API Gateway applies it.

API Gateway developer guide, "Configuring CORS for an HTTP API": with CORS configured, API
Gateway answers every preflight (OPTIONS with Origin and Access-Control-Request-Method) itself,
whatever the routes, and adds the configured CORS headers to the integration's responses, replacing
any the function set. An origin that is not allowed gets no CORS headers (the browser refuses).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.local.http_events import HttpRequest, HttpResponse
from infra.local.intrinsics import Resolver
from infra.local.template import Template

_CORS_HEADERS = frozenset(
    {
        "access-control-allow-origin",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-expose-headers",
        "access-control-max-age",
        "access-control-allow-credentials",
    }
)


@dataclass(frozen=True)
class CorsConfig:
    allow_origins: tuple[str, ...]
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False

    def allowed_origin(self, origin: str | None) -> str | None:
        if not origin:
            return None
        if origin in self.allow_origins:
            return origin
        return "*" if "*" in self.allow_origins else None

    def preflight(self, request: HttpRequest) -> HttpResponse | None:
        """The answer to a preflight, or None when `request` is not one."""
        headers = {name.lower(): value for name, value in request.headers}
        if request.method.upper() != "OPTIONS" or "access-control-request-method" not in headers:
            return None
        origin = self.allowed_origin(headers.get("origin"))
        response = HttpResponse(204)
        if origin is None:
            return response
        response.headers.append(("access-control-allow-origin", origin))
        if self.allow_methods:
            response.headers.append(("access-control-allow-methods", ",".join(self.allow_methods)))
        if self.allow_headers:
            response.headers.append(("access-control-allow-headers", ",".join(self.allow_headers)))
        if self.max_age is not None:
            response.headers.append(("access-control-max-age", str(self.max_age)))
        if self.allow_credentials:
            response.headers.append(("access-control-allow-credentials", "true"))
        return response

    def decorate(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        origin = self.allowed_origin(next((v for n, v in request.headers if n.lower() == "origin"), None))
        response.headers = [(n, v) for n, v in response.headers if n.lower() not in _CORS_HEADERS]
        if origin is not None:
            response.headers.append(("access-control-allow-origin", origin))
            if self.expose_headers:
                response.headers.append(("access-control-expose-headers", ",".join(self.expose_headers)))
            if self.allow_credentials:
                response.headers.append(("access-control-allow-credentials", "true"))
        return response


def cors_from_template(template: Template, resolver: Resolver) -> CorsConfig | None:
    """The CorsConfiguration of the template's AWS::Serverless::HttpApi (the first one), resolved."""
    for resource in template.resources.values():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Serverless::HttpApi":
            continue
        config = (resource.get("Properties") or {}).get("CorsConfiguration")
        if not isinstance(config, dict):
            return None

        def values(key: str, config: dict[str, Any] = config) -> tuple[str, ...]:
            resolved = [resolver.resolve(v) for v in config.get(key) or []]
            return tuple(str(v) for v in resolved if v is not None)

        max_age: Any = config.get("MaxAge")
        return CorsConfig(
            allow_origins=values("AllowOrigins"),
            allow_methods=tuple(m.upper() for m in values("AllowMethods")),
            allow_headers=values("AllowHeaders"),
            expose_headers=values("ExposeHeaders"),
            max_age=int(max_age) if max_age is not None else None,
            allow_credentials=bool(config.get("AllowCredentials", False)),
        )
    return None
