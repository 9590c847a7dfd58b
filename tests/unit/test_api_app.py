"""The app factory: problem+json for every error, security headers, CORS from settings, OpenAPI,
and the Lambda handler (no database needed: the routes here are stand-ins)."""

from __future__ import annotations

import io
import json
import logging
import threading
from typing import Annotated, Any

import pytest
from fastapi import Depends
from pydantic import BaseModel

from stoflow.api.app import create_app, lambda_handler
from stoflow.api.deps import access_claims
from stoflow.api.middleware import correlation_id_for
from stoflow.api.problems import error_headers
from stoflow.api.routing import DeferredRoute, api_router
from stoflow.api.schemas.model import ApiModel
from stoflow.auth.tokens import AccessClaims
from stoflow.config import get_settings
from stoflow.errors import AccountLocked, Conflict, InvalidToken, RateLimited

router = api_router(tags=["test"])


class Parcel(ApiModel):
    weight_g: int


class Item(BaseModel):
    name: str
    price: float


@router.post("/items")
def create_item(item: Item) -> Item:
    return item


@router.get("/boom")
def boom() -> None:
    raise RuntimeError("password=hunter2 in a stack trace")


@router.get("/conflict")
def conflict() -> None:
    raise Conflict("already there", code="duplicate_sku")


_together = threading.Barrier(3, timeout=10)


@router.get("/echo/{tag}")
def echo(tag: str) -> dict[str, str]:
    _together.wait()  # three requests in flight at once, each in its own worker thread
    logging.getLogger("stoflow.test.echo").info("echo %s", tag)
    return {"tag": tag}


@router.get("/slow-down")
def slow_down() -> None:
    raise RateLimited("easy", retry_after=2.2)


def event(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "host": "x.execute-api.eu-west-3.amazonaws.com",
            "content-type": "application/json",
            **(headers or {}),
        },
        "requestContext": {
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.7", "userAgent": "t"},
            "requestId": "req-1=",
            "routeKey": f"{method} {path}",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }
    if body is not None:
        out["body"] = json.dumps(body)
    return out


@pytest.fixture
def handler(monkeypatch):
    monkeypatch.setenv("STOFLOW_CORS_ORIGINS", '["https://app.stoflow.example"]')
    get_settings.cache_clear()
    yield lambda_handler(create_app([router], title="test", openapi_url="/test/openapi.json"))
    get_settings.cache_clear()


