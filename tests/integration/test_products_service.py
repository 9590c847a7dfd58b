"""ProductService on real PostgreSQL: versions, transitions, soft delete, listing, bulk, quota."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stoflow.db.tenancy import tenant_session
from stoflow.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    ProductQuotaExceeded,
    StaleVersion,
)
from stoflow.repositories.products import ProductFilters
from stoflow.services.catalog import category_subtree
from stoflow.services.products import ProductService
from stoflow.services.products_quota import tier_product_quota


def unlimited(_session, _tenant):
    return None


def service(session, tenant, quota=unlimited) -> ProductService:
    return ProductService(session, tenant, quota=quota)


def create(tenant: int, **values) -> int:
    with tenant_session(tenant) as session:
        return service(session, tenant).create({"title": "Jean Levi's 501", **values}).id


def test_create_read_and_edit_with_the_right_version(make_tenant) -> None:
    tenant = make_tenant()
    with tenant_session(tenant) as session:
        product = service(session, tenant).create(
            {
                "title": "Robe Sézane",
                "price": Decimal("45.00"),
                "currency": "EUR",
                "brand_id": 68,
                "color_ids": [1, 2],
                "material_ids": [1],
                "measurements": {"length": 98},
                "parcel_weight_g": 400,
                "sku": "SZ-1",
                "stock": 1,
                "cost_price": Decimal("12.50"),
                "internal_notes": "bought at a fair",
            }
        )
        assert (product.status, product.version, product.price) == ("draft", 1, Decimal("45.00"))
    with tenant_session(tenant) as session:
        updated = service(session, tenant).update(product.id, 1, {"price": Decimal("39.90")})
        assert (updated.version, updated.price) == (2, Decimal("39.90"))
    with tenant_session(tenant) as session, pytest.raises(StaleVersion):
        service(session, tenant).update(product.id, 1, {"price": Decimal("1.00")})
    with tenant_session(tenant) as session:
        assert service(session, tenant).get(product.id).price == Decimal("39.90")


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        (["published", "sold", "published", "archived", "draft"], True),
        (["sold"], False),
        (["archived", "published"], False),
    ],
)
def test_only_allowed_status_transitions(make_tenant, path, allowed) -> None:
    tenant = make_tenant()
    product_id = create(tenant)
    version = 1
    with tenant_session(tenant) as session:
        svc = service(session, tenant)
        try:
            for status in path:
                product = svc.update(product_id, version, {"status": status})
                version = product.version
        except InvalidTransition:
            assert not allowed
        else:
            assert allowed
            assert product.published_at is not None


def test_soft_delete_hides_the_product_everywhere(make_tenant) -> None:
    tenant = make_tenant()
    product_id = create(tenant)
    with tenant_session(tenant) as session, pytest.raises(StaleVersion):
        service(session, tenant).delete(product_id, version=7)
    with tenant_session(tenant) as session:
        service(session, tenant).delete(product_id, version=1)
    with tenant_session(tenant) as session:
        svc = service(session, tenant)
        with pytest.raises(NotFound):
            svc.get(product_id)
        assert svc.list(ProductFilters()) == ([], 0)
        with pytest.raises(NotFound):
            svc.delete(product_id)


def test_listing_filters_sorts_and_pages(make_tenant) -> None:
    tenant = make_tenant()
    for index in range(12):
        create(
            tenant,
            title=f"Pull {'laine' if index % 2 else 'coton'} {index}",
            price=Decimal(10 + index),
            brand_id=1 if index < 6 else 2,
            category_id=3 if index % 3 == 0 else 4,
            status="published" if index % 4 == 0 else "draft",
            sku=f"SKU-{index:03}",
        )
    with tenant_session(tenant) as session:
        svc = service(session, tenant)
        items, total = svc.list(ProductFilters(sort=("price",)), limit=5, offset=0)
        assert total == 12 and [p.price for p in items] == [Decimal(v) for v in range(10, 15)]
        items, total = svc.list(ProductFilters(sort=("-price",)), limit=5, offset=10)
        assert total == 12 and [p.price for p in items] == [Decimal(11), Decimal(10)]
        assert svc.list(ProductFilters(), limit=5, offset=50) == ([], 12)
        assert svc.list(ProductFilters(statuses=("published",)))[1] == 3
        assert svc.list(ProductFilters(brand_id=2, category_ids=(3,)))[1] == 2
        assert svc.list(ProductFilters(category_ids=category_subtree(session, 2)))[1] == 12  # women > clothing > *
        assert svc.list(ProductFilters(category_ids=category_subtree(session, 4)))[1] == 8
        assert svc.list(ProductFilters(text="LAINE"))[1] == 6
        assert svc.list(ProductFilters(text="sku-01"))[1] == 2
        assert svc.list(ProductFilters(text="100%"))[1] == 0
        assert svc.list(ProductFilters(price_min=Decimal(12), price_max=Decimal(14)))[1] == 3
        with pytest.raises(InvalidInput):
            svc.list(ProductFilters(sort=("internal_notes",)))


def test_bulk_status_reports_each_refusal(make_tenant) -> None:
    tenant = make_tenant()
    draft, published = create(tenant), create(tenant, status="published")
    with tenant_session(tenant) as session:
        result = service(session, tenant).bulk_status([draft, published, 999999], "sold")
    assert [p.id for p in result.updated] == [published]
    assert {f["id"]: f["code"] for f in result.failed} == {
        draft: "invalid_status_transition",
        999999: "product_not_found",
    }
    with tenant_session(tenant) as session:
        assert service(session, tenant).get(published).status == "sold"


def test_the_quota_refuses_one_product_too_many_and_deleting_frees_a_slot(make_tenant) -> None:
    tenant = make_tenant()

    def two(_session, _tenant):
        return 2

    ids = []
    for _ in range(2):
        with tenant_session(tenant) as session:
            ids.append(service(session, tenant, two).create({"title": "x"}).id)
    with tenant_session(tenant) as session, pytest.raises(ProductQuotaExceeded) as caught:
        service(session, tenant, two).create({"title": "one too many"})
    assert caught.value.status == 403 and "2 products" in caught.value.detail
    with tenant_session(tenant) as session:
        service(session, tenant, two).delete(ids[0])
    with tenant_session(tenant) as session:
        service(session, tenant, two).create({"title": "fits again"})


def test_a_tenant_without_an_account_gets_the_default_quota(make_tenant) -> None:
    tenant = make_tenant()
    with tenant_session(tenant) as session:
        assert tier_product_quota(session, tenant) == 100


def test_unknown_catalogue_ids_and_duplicate_skus_are_refused(make_tenant) -> None:
    tenant = make_tenant()
    with tenant_session(tenant) as session, pytest.raises(InvalidInput) as caught:
        service(session, tenant).create({"title": "x", "color_ids": [1, 9999], "brand_id": 1})
    assert caught.value.extra["errors"][0]["unknown_ids"] == [9999]
    create(tenant, sku="DUP")
    with pytest.raises(Conflict) as caught, tenant_session(tenant) as session:
        service(session, tenant).create({"title": "y", "sku": "DUP"})
    assert caught.value.code == "sku_taken"
