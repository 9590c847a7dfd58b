"""Warm requests through the real handlers at the deployed pool (one connection, no overflow).

For GET /products, POST /products, GET /auth/me and POST /jobs: the median time of a request
through its function's handler (API Gateway v2 event -> stoflow.api.gateway -> FastAPI -> services -> the
database), and beside it the floor: the very statements that request sent, recorded with their
parameters, replayed in one transaction on a plain pg8000 connection (no SQLAlchemy, no HTTP).
Each line also gives what one request costs the database: statements, transactions, round trips.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

from bench.common import REPO, bench_seller, deployed_backend, figure

CALLS = 150
WARMUP = 20


@dataclass
class Wire:
    """What one request sends: statements with their parameters, transactions, round trips."""

    statements: list[tuple[str, Any]] = field(default_factory=list)
    transactions: int = 0
    round_trips: int = 0
    recording: bool = False


@contextmanager
def watching(engine: Engine) -> Iterator[Wire]:
    from stoflow.db import pg8000_wire

    wire = Wire()

    def statement(conn: Any, cursor: Any, sql: str, parameters: Any, context: Any, executemany: bool) -> None:
        if wire.recording:
            wire.statements.append((sql, parameters))

    def begin(conn: Any) -> None:
        if wire.recording:
            wire.transactions += 1

    original = pg8000_wire._exchange

    def exchange(conn: Any, packet: bytes, contexts: list[Any]) -> None:
        if wire.recording:
            wire.round_trips += 1
            if os.environ.get("BENCH_DEBUG"):
                print("   exchange:", [c.statement[:60] if c.statement else None for c in contexts])
        original(conn, packet, contexts)

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "begin", begin)
    pg8000_wire._exchange = exchange
    try:
        yield wire
    finally:
        pg8000_wire._exchange = original
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "begin", begin)


def http_event(method: str, path: str, token: str, body: Any = None, query: str = "") -> dict[str, Any]:
    headers = {"host": "api.example.com", "authorization": f"Bearer {token}", "accept": "application/json"}
    if body is not None:
        headers["content-type"] = "application/json"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "isBase64Encoded": False,
        **({"body": json.dumps(body)} if body is not None else {}),
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "b",
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": "$default",
            "stage": "$default",
            "time": "22/Nov/2026:03:00:00 +0000",
            "timeEpoch": 1795000000000,
        },
    }


def handler_of(function: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    spec = importlib.util.spec_from_file_location(f"bench_{function}_app", REPO / "functions" / function / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


def replay(raw: Any, statements: list[tuple[str, Any]]) -> float:
    """The recorded statements on a plain pg8000 connection, in one transaction."""
    started = time.perf_counter()
    cursor = raw.cursor()
    for sql, parameters in statements:
        cursor.execute(sql, parameters)
        if cursor.description is not None:
            cursor.fetchall()
    raw.rollback()  # the floor of the writes too, without piling rows up (a commit costs the same trip)
    return time.perf_counter() - started


@dataclass
class Request:
    name: str
    function: str
    make_event: Callable[[], dict[str, Any]]
    expect: int


def against_replay(
    container: Engine, plain: Engine, call: Callable[[], float], *, calls: int = CALLS, warmup: int = WARMUP
) -> tuple[list[float], list[float], Wire]:
    """Time `call` (which uses `container`) against the very statements it sends, recorded once and
    replayed in one transaction on a plain connection of `plain`: (call times, replay times, what
    one call sent)."""
    for _ in range(warmup):
        call()
    with watching(container) as wire:
        wire.recording = True
        call()
        wire.recording = False
        recorded = Wire(list(wire.statements), wire.transactions, wire.round_trips)
    raw = plain.raw_connection()  # a connection of its own: the container's one is the caller's
    try:
        for _ in range(warmup):
            replay(raw.dbapi_connection, recorded.statements)
        samples, floor = [], []
        for _ in range(calls):  # interleaved: drift on a shared machine falls on both
            samples.append(call())
            floor.append(replay(raw.dbapi_connection, recorded.statements))
    finally:
        raw.close()
    return samples, floor, recorded


def measure(container: Engine, plain: Engine, request: Request) -> None:
    handler = handler_of(request.function)

    def call() -> float:
        started = time.perf_counter()
        reply = handler(request.make_event(), None)
        elapsed = time.perf_counter() - started
        assert reply["statusCode"] == request.expect, reply
        return elapsed

    handler_samples, raw_samples, recorded = against_replay(container, plain, call)
    figure(
        f"warm {request.name}",
        statistics.median(handler_samples),
        "raw SQL of its statements, one txn",
        statistics.median(raw_samples),
        "<= 2x",
    )
    print(
        f"    {request.name}: {len(recorded.statements)} statements, {recorded.transactions} transactions, "
        f"{recorded.round_trips} round trips per request"
    )


def ready_for_ebay(tenant_id: int) -> int:
    """A product eBay's readiness accepts, on a connected eBay account with its location and
    policies (what a seller has before publishing): POST /jobs is measured on its real path."""
    from sqlalchemy import select

    from stoflow.db.tenancy import tenant_session
    from stoflow.models import Brand, Category, Color, Condition, EbayCredentials, Product, ProductImage, Size, SizeType

    with tenant_session(tenant_id) as session:
        session.add(
            EbayCredentials(
                id=1,
                status="connected",
                environment="sandbox",
                marketplace_id="EBAY_FR",
                refresh_token_enc="bench",
                location={"country": "FR", "postalCode": "69001"},
                merchant_location_key="bench",
                fulfillment_policy_id="1",
                payment_policy_id="2",
                return_policy_id="3",
            )
        )
        product = Product(
            title="Veste en jean délavée",
            description="Très bon état, portée deux fois.",
            price=35,
            category_id=session.scalar(select(Category.id).where(Category.slug == "women-clothing-coats-and-jackets")),
            condition_id=session.scalar(select(Condition.id).where(Condition.slug == "very_good")),
            color_ids=list(session.scalars(select(Color.id).where(Color.slug == "navy"))),
            size_id=session.scalar(select(Size.id).where(Size.system == "letter", Size.label == "S")),
            size_type_id=session.scalar(select(SizeType.id).where(SizeType.name == "Regular")),
            brand_id=session.scalar(select(Brand.id).order_by(Brand.id).limit(1)),
            parcel_weight_g=700,
        )
        session.add(product)
        session.flush()
        for position in range(2):
            session.add(
                ProductImage(product_id=product.id, position=position, url=f"https://img.example/{position}.jpg")
            )
        return product.id


def main() -> None:
    from stoflow import runtime
    from stoflow.db.engine import get_engine
    from stoflow.jobs.queue import QUEUE

    class NullQueue:
        def send(self, messages: Any) -> list[Any]:
            return []

    with deployed_backend() as (admin, _url):
        container = get_engine()  # built by the runtime as deployed: one connection, no overflow
        # PRO: a limited plan (the quota is checked) big enough to bench.
        _, token = bench_seller(admin, tier="PRO")
        products = handler_of("products")
        me = json.loads(handler_of("auth")(http_event("GET", "/auth/me", token), None)["body"])
        product_id = ready_for_ebay(int(me["id"]))
        readiness = products(http_event("GET", f"/products/{product_id}/readiness", token), None)
        verdicts = {v["marketplace"]: v for v in json.loads(readiness["body"])["marketplaces"]}
        assert verdicts["ebay"]["ready"], verdicts["ebay"]  # POST /jobs refuses a product not ready
        # A queue that accepts: what is measured is the request's own database work, the real
        # connection check included.
        runtime.provide(QUEUE, NullQueue())  # type: ignore[arg-type]
        serial = iter(range(10**9))
        measure(
            container,
            admin,
            Request(
                "GET /products (50 max)",
                "products",
                lambda: http_event("GET", "/products", token, query="limit=50"),
                200,
            ),
        )
        measure(container, admin, Request("GET /auth/me", "auth", lambda: http_event("GET", "/auth/me", token), 200))
        measure(
            container,
            admin,
            Request(
                "POST /products",
                "products",
                lambda: http_event(
                    "POST", "/products", token, {"title": f"Pull {next(serial)}", "price": "20", "category_id": 3}
                ),
                201,
            ),
        )
        measure(
            container,
            admin,
            Request(
                "POST /jobs (1 product)",
                "jobs",
                lambda: http_event(
                    "POST",
                    "/jobs",
                    token,
                    {"marketplace": "ebay", "action": "publish", "product_ids": [product_id]},
                ),
                202,
            ),
        )


if __name__ == "__main__":
    main()
