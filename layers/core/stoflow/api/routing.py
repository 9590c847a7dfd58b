"""The router every route module declares its routes on, and how an app takes them in.

    router = api_router(prefix="/products", tags=["products"])
    app = create_app([router])  # create_app mounts it

A route is built once, when its module declares it. An app takes those routes as they are
(`mount`) rather than through FastAPI's `include_router`, which keeps the router behind a lazy
layer: on the first request it matches, that layer builds every route of the router a second
time (tens of milliseconds of a cold start), and on every request it walks the routers to see
whether any changed. What `include_router` would add per app, the query-name check, is declared
on the router instead, and `mount` refuses a route without it.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute

from stoflow.api.query_names import refuse_unknown_query


def api_router(*, tags: list[str], prefix: str = "") -> APIRouter:
    """An APIRouter whose every route refuses query names it does not declare."""
    return APIRouter(prefix=prefix, tags=list(tags), dependencies=[Depends(refuse_unknown_query)])


def mount(app: FastAPI, router: APIRouter) -> None:
    """The router's routes, as built, on the app."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise TypeError(f"{route!r}: only API routes are mounted")
        if not any(depends.dependency is refuse_unknown_query for depends in route.dependencies):
            raise TypeError(f"{route.path}: declare it on a router from stoflow.api.routing.api_router")
    app.router.routes.extend(router.routes)
