"""Product figures, each beside its baseline measured in the same run:

- the legacy JSONB -> product_images migration (t0004) of 3,282 products, 611 of them with photos
  and a price label, vs the same INSERT ... SELECT sent as plain SQL on an identical schema;
- a warm GET /products of 50 rows through the products Lambda handler (event -> stoflow.api.gateway -> FastAPI
  -> token check -> revocation check -> query -> JSON) vs the raw SQL of the same page query.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert, select

from bench import images_legacy
from bench.common import REPO, figure, scratch_database
from stoflow.db.migrations import migrate_shared, migrate_tenant_schema
from stoflow.db.tenancy import schema_for, tenant_engine

PRODUCTS, LABELLED = 3282, 611
PAGE, LISTED_PRODUCTS, CALLS = 50, 400, 200

RAW_MIGRATION = """
INSERT INTO {schema}.product_images
    (product_id, status, url, position, is_label, legacy_source, created_at, updated_at)
SELECT p.id, 'ready',
       CASE WHEN jsonb_typeof(e.value) = 'string' THEN e.value #>> '{{}}' ELSE e.value ->> 'url' END,
       e.ordinality - 1, e.ordinality = jsonb_array_length(p.images), e.value, now(), now()
FROM {schema}.products p CROSS JOIN LATERAL jsonb_array_elements(p.images) WITH ORDINALITY AS e(value, ordinality)
"""


def bench_migration(engine: Engine) -> None:
    rows = images_legacy.generate(PRODUCTS, LABELLED, seed=2026)
    images = sum(len(r["images"]) for r in rows)
    ours, twin = 910001, 910002
    for tenant in (ours, twin):
        images_legacy.provision_legacy_tenant(engine, tenant)
        images_legacy.load(engine, tenant, rows)

    started = time.perf_counter()
    migrate_tenant_schema(engine, ours, "upgrade", "t0004")
    migration_s = time.perf_counter() - started

    raw = engine.raw_connection()  # plain DBAPI: no guard, no ORM, the SQL as text
    try:
        cursor = raw.cursor()
        started = time.perf_counter()
        cursor.execute(RAW_MIGRATION.format(schema=schema_for(twin)))
        raw.commit()
        raw_s = time.perf_counter() - started
    finally:
        raw.close()

    from stoflow.models import ProductImage

    with tenant_engine(engine, ours).begin() as connection:
        migrated = len(connection.execute(select(ProductImage.id)).all())
        labels = len(connection.execute(select(ProductImage.id).where(ProductImage.is_label)).all())
    print(f"  {PRODUCTS} products, {images} legacy images -> {migrated} rows, {labels} labels")
    assert (migrated, labels) == (images, LABELLED), "the migration lost or invented rows"
    figure(
        f"JSONB -> product_images ({PRODUCTS} products)",
        migration_s,
        "same INSERT..SELECT as plain SQL",
        raw_s,
        "< 2 s",
    )


def _event(path: str, token: str, query: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"host": "api.example.com", "authorization": f"Bearer {token}", "accept": "application/json"},
        "isBase64Encoded": False,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {
                "method": "GET",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "bench",
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": "$default",
            "stage": "$default",
            "time": "22/Nov/2026:03:00:00 +0000",
            "timeEpoch": 1795000000000,
        },
    }


def _seed_products(engine: Engine, tenant: int) -> None:
    from stoflow.models import Product

    rows = [
        {
            "title": f"Pull en laine {i}",
            "price": Decimal(10 + i % 90),
            "brand_id": 1 + i % 150,
            "category_id": 3,
            "color_ids": [1 + i % 20],
            "material_ids": [4],
            "measurements": {"chest": 50, "length": 66},
            "sku": f"SKU-{i:05}",
            "description": "Très bon état, porté deux fois. " * 4,
            "status": "published",
        }
        for i in range(LISTED_PRODUCTS)
    ]
    with tenant_engine(engine, tenant).begin() as connection:
        connection.execute(insert(Product).values(rows))


def _quiet_request_logs() -> Callable[[], None]:
    """Send the handler's JSON request logs to /dev/null: still formatted and written (their cost
    is part of a request), just not printed 200 times. Returns the function that restores them."""
    from stoflow.logs import LOGGER_NAME

    sink = open(os.devnull, "w")  # noqa: SIM115 (closed by the restore function)
    swapped = []
    for handler in logging.getLogger(LOGGER_NAME).handlers:
        if isinstance(handler, logging.StreamHandler):
            swapped.append((handler, handler.setStream(sink)))

    def restore() -> None:
        for handler, stream in swapped:
            handler.setStream(stream)
        sink.close()

    return restore


def bench_list(engine: Engine) -> None:
    from moto import mock_aws

    from stoflow import runtime
    from stoflow.db.engine import ENGINE
    from stoflow.repositories.products import ProductFilters, page_query

    previous_data_dir = os.environ.get("STOFLOW_DATA_DIR")
    with tempfile.TemporaryDirectory() as data_dir, mock_aws():
        os.environ["STOFLOW_DATA_DIR"] = data_dir  # JWT keys generated for this run only
        runtime.reset()
        runtime.provide(ENGINE, engine)
        from stoflow.services.accounts import register
        from stoflow.services.auth import login

        email = f"bench.{uuid.uuid4().hex[:8]}@example.com"
        tenant = register(email, "correct horse battery", "203.0.113.9").tenant_id
        token = login(email, "correct horse battery", "203.0.113.9").access_token
        _seed_products(engine, tenant)

        spec = importlib.util.spec_from_file_location("bench_products_app", REPO / "functions/products/app.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        handler = module.handler
        query = f"limit={PAGE}&status=published&sort=-created_at"

        def one_call() -> float:
            started = time.perf_counter()
            reply = handler(_event("/products", token, query), None)
            elapsed = time.perf_counter() - started
            assert reply["statusCode"] == 200 and len(json.loads(reply["body"])["items"]) == PAGE, reply
            return elapsed

        statement = page_query(ProductFilters(statuses=("published",)), PAGE, 0)
        # The same SELECT as text, the schema written in (bench only: a textual replace).
        sql = str(statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
        sql = sql.replace("tenant.products", f"{schema_for(tenant)}.products")
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()

            def one_raw() -> float:
                started = time.perf_counter()
                cursor.execute(sql)
                assert len(cursor.fetchall()) == PAGE
                raw.commit()
                return time.perf_counter() - started

            one_call()  # the first call builds the logger: silence it from then on
            quiet = _quiet_request_logs()
            for _ in range(20):  # warm both: imports, pools, caches, plans
                one_call()
                one_raw()
            handler_samples, raw_samples = [], []
            for _ in range(CALLS):  # interleaved, so drift on a shared machine hits both alike
                handler_samples.append(one_call())
                raw_samples.append(one_raw())
            quiet()
        finally:
            raw.close()
            runtime.provide(ENGINE, None)
            if previous_data_dir is None:
                os.environ.pop("STOFLOW_DATA_DIR", None)
            else:
                os.environ["STOFLOW_DATA_DIR"] = previous_data_dir
            runtime.reset()
        figure(
            f"warm GET /products ({PAGE} rows) via handler",
            statistics.median(handler_samples),
            "raw SQL of the same page query",
            statistics.median(raw_samples),
            "<= 3x",
        )


def main() -> None:
    with scratch_database() as (engine, _url):
        migrate_shared(engine)
        bench_migration(engine)
        bench_list(engine)


if __name__ == "__main__":
    main()