def call(handler, *args: Any, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
    raw = handler(event(*args, **kwargs), None)
    assert raw["isBase64Encoded"] is False
    is_json = "json" in raw["headers"].get("content-type", "")
    return raw["statusCode"], raw["headers"], json.loads(raw["body"]) if is_json and raw.get("body") else None


def test_validation_error_is_a_422_problem(handler):
    status, headers, body = call(handler, "POST", "/items", {"name": "x", "price": "cheap"})
    assert status == 422 and headers["content-type"] == "application/problem+json"
    assert body["code"] == "validation_error" and body["type"].endswith("/validation_error")
    assert body["errors"][0]["loc"] == ["body", "price"]


def test_unexpected_error_is_a_500_problem_without_the_details(handler):
    status, headers, body = call(handler, "GET", "/boom")
    assert status == 500 and body["code"] == "internal_error"
    assert "hunter2" not in json.dumps(body) and "Traceback" not in json.dumps(body)
    assert headers["x-content-type-options"] == "nosniff"  # our middleware still ran


def test_domain_errors_keep_their_code_and_status(handler):
    status, _, body = call(handler, "GET", "/conflict")
    assert (status, body["code"], body["detail"]) == (409, "duplicate_sku", "already there")
    status, headers, body = call(handler, "GET", "/slow-down")
    assert status == 429 and headers["retry-after"] == "3" and body["code"] == "rate_limited"


def test_cors_comes_from_settings(handler):
    preflight = {
        "origin": "https://app.stoflow.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type",
    }
    status, headers, _ = call(handler, "OPTIONS", "/items", headers=preflight)
    assert status == 200 and headers["access-control-allow-origin"] == "https://app.stoflow.example"
    status, headers, _ = call(handler, "OPTIONS", "/items", headers={**preflight, "origin": "https://evil.example"})
    assert "access-control-allow-origin" not in headers


def test_openapi_is_served_and_docs_ui_is_not(handler):
    status, _, body = call(handler, "GET", "/test/openapi.json")
    assert status == 200 and "/items" in body["paths"]
    assert call(handler, "GET", "/docs")[0] == 404


def test_retry_after_is_whole_seconds_never_zero():
    assert error_headers(RateLimited(retry_after=0.2))["Retry-After"] == "1"
    assert error_headers(AccountLocked(retry_after=59.01))["Retry-After"] == "60"
    assert error_headers(InvalidToken())["WWW-Authenticate"].startswith("Bearer")


def test_correlation_ids_from_clients_are_checked():
    assert correlation_id_for({"headers": [(b"x-correlation-id", b"abc-1")]}) == "abc-1"
    hostile = correlation_id_for({"headers": [(b"x-correlation-id", b'"}\n{"level":"CRITICAL"')]})
    assert "\n" not in hostile and "{" not in hostile


def test_the_handler_answers_from_any_thread(handler):
    """The local cloud invokes handlers from a thread per request; Lambda from one thread."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=3) as pool:
        statuses = list(pool.map(lambda _: call(handler, "GET", "/conflict")[0], range(6)))
    assert statuses == [409] * 6


def test_concurrent_requests_keep_their_own_correlation_id_in_logs(handler):
    from concurrent.futures import ThreadPoolExecutor

    from stoflow.logs import LOGGER_NAME, get_logger

    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(get_logger().registered_formatter)
    logging.getLogger(LOGGER_NAME).addHandler(capture)
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            replies = list(
                pool.map(
                    lambda tag: call(handler, "GET", f"/echo/{tag}", headers={"x-correlation-id": f"id-{tag}"}),
                    ["a", "b", "c"],
                )
            )
    finally:
        logging.getLogger(LOGGER_NAME).removeHandler(capture)
    assert [r[0] for r in replies] == [200, 200, 200]
    echoes = [parsed(line) for line in stream.getvalue().splitlines() if "echo " in line]
    assert len(echoes) == 3
    for line in echoes:
        assert line["correlation_id"] == "id-" + line["message"].split()[-1], line


def parsed(line: str) -> dict[str, str]:
    """A log line as a dict: JSON on AWS and in tests that set an AWS-like stage, plain text
    ("<time> INFO <message>  key=value ...") locally."""
    if line.startswith("{"):
        return json.loads(line)
    head, _, extras = line.partition("  ")
    fields = dict(pair.split("=", 1) for pair in extras.split())
    return {**fields, "message": head.split(" ", 2)[2]}


@pytest.mark.parametrize(
    "function", ["account", "auth", "catalog", "extension", "jobs", "marketplaces", "products", "vinted", "ws_tickets"]
)
def test_every_route_and_dependency_runs_on_the_event_loop(function):
    """A Lambda container serves one request at a time: a sync route or dependency would cost a
    hop to a worker thread each way (and, one event loop per invocation, a new thread), for nothing."""
    import inspect

    from fastapi.routing import APIRoute

    from tests.support.api import load_function

    app = load_function(function).app
    sync = []
    seen = 0
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        seen += 1
        calls = [route.endpoint] + [d.call for d in route.dependant.dependencies]
        stack = list(route.dependant.dependencies)
        while stack:
            dependency = stack.pop()
            calls.append(dependency.call)
            stack.extend(dependency.dependencies)
        for call in calls:
            # Plain functions only (FastAPI's own security callables are objects with async __call__).
            if inspect.isfunction(call) and not (inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)):
                sync.append(f"{route.path}: {call.__qualname__}")
        assert isinstance(route, DeferredRoute), f"{route.path}: its query names would go unchecked"
    assert seen > 0, "the check saw the function's routes"
    assert sync == []


def test_a_route_declared_without_the_query_name_check_is_not_mounted():
    from fastapi import APIRouter

    plain = APIRouter()

    @plain.get("/unchecked")
    def unchecked() -> None: ...

    with pytest.raises(TypeError, match="api_router"):
        create_app([plain], title="test")


def test_mounted_routes_refuse_unknown_query_names(handler):
    raw = handler({**event("GET", "/conflict"), "rawQueryString": "stauts=sold"}, None)

    assert raw["statusCode"] == 422
    assert json.loads(raw["body"])["code"] == "unknown_query_parameter"


def test_a_wrong_method_is_a_405_whatever_its_query(handler):
    raw = handler({**event("DELETE", "/conflict"), "rawQueryString": "stauts=sold"}, None)

    assert raw["statusCode"] == 405


def test_a_route_is_built_by_the_first_request_it_takes_and_answers_as_declared():
    import warnings

    deferred = api_router(tags=["deferred"])

    @deferred.post("/parcels", status_code=201)
    async def post_parcel(body: Parcel) -> Parcel:
        return body

    @deferred.get("/parcels/{parcel_id}")
    async def get_parcel(parcel_id: int) -> Parcel:
        return Parcel(weight_g=parcel_id)

    app = create_app([deferred], title="deferred", openapi_url="/deferred/openapi.json")
    post_route, get_route = app.routes[-2:]
    assert "dependant" not in vars(post_route) and "dependant" not in vars(get_route)

    handler = lambda_handler(app)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # building a deferred body outside FastAPI's own silence warned
        assert call(handler, "POST", "/parcels", {"weight_g": 700})[::2] == (201, {"weight_g": 700})
        status, _, problem = call(handler, "POST", "/parcels", {"weight_g": "heavy"})
    assert (status, problem["code"]) == (422, "validation_error")
    assert "dependant" in vars(post_route) and "dependant" not in vars(get_route)

    assert call(handler, "GET", "/parcels/12")[::2] == (200, {"weight_g": 12})
    document = app.openapi()
    assert set(document["paths"]) == {"/parcels", "/parcels/{parcel_id}"}
    assert document["components"]["schemas"]["Parcel"]["required"] == ["weight_g"]


def test_importing_a_function_builds_none_of_its_routes_or_bodies_nor_maps_tables_its_list_does_not_read():
    """What a function's first request does not take costs its cold start nothing."""
    import subprocess
    import sys

    from tests.support.api import REPO

    code = (
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location('f', sys.argv[1])\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "from stoflow.api.schemas.products import ProductIn, ProductOut\n"
        "print(sum('dependant' in vars(r) for r in module.app.routes), len(module.app.routes),\n"
        "      ProductIn.__pydantic_complete__, ProductOut.__pydantic_complete__,\n"
        "      'stoflow.models.catalog' in sys.modules, 'stoflow.models.jobs' in sys.modules)\n"
    )
    path = str(REPO / "functions" / "products" / "app.py")
    out = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, check=True).stdout.split()
    built, routes, *rest = out
    assert int(routes) > 10 and built == "0"
    assert rest == ["False", "False", "False", "False"]


