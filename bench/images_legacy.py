"""Legacy catalogues for the JSONB -> product_images migration: generated, and loaded at t0003.

Shared by bench/images.py and the migration round-trip test. The legacy list is what the old
system stored: [{"url", "order", "created_at"}, ...], with the internal price label last.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Column, Engine, MetaData, String, Table, insert
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.schema import CreateSchema

from stoflow.db.migrations import migrate_tenant_schema
from stoflow.db.tenancy import schema_for, tenant_engine
from stoflow.repositories import tenants as registry

LEGACY_REVISION = "t0003"

# products as they stand at t0003, with the legacy list.
legacy_products = Table(
    "products",
    MetaData(),
    Column("id", BigInteger, primary_key=True),
    Column("title", String(200)),
    Column("images", JSONB),
    schema="tenant",
)


def generate(products: int, labelled: int, seed: int = 7, *, odd_shapes: bool = False) -> list[dict[str, Any]]:
    """`products` rows; `labelled` of them have photos followed by their price label, the others none.

    odd_shapes adds what old data really holds: extra keys, bare URL strings, unicode, order keys
    that disagree with the list order, missing dates."""
    rng = random.Random(seed)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    rows: list[dict[str, Any]] = []
    labelled_ids = set(rng.sample(range(1, products + 1), labelled))
    for product_id in range(1, products + 1):
        images: list[Any] = []
        if product_id in labelled_ids:
            taken = start + timedelta(minutes=rng.randrange(900_000))
            for order in range(rng.randint(1, 8) + 1):
                element: dict[str, Any] = {
                    "url": f"https://r2.stoflow.example/legacy/{product_id}/{order}-{rng.getrandbits(48):012x}.jpg",
                    "order": order,
                    "created_at": (taken + timedelta(seconds=order)).isoformat(),
                }
                if odd_shapes:
                    roll = rng.random()
                    if roll < 0.1:
                        element["width"], element["note"] = 1200, "prix étiquette ✓"
                    elif roll < 0.15:
                        element.pop("created_at")
                    elif roll < 0.2:
                        element["order"] = 10 - order
                    elif roll < 0.25:
                        images.append(element["url"])
                        continue
                images.append(element)
        rows.append({"id": product_id, "title": f"Legacy product {product_id}", "images": images})
    return rows


def provision_legacy_tenant(engine: Engine, tenant_id: int) -> None:
    """A tenant schema at t0003 (where legacy tenants are imported), by running the revisions."""
    schema = schema_for(tenant_id)
    with engine.begin() as connection:
        registry.register(connection, tenant_id, schema)
        connection.execute(CreateSchema(schema))
    migrate_tenant_schema(engine, tenant_id, "upgrade", LEGACY_REVISION)


def load(engine: Engine, tenant_id: int, rows: list[dict[str, Any]], chunk: int = 2000) -> None:
    with tenant_engine(engine, tenant_id).begin() as connection:
        for start in range(0, len(rows), chunk):
            # One multi-row INSERT per chunk: pg8000 would send an executemany row by row.
            connection.execute(insert(legacy_products).values(rows[start : start + chunk]))


def read_lists(engine: Engine, tenant_id: int) -> dict[int, Any]:
    with tenant_engine(engine, tenant_id).begin() as connection:
        result = connection.execute(legacy_products.select().order_by(legacy_products.c.id))
        return {row.id: row.images for row in result}
