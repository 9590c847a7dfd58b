"""eBay end to end against the fake eBay: connect (OAuth, state bound to the user), settings and
business policies, publish (inventory item → offer → publish), update (the whole item again),
withdraw, import, order sync from a stored cursor; every request checked against the OpenAPI files."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import select

from infra.local.sandboxes.ebay import SELLER, SELLER_ID
from stoflow.db.tenancy import tenant_session
from stoflow.marketplaces.common import crypto
from stoflow.marketplaces.ebay.jobs import CURSOR_OVERLAP, INDEX_LAG
from stoflow.models import EbayCredentials, EbayOrder, EbayProduct, MarketplaceJob, Product
from stoflow.models.vinted_account import VintedConnection
from stoflow.services.jobs import JobRequest, enqueue
from tests.support.api import caller, register_and_login
from tests.support.marketplaces import (
    EBAY_RU_NAME,
    forget_requirements,
    image_ids,
    product_with_photos,
    run_connection_jobs,
)

LOCATION = {"country": "FR", "postalCode": "75011", "city": "Paris"}


@pytest.fixture
def call(marketplaces):
    return caller("marketplaces")


def connect_ebay(call, world, token):
    started = call("GET", "/marketplaces/ebay/connect", token=token)
    assert started.status == 200, started
    query = parse_qs(urlsplit(started.json["authorization_url"]).query)
    assert query["redirect_uri"] == [EBAY_RU_NAME] and query["response_type"] == ["code"]
    assert "sell.inventory" in query["scope"][0]
    state = query["state"][0]
    assert state == started.json["state"]
    code = world.ebay.consent()
    done = call("GET", f"/marketplaces/ebay/callback?code={quote(code)}&state={quote(state)}", token=token)
    assert done.status == 200, done
    assert done.json["connected"] is True and done.json["environment"] == "sandbox"
    run_connection_jobs()
    return done.json


def test_ebay_connect_publish_update_withdraw_and_sync_orders(call, marketplaces, job_runner):
    world = marketplaces
    seller = register_and_login()
    token, tenant = seller["access_token"], seller["id"]
    connect_ebay(call, world, token)

    # Tokens are stored encrypted, and decrypt to what eBay issued.
    with tenant_session(tenant) as session:
        row = session.get(EbayCredentials, 1)
        # The connection's own job read who the seller is (sale notices are not configured here).
        assert (row.ebay_user_id, row.username, row.sale_notices) == (SELLER_ID, SELLER, "off")
        issued = set(world.ebay.access_tokens)
        assert row.access_token_enc not in issued and crypto.decrypt(row.access_token_enc) in issued
        assert crypto.decrypt(row.refresh_token_enc) in world.ebay.refresh_tokens

    policies = call("GET", "/marketplaces/ebay/policies", token=token)
    assert policies.status == 200, policies
    assert [p["id"] for p in policies.json["fulfillment"]] == ["6196932000"]
    assert policies.json["return"][0]["id"] == "6196936000"
    settings = call(
        "PATCH", "/marketplaces/ebay/settings", {"location": LOCATION, "default_category_id": "11483"}, token=token
    )
    assert settings.status == 200, settings

    product_id = product_with_photos(tenant, sku="LEVIS-501-32")
    photos, label = image_ids(tenant, product_id)
    enqueue(tenant, JobRequest("ebay", "publish", product_ids=[product_id]))
    ran = job_runner.run_all()
    assert [(m, a, s) for _, m, a, s in ran] == [("ebay", "publish", "completed")]

    item = world.ebay.items["LEVIS-501-32"]
    assert item["condition"] == "PRE_OWNED_EXCELLENT"
    assert item["product"]["imageUrls"] == [f"https://images.stoflow.test/{i}.jpg" for i in photos]
    assert f"https://images.stoflow.test/{label}.jpg" not in item["product"]["imageUrls"]
    assert item["product"]["aspects"]["Taille"] == ["M"] and "Marque" in item["product"]["aspects"]
    assert world.ebay.locations["stoflow-default"]["location"]["address"]["postalCode"] == "75011"
    (offer,) = world.ebay.offers.values()
    assert offer["status"] == "PUBLISHED" and offer["categoryId"] == "11483"
    assert offer["pricingSummary"]["price"] == {"value": "35.50", "currency": "EUR"}
    assert offer["listingPolicies"]["paymentPolicyId"] == "6196934000"
    listing_id = offer["listing"]["listingId"]
    with tenant_session(tenant) as session:
        row = session.scalars(select(EbayProduct).where(EbayProduct.product_id == product_id)).one()
        assert (row.status, row.offer_id, row.listing_id) == ("published", offer["offerId"], listing_id)

    # Update: the whole item goes again (eBay replaces, it does not merge), and the offer too.
    with tenant_session(tenant) as session:
        product = session.get(Product, product_id)
        product.price = Decimal("29.00")
        product.title = "Levi's 501 jeans W32 L34"
    publishes_before = len(world.ebay.calls("POST", r"/publish$"))
    enqueue(tenant, JobRequest("ebay", "update", product_ids=[product_id]))
    assert [s for *_, s in job_runner.run_all()] == ["completed"]
    sku, replaced = world.ebay.item_puts[-1]
    assert sku == "LEVIS-501-32" and replaced["product"]["title"] == "Levi's 501 jeans W32 L34"
    assert replaced["condition"] and replaced["product"]["aspects"] and replaced["product"]["imageUrls"]
    assert world.ebay.offers[offer["offerId"]]["pricingSummary"]["price"]["value"] == "29.00"
    assert len(world.ebay.calls("POST", r"/publish$")) == publishes_before
    assert len(world.ebay.offers) == 1

    # A sale on eBay: the order is stored once, the product becomes sold.
    order_id = world.ebay.sell("LEVIS-501-32")
    enqueue(tenant, JobRequest("ebay", "sync_orders"))
    assert [s for *_, s in job_runner.run_all()] == ["completed"]
    enqueue(tenant, JobRequest("ebay", "sync_orders"))  # the same order seen again changes nothing
    assert [s for *_, s in job_runner.run_all()] == ["completed"]
    windows = [c.url.params["filter"] for c in world.ebay.calls("GET", r"/order$")]
    assert all(re.fullmatch(r"lastmodifieddate:\[\S+Z\.\.\S+Z\]", f) for f in windows)
    # The first sync reads the last 30 days in 7-day windows; the second starts from the cursor.
    first_since = datetime.fromisoformat(windows[0][18:42].replace("Z", "+00:00"))
    last_since = datetime.fromisoformat(windows[-1][18:42].replace("Z", "+00:00"))
    assert datetime.now(UTC) - first_since > timedelta(days=29)
    assert datetime.now(UTC) - last_since < CURSOR_OVERLAP + INDEX_LAG + timedelta(minutes=1)
    with tenant_session(tenant) as session:
        orders = list(session.scalars(select(EbayOrder)))
        assert [(o.order_id, o.total, o.line_items[0]["product_id"]) for o in orders] == [
            (order_id, Decimal("42.50"), product_id)
        ]
        assert session.get(Product, product_id).status == "sold"
        assert session.get(EbayCredentials, 1).orders_cursor is not None

    # Another product: published, then withdrawn (delete = withdraw; the item stays).
    second = product_with_photos(tenant, title="Wool coat", sku="COAT-1")
    enqueue(tenant, JobRequest("ebay", "publish", product_ids=[second]))
    enqueue(tenant, JobRequest("ebay", "delete", product_ids=[second]))
    assert [(a, s) for _, _, a, s in job_runner.run_all()] == [("publish", "completed"), ("delete", "completed")]
    coat_offer = next(o for o in world.ebay.offers.values() if o["sku"] == "COAT-1")
    assert coat_offer["status"] == "UNPUBLISHED" and coat_offer["listing"]["listingStatus"] == "ENDED"
    assert "COAT-1" in world.ebay.items
    # Updating a withdrawn listing changes the item and offer but does not list it again.
    publishes = len(world.ebay.calls("POST", r"/publish$"))
    enqueue(tenant, JobRequest("ebay", "update", product_ids=[second]))
    assert [s for *_, s in job_runner.run_all()] == ["completed"]
    assert len(world.ebay.calls("POST", r"/publish$")) == publishes
    assert world.ebay.offers[coat_offer["offerId"]]["status"] == "UNPUBLISHED"
    enqueue(tenant, JobRequest("ebay", "delete", product_ids=[second], params={"purge": True}))
    assert [s for *_, s in job_runner.run_all()] == ["completed"]
    assert "COAT-1" not in world.ebay.items

    assert world.contract_problems() == []

    with tenant_session(tenant) as session:  # what the extension reported about Vinted
        session.add(VintedConnection(login="ada_vintage", logged_in=True))
    listed = call("GET", "/marketplaces", token=token).json["items"]
    assert {c["marketplace"]: c["status"] for c in listed} == {
        "vinted": "disconnected",
        "ebay": "connected",
        "etsy": "disconnected",
    }
    vinted = listed[0]
    assert (vinted["via"], vinted["account"], vinted["logged_in"]) == ("extension", "ada_vintage", True)
    assert call("DELETE", "/marketplaces/ebay", token=token).status == 204
    with tenant_session(tenant) as session:
        row = session.get(EbayCredentials, 1)
        assert (row.status, row.access_token_enc, row.refresh_token_enc) == ("disconnected", None, None)
    assert call("DELETE", "/marketplaces/ebay", token=token).json["code"] == "marketplace_not_connected"


def test_import_existing_ebay_listings(call, marketplaces, job_runner):
    world = marketplaces
    seller = register_and_login()
    token, tenant = seller["access_token"], seller["id"]
    connect_ebay(call, world, token)
    ours = product_with_photos(tenant, sku="KNOWN-SKU")
    access = next(iter(world.ebay.access_tokens))
    import httpx

    # Listings made on eBay before StoFlow: one whose SKU we know, one we do not.
    for sku in ("KNOWN-SKU", "ONLY-ON-EBAY"):
        httpx.Client(transport=httpx.MockTransport(world.ebay.handle)).put(
            f"https://api.sandbox.ebay.com/sell/inventory/v1/inventory_item/{sku}",
            json={"product": {"title": sku}, "condition": "USED_EXCELLENT"},
            headers={"Authorization": f"Bearer {access}", "Content-Language": "fr-FR"},
        )
    enqueue(tenant, JobRequest("ebay", "import_listings"))
    (done,) = job_runner.run_all()
    assert done[3] == "completed"
    with tenant_session(tenant) as session:
        rows = {r.sku: r for r in session.scalars(select(EbayProduct))}
    assert set(rows) == {"KNOWN-SKU", "ONLY-ON-EBAY"}
    assert rows["KNOWN-SKU"].product_id == ours and rows["ONLY-ON-EBAY"].product_id is None
    assert world.contract_problems() == []


def test_an_interrupted_order_sync_never_skips_an_order(call, marketplaces, job_runner):
    from stoflow.jobs.maintenance import run_all as maintenance

    world = marketplaces
    seller = register_and_login()
    token, tenant = seller["access_token"], seller["id"]
    connect_ebay(call, world, token)
    now = datetime.now(UTC)
    # 60 orders (two pages), created in one order and modified in another.
    for n in range(60):
        order_id = world.ebay.sell(f"SKU-{n}", when=now - timedelta(hours=2, minutes=n))
        world.ebay.orders[-1]["lastModifiedDate"] = (now - timedelta(minutes=10 + (n * 7) % 60)).strftime(
            "%Y-%m-%dT%H:%M:%S.000Z"
        )
        assert order_id
    world.ebay.fail("GET", r"/order$", 503, times=5)  # the first page fails past our retries
    enqueue(tenant, JobRequest("ebay", "sync_orders"))
    assert [s for *_, s in job_runner.run_all(tenant=tenant)] == ["pending"]  # to be retried
    with tenant_session(tenant) as session:
        assert session.get(EbayCredentials, 1).orders_cursor is None  # no window was read whole
    maintenance(job_runner.registry)  # the sweeper sends the retry
    assert [s for *_, s in job_runner.run_all(tenant=tenant)] == ["completed"]
    with tenant_session(tenant) as session:
        assert len(list(session.scalars(select(EbayOrder)))) == 60
        assert session.get(EbayCredentials, 1).orders_cursor > now - timedelta(minutes=5)


def test_the_ebay_sku_stays_when_the_product_sku_changes(call, marketplaces, job_runner):
    world = marketplaces
    seller = register_and_login()
    token, tenant = seller["access_token"], seller["id"]
    connect_ebay(call, world, token)
    call("PATCH", "/marketplaces/ebay/settings", {"location": LOCATION, "default_category_id": "11483"}, token=token)
    product_id = product_with_photos(tenant, sku="FIRST-SKU")
    enqueue(tenant, JobRequest("ebay", "publish", product_ids=[product_id]))
    job_runner.run_all(tenant=tenant)
    with tenant_session(tenant) as session:
        session.get(Product, product_id).sku = "RENAMED-SKU"
    enqueue(tenant, JobRequest("ebay", "update", product_ids=[product_id]))
    assert [s for *_, s in job_runner.run_all(tenant=tenant)] == ["completed"]
    assert set(world.ebay.items) == {"FIRST-SKU"} and len(world.ebay.offers) == 1


def _publish_fails_with(call, world, job_runner, tenant, token, product_id) -> MarketplaceJob:
    connect_ebay(call, world, token)
    settings = {"location": LOCATION, "default_category_id": "11483"}
    assert call("PATCH", "/marketplaces/ebay/settings", settings, token=token).status == 200
    enqueue(tenant, JobRequest("ebay", "publish", product_ids=[product_id]))
    assert [s for *_, s in job_runner.run_all(tenant=tenant)] == ["failed"]
    with tenant_session(tenant) as session:
        return session.scalars(select(MarketplaceJob).where(MarketplaceJob.action == "publish")).one()


def test_ebay_refuses_a_listing_without_its_required_item_specific(call, marketplaces, job_runner):
    # With eBay's requirements cached, readiness refuses first (test_readiness); here they are not
    # loaded yet, so the listing is tried and eBay's own refusal reaches the seller.
    forget_requirements()
    seller = register_and_login()
    tenant = seller["id"]
    product_id = product_with_photos(tenant)
    with tenant_session(tenant) as session:
        session.get(Product, product_id).brand_id = None
    job = _publish_fails_with(call, marketplaces, job_runner, tenant, seller["access_token"], product_id)
    assert "The item specific Marque is missing" in job.error_message
    assert marketplaces.ebay.calls("POST", r"/publish$") and not any(
        o["status"] == "PUBLISHED" for o in marketplaces.ebay.offers.values()
    )


def test_ebay_refuses_photos_it_cannot_download(call, marketplaces, job_runner, monkeypatch):
    seller = register_and_login()
    tenant = seller["id"]
    product_id = product_with_photos(tenant)
    monkeypatch.setattr(marketplaces.ebay, "image_fetcher", lambda url: False)
    job = _publish_fails_with(call, marketplaces, job_runner, tenant, seller["access_token"], product_id)
    assert "could not be downloaded" in job.error_message
