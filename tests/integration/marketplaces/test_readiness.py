"""Readiness: a product made ready step by step flips each marketplace to ready; every rule says
its stable code; POST /jobs refuses a product that is not ready (422, the same list) and no call
reaches the marketplace; GET /marketplaces shows each account's setup checklist; the mapping
covers every leaf of our category tree."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, select

from stoflow.db.tenancy import shared_session, tenant_session
from stoflow.models import (
    Brand,
    Category,
    CategoryMarketplaceId,
    Color,
    Condition,
    MarketplaceCategoryTree,
    MarketplaceRequirement,
    ProductImage,
    Size,
    SizeType,
)
from tests.support.api import caller, register_and_login
from tests.support.devices import device_principal
from tests.support.marketplaces import connect

JEANS = "women-clothing-jeans"
EBAY_JEANS = "11554"
TREE = ("ebay", "EBAY_FR", "71")
ASPECTS = [
    {"name": "Marque", "required": True, "usage": "RECOMMENDED", "mode": "FREE_TEXT", "cardinality": "SINGLE"},
    {
        "name": "Type de taille",
        "required": True,
        "usage": "RECOMMENDED",
        "mode": "SELECTION_ONLY",
        "cardinality": "SINGLE",
        "values": ["Standard", "Petite", "Grande taille"],
    },
    {"name": "Couleur", "required": False, "usage": "RECOMMENDED", "mode": "FREE_TEXT", "cardinality": "MULTI"},
]


@pytest.fixture
def cached_requirements() -> Iterator[None]:
    """eBay's requirements for Women's Jeans on EBAY_FR, as the scheduled refresh stores them."""
    now = datetime.now(UTC)
    with shared_session() as session:
        session.merge(
            MarketplaceCategoryTree(
                marketplace="ebay", site="EBAY_FR", tree_id="71", tree_version="130", checked_at=now
            )
        )
        session.merge(
            MarketplaceRequirement(
                marketplace="ebay",
                tree_id="71",
                category_id=EBAY_JEANS,
                tree_version="130",
                known=True,
                aspects=ASPECTS,
                conditions=["1000", "1500", "2990", "3000", "3010"],
                fetched_at=now,
            )
        )
    yield
    with shared_session() as session:
        session.execute(delete(MarketplaceRequirement).where(MarketplaceRequirement.tree_id == "71"))
        session.execute(delete(MarketplaceCategoryTree).where(MarketplaceCategoryTree.marketplace == "ebay"))


def ids(slug_model: Any, *slugs: str) -> list[int]:
    with shared_session() as session:
        found = dict(session.execute(select(slug_model.slug, slug_model.id).where(slug_model.slug.in_(slugs))).all())
    return [found[s] for s in slugs]


def verdicts(call, token: str, product_id: int) -> dict[str, dict[str, Any]]:
    reply = call("GET", f"/products/{product_id}/readiness", token=token)
    assert reply.status == 200, reply
    assert reply.json["product_id"] == product_id
    return {v["marketplace"]: v for v in reply.json["marketplaces"]}


def codes(verdict: dict[str, Any], severity: str = "error") -> set[str]:
    return {i["code"] for i in verdict["issues"] if i["severity"] == severity}


def patch(call, token: str, product_id: int, changes: dict[str, Any]) -> None:
    current = call("GET", f"/products/{product_id}", token=token).json
    reply = call("PATCH", f"/products/{product_id}", {"version": current["version"], **changes}, token=token)
    assert reply.status == 200, reply


def add_photos(tenant: int, product_id: int) -> None:
    with tenant_session(tenant) as session:
        for position in range(2):
            session.add(
                ProductImage(
                    product_id=product_id,
                    status="ready",
                    storage_key=f"p/{product_id}/{position}",
                    position=position,
                    mime_type="image/jpeg",
                )
            )
        # A label alone never counts as a photo.
        session.add(ProductImage(product_id=product_id, status="ready", storage_key="label", position=9, is_label=True))


def test_a_product_made_ready_step_by_step(marketplaces, job_runner, cached_requirements) -> None:
    world = marketplaces
    products, jobs, accounts = caller("products"), caller("jobs"), caller("marketplaces")
    seller = register_and_login()
    token, tenant = seller["access_token"], seller["id"]
    connect(world, token, "ebay")
    connect(world, token, "etsy")

    created = products("POST", "/products", {"title": "Jean", "price": "30.00"}, token=token)
    assert created.status == 201, created
    product_id = created.json["id"]
    found = verdicts(products, token, product_id)
    assert list(found) == ["vinted", "ebay", "etsy"] and not any(v["ready"] for v in found.values())
    assert codes(found["ebay"]) == {
        "ebay_location_missing",
        "photos_missing",
        "ebay_category_missing",
        "ebay_condition_missing",
    }
    assert codes(found["etsy"]) == {
        "etsy_shipping_profile_missing",
        "photos_missing",
        "etsy_year_made_missing",
        "etsy_taxonomy_missing",
    }
    assert codes(found["vinted"]) == {
        "marketplace_not_connected",
        "photos_missing",
        "vinted_category_missing",
        "vinted_condition_missing",
        "vinted_color_missing",
        "vinted_title_too_short",
    }
    assert all(i["message"] and i["field"] for v in found.values() for i in v["issues"])

    # A publish that would fail is refused before any job exists or any call is made.
    calls = len(world.ebay.requests)
    refused = jobs(
        "POST", "/jobs", {"marketplace": "ebay", "action": "publish", "product_ids": [product_id]}, token=token
    )
    assert refused.status == 422, refused
    assert refused.json["code"] == "product_not_ready" and refused.json["marketplace"] == "ebay"
    [report] = refused.json["products"]
    assert report["product_id"] == product_id
    assert {i["code"] for i in report["issues"] if i["severity"] == "error"} == codes(found["ebay"])
    assert job_runner.queue.sent == [] and len(world.ebay.requests) == calls

    # The accounts: eBay's shipping address, Etsy's shipping profile, a paired extension.
    assert (
        accounts(
            "PATCH", "/marketplaces/ebay/settings", {"location": {"country": "FR", "postalCode": "75011"}}, token=token
        ).status
        == 200
    )
    assert accounts("PATCH", "/marketplaces/etsy/settings", {"shipping_profile_id": 9001}, token=token).status == 200
    device_principal(tenant)

    # Our category: eBay, Etsy and Vinted ids come from the mapping; eBay's cached aspects apply.
    [jeans] = ids(Category, JEANS)
    [condition] = ids(Condition, "very_good")
    patch(products, token, product_id, {"category_id": jeans, "condition_id": condition, "title": "Jean droit bleu"})
    add_photos(tenant, product_id)
    found = verdicts(products, token, product_id)
    assert codes(found["ebay"]) == {"ebay_aspect_missing"}
    messages = {i["field"]: i["message"] for i in found["ebay"]["issues"]}
    assert messages["aspects.Type de taille"] == "eBay requires 'Type de taille' for Women's Jeans."
    assert messages["aspects.Marque"] == "eBay requires 'Marque' for Women's Jeans."
    assert "ebay_aspect_recommended" in codes(found["ebay"], "warning")

    [brand] = ids(Brand, "levi-s")
    [regular] = ids(SizeType, "regular")
    with shared_session() as session:
        blue = session.scalar(select(Color.id).where(Color.slug == "blue"))
        size = session.scalar(select(Size.id).where(Size.system == "eu", Size.label == "38"))
    patch(products, token, product_id, {"brand_id": brand, "size_type_id": regular})
    found = verdicts(products, token, product_id)
    assert found["ebay"]["ready"] is True, found["ebay"]
    assert codes(found["etsy"]) == {"etsy_year_made_missing"}
    assert codes(found["vinted"]) == {"vinted_size_missing", "vinted_color_missing"}

    # Etsy: a recent garment is not an Etsy item; a vintage one (20 years or more) is.
    patch(products, token, product_id, {"year_made": datetime.now(UTC).year - 3})
    assert codes(verdicts(products, token, product_id)["etsy"]) == {"etsy_not_allowed"}
    patch(products, token, product_id, {"year_made": 1994})
    assert verdicts(products, token, product_id)["etsy"]["ready"] is True

    # Vinted: size and colour; a description pointing to another marketplace is refused.
    patch(products, token, product_id, {"size_id": size, "color_ids": [blue], "description": "Aussi sur eBay"})
    found = verdicts(products, token, product_id)
    assert codes(found["vinted"]) == {"vinted_description_points_elsewhere"}
    assert "eBay" in found["vinted"]["issues"][0]["message"]
    patch(products, token, product_id, {"description": "Coupe droite, très bon état."})
    found = verdicts(products, token, product_id)
    assert all(v["ready"] for v in found.values()), found

    # Ready: the publish is accepted and lists on the first try.
    accepted = jobs(
        "POST", "/jobs", {"marketplace": "ebay", "action": "publish", "product_ids": [product_id]}, token=token
    )
    assert accepted.status == 202, accepted
    assert [(m, a, s) for _, m, a, s in job_runner.run_all(tenant=tenant)] == [("ebay", "publish", "completed")]
    [item] = world.ebay.items.values()
    assert item["product"]["aspects"]["Type de taille"] == ["Standard"]
    assert [o["categoryId"] for o in world.ebay.offers.values()] == [EBAY_JEANS]


def test_a_bulk_publish_reports_each_product_and_the_list_view_carries_readiness(marketplaces, job_runner) -> None:
    products, jobs = caller("products"), caller("jobs")
    seller = register_and_login()
    token = seller["access_token"]
    connect(marketplaces, token, "etsy")
    made = [
        products("POST", "/products", {"title": f"Robe {n}", "price": "20"}, token=token).json["id"] for n in range(3)
    ]
    refused = jobs("POST", "/jobs", {"marketplace": "etsy", "action": "publish", "product_ids": made}, token=token)
    assert refused.status == 422, refused
    assert sorted(p["product_id"] for p in refused.json["products"]) == sorted(made)
    assert job_runner.queue.sent == []

    listed = products("GET", "/products?include=readiness&limit=10", token=token)
    assert listed.status == 200, listed
    assert {p["id"] for p in listed.json["items"]} == set(made)
    for item in listed.json["items"]:
        assert [v["marketplace"] for v in item["readiness"]] == ["vinted", "ebay", "etsy"]
        assert all(v["ready"] is False for v in item["readiness"])
    plain = products("GET", "/products?limit=10", token=token)
    assert all(item.get("readiness") is None for item in plain.json["items"])


def test_the_setup_checklist_says_what_to_do_next(marketplaces) -> None:
    accounts = caller("marketplaces")
    seller = register_and_login()
    token = seller["access_token"]
    listed = {c["marketplace"]: c for c in accounts("GET", "/marketplaces", token=token).json["items"]}
    assert [s["code"] for s in listed["ebay"]["setup"]] == ["ebay_connect", "ebay_business_policies", "ebay_location"]
    assert listed["ebay"]["next_step"] == "Connect your eBay seller account."
    assert [s["code"] for s in listed["vinted"]["setup"]] == ["vinted_extension", "vinted_session"]

    connected = connect(marketplaces, token, "ebay")
    # The callback answers the connection with its checklist, as the list shows it.
    assert connected["status"] == "connected"
    assert [(s["code"], s["done"]) for s in connected["setup"]] == [
        ("ebay_connect", True),
        ("ebay_business_policies", False),
        ("ebay_location", False),
    ]
    assert connected["next_step"] == connected["setup"][1]["message"]
    settings = {
        "fulfillment_policy_id": "6196932000",
        "payment_policy_id": "6196934000",
        "return_policy_id": "6196936000",
    }
    changed = accounts("PATCH", "/marketplaces/ebay/settings", settings, token=token)
    assert changed.status == 200
    ebay = {c["marketplace"]: c for c in accounts("GET", "/marketplaces", token=token).json["items"]}["ebay"]
    assert [s["done"] for s in ebay["setup"]] == [True, True, False]
    assert ebay["next_step"].startswith("Give the address")
    # The change answers the connection as the list shows it, checklist included.
    assert changed.json == ebay
    located = accounts(
        "PATCH", "/marketplaces/ebay/settings", {"location": {"country": "FR", "postalCode": "69001"}}, token=token
    ).json
    assert [s["done"] for s in located["setup"]] == [True, True, True]
    assert located["next_step"] is None


def test_every_leaf_of_our_tree_is_mapped(engine) -> None:
    """Vinted and eBay (each site) for every leaf; Etsy for every leaf, with an id or the reason
    it is not listed there."""
    with shared_session() as session:
        categories = session.execute(select(Category.id, Category.parent_id, Category.slug)).all()
        rows = session.execute(select(CategoryMarketplaceId)).scalars().all()
    parents = {c.parent_id for c in categories}
    leaves = {c.id: c.slug for c in categories if c.id not in parents}
    assert len(leaves) == 70
    mapped = {(r.category_id, r.marketplace, r.site): r for r in rows}
    problems = []
    for leaf, slug in leaves.items():
        for key in [("vinted", ""), ("ebay", "EBAY_FR"), ("ebay", "EBAY_DE"), ("ebay", "EBAY_GB"), ("ebay", "EBAY_US")]:
            row = mapped.get((leaf, *key))
            if row is None or not row.external_id:
                problems.append(f"{slug}: no {key}")
        etsy = mapped.get((leaf, "etsy", ""))
        if etsy is None or not (etsy.external_id or etsy.note):
            problems.append(f"{slug}: etsy neither mapped nor excluded with a reason")
    assert problems == []
    assert {r.category_id for r in rows} <= set(leaves), "only leaves are mapped"


def ebay_seller_with_a_ready_product(marketplaces) -> tuple[str, int, int]:
    """(token, tenant, product): eBay connected with its location and a default category, its
    requirements not loaded (readiness checks our own rules only), and a product with photos."""
    from tests.support.marketplaces import forget_requirements, product_with_photos

    forget_requirements()
    seller = register_and_login()
    token, tenant = seller["access_token"], seller["id"]
    connect(marketplaces, token, "ebay")
    settings = {"location": {"country": "FR", "postalCode": "69001"}, "default_category_id": "11483"}
    assert caller("marketplaces")("PATCH", "/marketplaces/ebay/settings", settings, token=token).status == 200
    return token, tenant, product_with_photos(tenant)


def test_a_bulk_publish_with_ready_only_queues_the_ready_and_lists_the_others(marketplaces, job_runner) -> None:
    products, jobs = caller("products"), caller("jobs")
    token, _tenant, ready = ebay_seller_with_a_ready_product(marketplaces)
    bare = products("POST", "/products", {"title": "Robe sans photo", "price": "20"}, token=token).json["id"]
    body = {"marketplace": "ebay", "action": "publish", "product_ids": [bare, ready]}

    whole = jobs("POST", "/jobs", body, token=token)
    assert whole.status == 422 and [p["product_id"] for p in whole.json["products"]] == [bare], whole

    some = jobs("POST", "/jobs", {**body, "ready_only": True}, token=token)
    assert some.status == 202, some
    assert [j["product_id"] for j in some.json["jobs"]] == [ready] and some.json["total"] == 1
    [skipped] = some.json["skipped"]
    assert skipped["product_id"] == bare
    assert {"photos_missing", "ebay_condition_missing"} <= {i["code"] for i in skipped["issues"]}
    assert [m.job_id for m in job_runner.queue.take()] == [some.json["jobs"][0]["id"]]

    none = jobs("POST", "/jobs", {**body, "product_ids": [bare], "ready_only": True}, token=token)
    assert none.status == 422 and none.json["code"] == "product_not_ready", none


def test_a_publish_reads_the_account_and_the_products_once_and_refuses_a_missing_product(
    marketplaces, job_runner
) -> None:
    from sqlalchemy import Engine, event

    jobs = caller("jobs")
    token, tenant, ready = ebay_seller_with_a_ready_product(marketplaces)

    # Readiness finds which products exist; the job system does not ask again, and still refuses.
    gone = 10**9
    body = {"marketplace": "ebay", "action": "publish", "product_ids": [ready, gone]}
    refused = jobs("POST", "/jobs", body, token=token)
    assert refused.status == 404 and refused.json["code"] == "product_not_found", refused
    assert str(gone) in refused.json["detail"], refused.json
    assert job_runner.queue.sent == []

    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        accepted = jobs("POST", "/jobs", {**body, "product_ids": [ready]}, token=token)
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert accepted.status == 202, accepted
    # The connection check, readiness and the job system each ask for the account: one SELECT.
    assert sum(f"FROM user_{tenant}.ebay_credentials " in s for s in statements) == 1, statements
    # The products with their photos and brand, in one statement.
    assert sum(f"FROM user_{tenant}.products " in s for s in statements) == 1, statements
