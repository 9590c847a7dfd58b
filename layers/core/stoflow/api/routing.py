"""The router every route module declares its routes on, and how an app takes them in.

    router = api_router(prefix="/products", tags=["products"])
    app = create_app([router])  # create_app mounts it

A route is built once, the first time something needs more of it than its path and methods: the
first request it matches, or the OpenAPI document (`DeferredRoute`). Building a route analyses
its endpoint's signature and builds the validators of its parameters, body and response: about
3 ms a route, and a function's first request takes one route of its ten or twenty.

Every such route refuses the query names it does not read (stoflow.api.query_names), before
its dependencies are solved: the names are worked out once, when the route is built, and the
check costs a request with no query string nothing (as a dependency it cost every request a
step of FastAPI's dependency solving).

An app takes the routes as they are (`mount`) rather than through FastAPI's `include_router`,
which keeps the router behind a lazy layer: on the first request it matches, that layer builds
every route of the router a second time (tens of milliseconds of a cold start), and on every
request it walks the routers to see whether any changed. `mount` refuses a route not declared on
an `api_router`, which would skip the query-name check.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.routing import compile_path, get_name
from starlette.types import Receive, Scope, Send

from stoflow.api.query_names import declared_query_names, refuse_undeclared_query


class DeferredRoute(APIRoute):
    """An APIRoute that keeps its declaration and is built on first use.

    Matching a request needs only the path's pattern and the methods, set at once (as APIRoute
    sets them). Anything else read of the route (its app when it handles a request, its
    dependant, fields and responses for the OpenAPI document) builds it first, with the very
    arguments it was declared with, so a built route is an APIRoute in every respect."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **declared: Any) -> None:
        self._declared: tuple[str, Callable[..., Any], dict[str, Any]] | None = (path, endpoint, declared)
        self.path = path
        self.endpoint = endpoint
        self.name = declared.get("name") or get_name(endpoint)
        self.path_regex, self.path_format, self.param_convertors = compile_path(path)
        methods = declared.get("methods") or ["GET"]
        self.methods = {method.upper() for method in methods}

    def __getattr__(self, name: str) -> Any:
        # Only attributes not yet set reach here. The route is built apart and its state taken in
        # one step, under a lock: the local cloud serves requests from several threads, and none
        # may see a route half built.
        if name.startswith("__"):
            raise AttributeError(name)
        if self.__dict__.get("_declared") is not None:
            with _BUILDING:
                self._build()
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None

    def _build(self) -> None:
        declared = self.__dict__["_declared"]
        if declared is None:  # another thread built it while this one waited
            return
        path, endpoint, arguments = declared
        built = APIRoute(path, endpoint, **arguments)
        _build_validators(built)
        _record_endpoint_context(built)
        self.__dict__.update({**vars(built), "query_names": declared_query_names(built.dependant), "_declared": None})

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A wrong method is answered 405 by APIRoute, whatever its query says.
        if scope["type"] == "http" and scope.get("query_string") and scope["method"] in self.methods:
            refuse_undeclared_query(self.query_names, scope["query_string"])
        await super().handle(scope, receive, send)


_BUILDING = threading.Lock()


def _build_validators(route: APIRoute) -> None:
    """Builds the validators of the route's parameters, body and responses now, as APIRoute does
    for bodies built at once: FastAPI builds each with pydantic's warning about the field metadata
    it carries silenced; for a body built on first use (ApiModel) pydantic would build it at the
    first request, outside FastAPI's silence."""
    from pydantic.warnings import UnsupportedFieldAttributeWarning

    fields = [route.body_field, route.response_field, *route.response_fields.values()]
    dependants = [route.dependant]
    while dependants:
        dependant = dependants.pop()
        fields += [*dependant.path_params, *dependant.query_params, *dependant.header_params]
        fields += [*dependant.cookie_params, *dependant.body_params]
        dependants += dependant.dependencies
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnsupportedFieldAttributeWarning)
        for field in fields:
            adapter = getattr(field, "_type_adapter", None)  # FastAPI's ModelField keeps its own
            if adapter is not None and not adapter.pydantic_complete:
                adapter.rebuild(force=True)


def _record_endpoint_context(route: APIRoute) -> None:
    """Where the endpoint is, for FastAPI's error messages, from its code object. FastAPI would
    find it on the route's first request by reading and tokenizing the endpoint's source file
    (inspect.getsourcelines): 6-7 ms of a function's first request, most of it compiling
    tokenize's patterns, for the file and line the code object holds."""
    from fastapi import routing

    contexts = getattr(routing, "_endpoint_context_cache", None)  # absent: FastAPI reads the source
    call = route.dependant.call
    code = getattr(call, "__code__", None)
    if contexts is not None and code is not None:
        contexts.setdefault(
            id(call), {"file": code.co_filename, "line": code.co_firstlineno, "function": call.__name__}
        )


def api_router(*, tags: list[str], prefix: str = "") -> APIRouter:
    """An APIRouter whose every route refuses query names it does not declare, and is built on
    first use."""
    return APIRouter(prefix=prefix, tags=list(tags), route_class=DeferredRoute)


def mount(app: FastAPI, router: APIRouter) -> None:
    """The router's routes, as declared, on the app."""
    for route in router.routes:
        if not isinstance(route, DeferredRoute):
            raise TypeError(f"{route!r}: declare it on a router from stoflow.api.routing.api_router")
    app.router.routes.extend(router.routes)
