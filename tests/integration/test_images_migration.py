"""The legacy JSONB -> product_images revision (t0004): labels, counts, refusal, exact round trip."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from bench import images_legacy
from stoflow.db.migrations import migrate_tenant_schema
from stoflow.db.tenancy import tenant_session
from stoflow.models import ProductImage

_ids = itertools.count(660000)


@pytest.fixture
def engine(engine: Engine, migrator_engine: Engine) -> Engine:
    """As the migrator: these schemas are made and migrated as on AWS, then read by the functions'
    role (which has rights on what the migrator creates, not on what an administrator does)."""
    return migrator_engine


@pytest.fixture
def legacy_tenant(engine: Engine) -> Iterator[int]:
    """A tenant at the revision before the move, dropped afterwards: some tests leave it in states
    (a non-list images value) that a later registry-wide upgrade must not meet."""
    from stoflow.db.provisioning import drop_tenant

    tenant = next(_ids)
    images_legacy.provision_legacy_tenant(engine, tenant)
    yield tenant
    drop_tenant(tenant, confirm=f"user_{tenant}", engine=engine)


def _image_rows(tenant: int) -> list[ProductImage]:
    with tenant_session(tenant) as session:
        return list(session.scalars(select(ProductImage).order_by(ProductImage.product_id, ProductImage.position)))


def test_last_image_becomes_the_label_and_counts_match(engine: Engine, legacy_tenant: int, capsys) -> None:
    rows = images_legacy.generate(60, 15, seed=3)
    images_legacy.load(engine, legacy_tenant, rows)
    expected = sum(len(r["images"]) for r in rows)

    migrate_tenant_schema(engine, legacy_tenant, "upgrade", "t0004")

    migrated = _image_rows(legacy_tenant)
    assert len(migrated) == expected
    by_product: dict[int, list[ProductImage]] = {}
    for image in migrated:
        by_product.setdefault(image.product_id, []).append(image)
    assert len(by_product) == 15
    for product_id, images in by_product.items():
        legacy = next(r["images"] for r in rows if r["id"] == product_id)
        assert [i.url for i in images] == [e["url"] for e in legacy]
        assert [i.position for i in images] == list(range(len(legacy)))
        assert [i.is_label for i in images] == [False] * (len(legacy) - 1) + [True]
    assert f"{expected} legacy images -> {expected} product_images rows" in capsys.readouterr().out


def test_round_trip_restores_the_jsonb_exactly(engine: Engine, legacy_tenant: int) -> None:
    rows = images_legacy.generate(400, 150, seed=11, odd_shapes=True)
    images_legacy.load(engine, legacy_tenant, rows)
    before = images_legacy.read_lists(engine, legacy_tenant)
    assert any(isinstance(e, str) for lst in before.values() for e in lst), "generator lost its odd shapes"

    for _ in range(2):  # and again: a re-run after a downgrade migrates the same rows once
        migrate_tenant_schema(engine, legacy_tenant, "upgrade", "t0004")
        assert len(_image_rows(legacy_tenant)) == sum(len(v) for v in before.values())
        migrate_tenant_schema(engine, legacy_tenant, "downgrade", "t0003")
        assert images_legacy.read_lists(engine, legacy_tenant) == before
        assert _image_rows(legacy_tenant) == []


def test_a_value_that_is_not_a_list_stops_the_schema_and_keeps_its_data(engine: Engine, legacy_tenant: int) -> None:
    rows = images_legacy.generate(10, 5, seed=5)
    rows[0]["images"] = {"url": "https://r2.stoflow.example/one.jpg"}
    images_legacy.load(engine, legacy_tenant, rows)

    with pytest.raises(Exception, match="not a list"):
        migrate_tenant_schema(engine, legacy_tenant, "upgrade", "t0004")

    assert images_legacy.read_lists(engine, legacy_tenant)[1] == {"url": "https://r2.stoflow.example/one.jpg"}
    assert _image_rows(legacy_tenant) == []


def test_products_already_migrated_are_not_inserted_twice(engine: Engine, legacy_tenant: int) -> None:
    """Idempotent: rows already there for a product (an earlier run of the same move) are kept, not
    duplicated, and still count towards images before == rows after."""
    from sqlalchemy import insert

    from stoflow.db.tenancy import tenant_engine

    rows = images_legacy.generate(20, 8, seed=9)
    images_legacy.load(engine, legacy_tenant, rows)
    done = next(r for r in rows if r["images"])
    with tenant_engine(engine, legacy_tenant).begin() as connection:
        connection.execute(
            insert(ProductImage).values(
                [
                    {
                        "product_id": done["id"],
                        "status": "ready",
                        "url": e["url"],
                        "position": i,
                        "is_label": i == len(done["images"]) - 1,
                        "legacy_source": e,
                    }
                    for i, e in enumerate(done["images"])
                ]
            )
        )

    migrate_tenant_schema(engine, legacy_tenant, "upgrade", "t0004")

    migrated = _image_rows(legacy_tenant)
    assert len(migrated) == sum(len(r["images"]) for r in rows)
    assert len([i for i in migrated if i.product_id == done["id"]]) == len(done["images"])
