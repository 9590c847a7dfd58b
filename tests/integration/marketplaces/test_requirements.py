"""The scheduled refresh of eBay's category requirements against the sandbox (held to the
official Taxonomy and Metadata contracts): every category our mapping uses is read once, a fresh
copy is not read again, a new category tree version makes them all stale, a category the site
does not know is recorded and readiness says so; the sandbox refuses a listing without a
required aspect, as eBay does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from infra.local.sandboxes import ebay_taxonomy
from stoflow.db.tenancy import shared_session
from stoflow.models import MarketplaceCategoryTree, MarketplaceRequirement
from stoflow.services.requirements import refresh_requirements
from tests.support.marketplaces import forget_requirements


@pytest.fixture
def empty_cache(marketplaces, monkeypatch) -> Iterator[None]:
    from stoflow import runtime

    monkeypatch.setenv("STOFLOW_EBAY_REQUIREMENT_SITES", '["EBAY_FR"]')
    runtime.reset()
    forget_requirements()
    forget_requirements("etsy")
    yield
    forget_requirements()
    forget_requirements("etsy")


def cached(marketplace: str = "ebay") -> dict[str, MarketplaceRequirement]:
    with shared_session() as session:
        rows = session.scalars(select(MarketplaceRequirement).where(MarketplaceRequirement.marketplace == marketplace))
        return {r.category_id: r for r in rows}


def taxonomy_calls(world, name: str) -> int:
    return sum(1 for r in world.ebay.requests if r.url.path.endswith(name))


def test_refresh_reads_each_mapped_category_once_then_only_what_went_stale(marketplaces, empty_cache, monkeypatch):
    world = marketplaces
    first = refresh_requirements()["ebay"]["EBAY_FR"]
    rows = cached()
    assert first["fetched"] == len(rows) > 40 and first["unknown"] == []
    assert {r.tree_id for r in rows.values()} == {"71"} and {r.tree_version for r in rows.values()} == {"125"}
    jeans = rows["11554"]
    assert [(a["name"], a["required"]) for a in jeans.aspects if a["required"]] == [
        ("Marque", True),
        ("Taille", True),
        ("Type de taille", True),
    ]
    size_type = next(a for a in jeans.aspects if a["name"] == "Type de taille")
    assert size_type["mode"] == "SELECTION_ONLY" and "Standard" in size_type["values"]
    assert "3000" in jeans.conditions
    # Conditions come in batches of categories, aspects one category at a time.
    assert taxonomy_calls(world, "get_item_aspects_for_category") == len(rows)
    assert taxonomy_calls(world, "get_item_condition_policies") == -(-len(rows) // 20)

    # Fresh: nothing is read again.
    assert refresh_requirements()["ebay"]["EBAY_FR"]["fetched"] == 0
    assert taxonomy_calls(world, "get_item_aspects_for_category") == len(rows)

    # eBay publishes a new tree version, which has dropped a category: all are read again.
    monkeypatch.setitem(ebay_taxonomy.TREES, "EBAY_FR", ("71", "126"))
    monkeypatch.delitem(ebay_taxonomy.CATEGORIES, "137085")
    again = refresh_requirements()["ebay"]["EBAY_FR"]
    assert again["fetched"] == len(rows) and again["unknown"] == ["137085"]
    rows = cached()
    assert {r.tree_version for r in rows.values()} == {"126"}
    assert rows["137085"].known is False
    with shared_session() as session:
        assert session.get(MarketplaceCategoryTree, ("ebay", "EBAY_FR")).tree_version == "126"


def test_an_unreachable_taxonomy_leaves_the_cache_as_it_was(marketplaces, empty_cache):
    marketplaces.ebay.fail("GET", r"/commerce/taxonomy/v1/get_default_category_tree_id", 400, times=10)
    report = refresh_requirements()
    assert "error" in report["ebay"] and cached() == {}
    assert report["etsy"]["fetched"] > 0  # one marketplace down does not stop the others


def test_etsy_properties_of_each_mapped_node_are_read_once_and_a_node_etsy_lacks_is_refused(
    marketplaces, empty_cache, monkeypatch, make_tenant
):
    from infra.local.sandboxes import etsy as etsy_sandbox
    from stoflow.db.tenancy import tenant_session
    from stoflow.services.readiness import readiness
    from tests.support.marketplaces import product_with_photos

    world = marketplaces
    reads = lambda: sum(1 for r in world.etsy.requests if r.url.path.endswith("/properties"))  # noqa: E731
    first = refresh_requirements()["etsy"]
    rows = cached("etsy")
    assert first == {"fetched": len(rows), "unknown": []} and len(rows) > 40 and reads() == len(rows)
    jeans = rows["2161"]
    assert jeans.known and [(p["name"], p["required"]) for p in jeans.aspects] == [
        ("Primary color", False),
        ("Secondary color", False),
    ]
    assert "Blue" in jeans.aspects[0]["values"]
    assert refresh_requirements()["etsy"]["fetched"] == 0 and reads() == len(rows)  # fresh: not read again
    assert world.contract_problems() == []  # requests and answers held to Etsy's OpenAPI document

    # Etsy drops the jeans node (and every one after it): once the copy is stale, readiness refuses it.
    monkeypatch.setattr(etsy_sandbox, "UNKNOWN_TAXONOMY_FROM", 2161)
    monkeypatch.setenv("STOFLOW_MARKETPLACE_REQUIREMENTS_MAX_AGE_S", "3600")
    from datetime import UTC, datetime, timedelta

    from stoflow import runtime
    from stoflow.marketplaces.etsy.requirements import refresh as refresh_etsy

    runtime.reset()
    again = refresh_etsy(shared_session, now=datetime.now(UTC) + timedelta(hours=2))
    assert "2161" in again["unknown"] and cached("etsy")["2161"].known is False
    tenant = make_tenant()
    product_id = product_with_photos(tenant)
    with tenant_session(tenant) as session:
        from stoflow.models import Category, Product

        jeans_category = session.scalars(select(Category.id).where(Category.slug == "women-clothing-jeans")).one()
        session.get(Product, product_id).category_id = jeans_category  # mapped to Etsy node 2161
    with tenant_session(tenant) as session:
        (verdict,) = readiness(session, [product_id], ["etsy"])[product_id]
    unknown = [i for i in verdict.issues if i.code == "etsy_taxonomy_unknown"]
    assert unknown and unknown[0].field == "marketplace_overrides.etsy.taxonomy_id" and not verdict.ready


def test_category_suggestions_from_the_title_for_a_connected_account(marketplaces):
    from tests.support.api import caller, register_and_login
    from tests.support.marketplaces import connect

    accounts, products = caller("marketplaces"), caller("products")
    seller = register_and_login()
    token = seller["access_token"]
    product_id = products("POST", "/products", {"title": "Women's jeans Levi's 501"}, token=token).json["id"]
    path = f"/marketplaces/ebay/category-suggestions?product_id={product_id}"
    assert accounts("GET", path, token=token).json["code"] == "marketplace_not_connected"
    connect(marketplaces, token, "ebay")
    found = accounts("GET", path, token=token)
    assert found.status == 200, found
    assert found.json["site"] == "EBAY_FR" and found.json["query"] == "Women's jeans Levi's 501"
    assert found.json["suggestions"][0]["category_id"] == "11554"
    assert found.json["suggestions"][0]["path"] == ["Clothing, Shoes & Accessories"]
    other = accounts("GET", f"/marketplaces/etsy/category-suggestions?product_id={product_id}", token=token)
    assert other.status == 404