def test_a_first_request_finds_its_endpoint_without_reading_its_source(monkeypatch: pytest.MonkeyPatch):
    """FastAPI names the endpoint in its error messages; it would read and tokenize the source
    file on a route's first request to find it (milliseconds of a cold start)."""
    import inspect

    from fastapi import routing

    read: list[Any] = []
    monkeypatch.setattr(inspect, "getsourcelines", lambda obj: read.append(obj) or ([], 0))
    fresh = api_router(tags=["fresh"])

    @fresh.get("/parcels/{parcel_id}")
    async def parcel(parcel_id: int) -> Parcel:
        return Parcel(weight_g=parcel_id)

    handler = lambda_handler(create_app([fresh], title="fresh", openapi_url="/fresh/openapi.json"))
    assert call(handler, "GET", "/parcels/3")[::2] == (200, {"weight_g": 3})
    assert read == []
    where = routing._endpoint_context_cache[id(parcel)]
    assert (where["file"], where["line"], where["function"]) == (__file__, parcel.__code__.co_firstlineno, "parcel")


def test_no_function_compiles_tokenize_patterns_to_start_or_to_build_its_routes():
    """Compiling tokenize's patterns costs a cold start ~6 ms: pydantic tokenizes the signature of
    a builtin default factory (`Field(default_factory=list)`), and FastAPI an endpoint's source."""
    import subprocess
    import sys

    from tests.support.api import REPO

    code = (
        "import importlib.util, pathlib, sys, tokenize\n"
        "for path in sorted(pathlib.Path(sys.argv[1]).glob('functions/*/*.py')):\n"
        "    spec = importlib.util.spec_from_file_location(f'f_{path.parent.name}_{path.stem}', path)\n"
        "    module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "    if hasattr(getattr(module, 'app', None), 'openapi'):\n"
        "        module.app.openapi()  # builds every route and every body\n"
        "    print(path.parent.name, path.stem, tokenize._compile.cache_info().misses)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(REPO)], capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert len(lines) > 15
    assert [line for line in lines if not line.endswith(" 0")] == []


def test_a_unit_of_work_ends_when_its_route_returns_and_loads_no_anyio_backend():
    """TenantDb and SharedDb: committed when the route returns, before the answer, rolled back when
    it raises; without the cancel scope of a dependency with yield, whose first use loads anyio's
    asyncio backend into a function's first request."""
    import subprocess
    import sys

    from tests.support.api import REPO

    code = f"""
import json, sys
sys.path.insert(0, {str(REPO)!r})
from contextlib import contextmanager
from typing import Annotated
from fastapi import Depends, Request
from stoflow.api.app import create_app, lambda_handler
from stoflow.api.deps import _until_the_route_returns
from stoflow.api.routing import api_router
from stoflow.errors import Conflict
from tests.support.api import http_event
events = []
@contextmanager
def unit():
    events.append("begin")
    try:
        yield "session"
        events.append("commit")
    except BaseException:
        events.append("rollback")
        raise
async def db(request: Request) -> str:
    return _until_the_route_returns(request, unit())
router = api_router(tags=["t"])
@router.get("/fine")
async def fine(session: Annotated[str, Depends(db)]) -> dict:
    events.append("route")
    return {{"session": session}}
@router.get("/refused")
async def refused(session: Annotated[str, Depends(db)]) -> dict:
    raise Conflict("no", code="no")
handler = lambda_handler(create_app([router], title="t", openapi_url="/t/openapi.json"))
for path in ("/fine", "/refused"):
    reply = handler(http_event("GET", path), None)
    events.append(reply["statusCode"])
print(json.dumps([events, "anyio._backends._asyncio" in sys.modules]))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.splitlines()[-1]) == [["begin", "route", "commit", 200, "begin", "rollback", 409], False]


def test_requests_arriving_together_at_a_route_not_yet_built_are_all_answered():
    """The local cloud serves requests from several threads: none may see a route half built."""
    from concurrent.futures import ThreadPoolExecutor

    together = threading.Barrier(6, timeout=10)
    fresh = api_router(tags=["fresh"])

    @fresh.get("/parcels/{parcel_id}")
    async def parcel(parcel_id: int) -> Parcel:
        return Parcel(weight_g=parcel_id)

    handler = lambda_handler(create_app([fresh], title="fresh", openapi_url="/fresh/openapi.json"))

    def first_request(n: int) -> tuple[int, Any]:
        together.wait()
        status, _, body = call(handler, "GET", f"/parcels/{n}")
        return status, body

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(first_request, range(6)))
    assert answers == [(200, {"weight_g": n}) for n in range(6)]


@pytest.mark.parametrize(
    "function", ["account", "auth", "catalog", "extension", "jobs", "marketplaces", "products", "vinted", "ws_tickets"]
)
def test_every_body_a_route_takes_or_answers_is_built_on_first_use(function):
    """A body deriving from plain BaseModel is built when its module is imported: a cold start
    would pay for it whichever route its first request takes."""
    from typing import get_args

    from pydantic import BaseModel

    from tests.support.api import load_function

    def models_in(annotation: Any) -> list[type[BaseModel]]:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            nested = [m for field in annotation.model_fields.values() for m in models_in(field.annotation)]
            return [annotation, *nested]
        return [m for arg in get_args(annotation) for m in models_in(arg)]

    from fastapi.routing import APIRoute

    built_at_import = set()
    seen = 0
    for route in load_function(function).app.routes:
        if not isinstance(route, APIRoute):
            continue  # the OpenAPI document's own route
        seen += 1
        fields = [route.body_field, route.response_field]
        for field in filter(None, fields):
            for model in models_in(field.field_info.annotation):
                if not issubclass(model, ApiModel):
                    built_at_import.add(model.__qualname__)
    assert seen > 0
    assert built_at_import == set()


@router.get("/who")
async def who(claims: Annotated[AccessClaims, Depends(access_claims)]) -> dict[str, int]:
    return {"tenant": claims.tenant_id}


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer    ", "Basic dXNlcjpwYXNz", "bearer-ish abc", "Token abc"]
)
def test_a_request_without_a_bearer_token_is_a_401_before_anything_else(handler, authorization):
    headers = {} if authorization is None else {"authorization": authorization}
    status, response_headers, body = call(handler, "GET", "/who", headers=headers)
    assert status == 401 and body["code"] == "missing_token"
    assert response_headers["www-authenticate"].startswith("Bearer")


def test_a_bearer_token_is_read_whatever_the_case_of_its_scheme(handler, monkeypatch):
    import stoflow.api.deps as deps

    seen: list[str] = []

    def verify(token: str) -> Any:
        seen.append(token)
        return type("Claims", (), {"tenant_id": 7})()

    monkeypatch.setattr(deps, "verify_access_token", verify)
    for scheme in ("Bearer", "bearer", "BEARER"):
        assert call(handler, "GET", "/who", headers={"authorization": f"{scheme}  tok.en "})[2] == {"tenant": 7}
    assert seen == ["tok.en"] * 3


def test_the_document_gives_the_bearer_scheme_to_exactly_the_routes_that_read_the_token():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("auth_app_doc", Path("functions/auth/app.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    document = module.app.openapi()
    assert document["components"]["securitySchemes"] == {
        "HTTPBearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "Access token from POST /auth/login or /auth/refresh",
        }
    }
    secured = {
        (path, method)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if operation.get("security") == [{"HTTPBearer": []}]
    }
    assert {("/auth/me", "get"), ("/auth/logout", "post"), ("/auth/password/change", "post")} <= secured
    assert not {("/auth/login", "post"), ("/auth/refresh", "post"), ("/auth/jwks.json", "get")} & secured
    assert all(
        "401" in item[method]["responses"]
        for path, item in document["paths"].items()
        for method in item
        if (path, method) in secured
    )
