"""Readiness of 500 products in one call (every marketplace), against the raw SQL that loads the
same rows: the statements the call sent, recorded with their parameters, replayed in one
transaction on a plain pg8000 connection. Budget: <= 3x. The catalogue snapshot is warm, as in a
container that has served a request before; eBay's requirements for the products' category are
cached, as the scheduled refresh leaves them."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from bench.common import figure, restore_environ, scratch_database
from bench.requests import against_replay

PRODUCTS = 500
CALLS = 20
WARMUP = 3


def _seed(admin: Any, schema: str) -> list[int]:
    """500 products of several categories, half with photos, and eBay's cached requirements."""
    with admin.begin() as connection:
        leaves = [
            row[0]
            for row in connection.execute(
                text(
                    "SELECT id FROM product_attributes.categories c WHERE NOT EXISTS "
                    "(SELECT 1 FROM product_attributes.categories k WHERE k.parent_id = c.id) ORDER BY id LIMIT 20"
                )
            )
        ]
        ids = [
            row[0]
            for row in connection.execute(
                text(
                    f"INSERT INTO {schema}.products (title, description, price, category_id, condition_id, brand_id,"
                    " size_id, color_ids, material_ids, year_made) "
                    "SELECT 'Produit ' || n, 'Très bon état', 20 + mod(n, 30),"
                    " (CAST(:leaves AS int[]))[1 + mod(n, 20)], 1 + mod(n, 6),"
                    " 1 + mod(n, 100), 4, ARRAY[1 + mod(n, 20)], ARRAY[1], 1990 + mod(n, 30) "
                    "FROM generate_series(1, :n) AS n RETURNING id"
                ),
                {"leaves": leaves, "n": PRODUCTS},
            )
        ]
        connection.execute(
            text(
                f"INSERT INTO {schema}.product_images (product_id, url, position, status, is_label) "
                "SELECT id, 'https://img.example/' || id || '.jpg', 0, 'ready', false"
                " FROM unnest(CAST(:ids AS bigint[])) AS id"
            ),
            {"ids": ids[::2]},
        )
        now = datetime.now(UTC)
        connection.execute(
            text(
                "INSERT INTO product_attributes.marketplace_category_trees "
                "VALUES ('ebay', 'EBAY_FR', '71', '125', :now)"
            ),
            {"now": now},
        )
        aspects = '[{"name": "Marque", "required": true, "mode": "FREE_TEXT", "cardinality": "SINGLE"}]'
        connection.execute(
            text(
                "INSERT INTO product_attributes.marketplace_requirements "
                "(marketplace, tree_id, category_id, tree_version, aspects, conditions, fetched_at) "
                "SELECT DISTINCT 'ebay', '71', external_id, '125', CAST(:aspects AS jsonb),"
                " CAST('[\"3000\"]' AS jsonb), now() "
                "FROM product_attributes.category_marketplace_ids WHERE marketplace = 'ebay' AND site = 'EBAY_FR'"
            ),
            {"aspects": aspects},
        )
    return ids


def main() -> None:
    from stoflow import runtime
    from stoflow.db.engine import get_engine
    from stoflow.db.migrations import migrate_shared
    from stoflow.db.tenancy import tenant_session
    from stoflow.services.readiness import readiness

    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "STOFLOW_DATA_DIR", "STOFLOW_LOG_LEVEL")}
    with scratch_database(pool_size=2) as (admin, url), tempfile.TemporaryDirectory() as data_dir:
        migrate_shared(admin)
        os.environ.update(
            DATABASE_URL=url.render_as_string(hide_password=False), STOFLOW_DATA_DIR=data_dir, STOFLOW_LOG_LEVEL="ERROR"
        )
        runtime.reset()
        container = get_engine()
        try:
            from stoflow.services.accounts import register

            profile = register(f"bench.{uuid.uuid4().hex[:8]}@example.com", "correct horse battery", "203.0.113.9")
            tenant = profile.tenant_id
            ids = _seed(admin, f"user_{tenant}")

            def call() -> float:
                started = time.perf_counter()
                with tenant_session(tenant) as session:
                    found = readiness(session, ids)
                elapsed = time.perf_counter() - started
                assert len(found) == PRODUCTS and all(len(v) == 3 for v in found.values())
                return elapsed

            samples, floor, recorded = against_replay(container, admin, call, calls=CALLS, warmup=WARMUP)
            figure(
                f"readiness of {PRODUCTS} products (3 marketplaces)",
                statistics.median(samples),
                "raw SQL loading the same rows",
                statistics.median(floor),
                "<= 3x",
            )
            print(f"    {len(recorded.statements)} statements, {recorded.round_trips} round trips per call")
        finally:
            restore_environ(saved)
            runtime.reset()


if __name__ == "__main__":
    main()
