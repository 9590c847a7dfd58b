"""Etsy end to end against the fake Etsy: connect with PKCE (S256), tokens rotated by refresh,
publish (form-encoded draft → photos in order, label left out → activate), update, deactivate,
delete, receipts sync from a stored cursor; every request checked against the OpenAPI file."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import select

from stoflow.db.tenancy import tenant_session
from stoflow.marketplaces.common import crypto
from stoflow.models import EtsyCredentials, EtsyOrder, EtsyProduct, Product
from stoflow.services.jobs import JobRequest, enqueue
from tests.support.api import caller, register_and_login
from tests.support.marketplaces import ETSY_KEYSTRING, ETSY_SECRET, image_ids, product_with_photos


@pytest.fixture
def call(marketplaces):
    return caller("marketplaces")


def connect_etsy(call, world, token):
    started = call("GET", "/marketplaces/etsy/connect", token=token)
    assert started.status == 200, started
    url = started.json["authorization_url"]
    query = parse_qs(urlsplit(url).query)
    assert query["client_id"] == [ETSY_KEYSTRING] and query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43  # base64url of a SHA-256, unpadded
    code = world.etsy.consent(url)
    done = call("GET", f"/marketplaces/etsy/callback?code={quote(code)}&state={quote(query['state'][0])}", token=token)
    assert done.status == 200, done
    assert done.json["connected"] is True and done.json["shop_id"] == world.etsy.shop_id
    return done.json


def test_etsy_connect_publish_update_deactivate_and_sync_receipts(call, marketplaces, job_runner):
    world = marketplaces
    seller = register_and_login()
    token, tenant = seller["access_token"], seller["id"]
    connect_etsy(call, world, token)
    settings = call(
        "PATCH", "/marketplaces/etsy/settings", {"shipping_profile_id": 9001, "default_taxonomy_id": 2825}, token=token
    )
    assert settings.status == 200, settings

    product_id = product_with_photos(tenant, photos=3, label=True)
    photos, label = image_ids(tenant, product_id)
    enqueue(tenant, JobRequest("etsy", "publish", product_ids=[product_id]))
    assert [(m, a, s) for _, m, a, s in job_runner.run_all()] == [("etsy", "publish", "completed")]

    ((listing_id, listing),) = world.etsy.listings.items()
    assert listing["state"] == "active" and listing["who_made"] == "someone_else"
    assert listing["taxonomy_id"] == 2825 and listing["price"]["amount"] == 3550
    draft = world.etsy.calls("POST", r"/listings$")[0]
    assert draft.headers["content-type"] == "application/x-www-form-urlencoded"
    assert draft.headers["x-api-key"] == f"{ETSY_KEYSTRING}:{ETSY_SECRET}"
    uploaded = world.etsy.images[listing_id]
    assert [i["content"] for i in uploaded] == [f"jpeg-bytes-of-image-{i}".encode() for i in photos]
    assert [i["rank"] for i in uploaded] == [1, 2, 3]
    assert f"jpeg-bytes-of-image-{label}".encode() not in [i["content"] for i in uploaded]
    # Order of calls: draft, the three photos, then activation.
    order = [(r.method, r.url.path.rsplit("/", 1)[-1]) for r in world.etsy.requests if "/listings" in r.url.path]
    assert order[0] == ("POST", "listings") and order[-1] == ("PATCH", str(listing_id))
    assert [p for p in order[1:-1]] == [("POST", "images")] * 3
    with tenant_session(tenant) as session:
        row = session.scalars(select(EtsyProduct).where(EtsyProduct.product_id == product_id)).one()
        assert (row.listing_id, row.state, len(row.image_ids)) == (listing_id, "active", 3)

    # Access token expired: the next job refreshes it, and Etsy's rotated refresh token is kept.
    world.etsy.expire_access_tokens()
    with tenant_session(tenant) as session:
        session.get(EtsyCredentials, 1).access_expires_at = session.get(EtsyCredentials, 1).refreshed_at
        session.get(Product, product_id).price = Decimal("30.00")
    enqueue(tenant, JobRequest("etsy", "update", product_ids=[product_id]))
    assert [s for *_, s in job_runner.run_all()] == ["completed"]
    assert world.etsy.refreshes == 1
    assert world.etsy.listings[listing_id]["price"]["amount"] == 3000
    patch = world.etsy.calls("PATCH")[-1]
    assert "price" not in parse_qs(patch.content.decode())  # updateListing takes no price
    with tenant_session(tenant) as session:
        row = session.get(EtsyCredentials, 1)
        assert crypto.decrypt(row.refresh_token_enc) in world.etsy.refresh_tokens  # the new one
        assert len(world.etsy.refresh_tokens) == 1

    # Sold on Etsy: a receipt, synced from the cursor.
    receipt_id = world.etsy.sell(listing_id)
    enqueue(tenant, JobRequest("etsy", "sync_orders"))
    assert [s for *_, s in job_runner.run_all()] == ["completed"]
    with tenant_session(tenant) as session:
        (order,) = session.scalars(select(EtsyOrder))
        assert (order.receipt_id, order.total, order.currency) == (receipt_id, Decimal("35.50"), "EUR")
        assert order.line_items[0]["product_id"] == product_id
        assert session.get(Product, product_id).status == "sold"
        assert session.scalars(select(EtsyProduct)).one().state == "sold_out"
    since = [int(c.url.params["min_last_modified"]) for c in world.etsy.calls("GET", r"/receipts$")]
    enqueue(tenant, JobRequest("etsy", "sync_orders"))
    job_runner.run_all()
    since.append(int(world.etsy.calls("GET", r"/receipts$")[-1].url.params["min_last_modified"]))
    assert since[1] > since[0], "the second sync starts from the stored cursor"

    # Another listing: deactivated (delete), then deleted for good (purge).
    second = product_with_photos(tenant, title="Silk scarf", photos=1, label=False)
    enqueue(tenant, JobRequest("etsy", "publish", product_ids=[second]))
    enqueue(tenant, JobRequest("etsy", "delete", product_ids=[second]))
    assert [(a, s) for _, _, a, s in job_runner.run_all()] == [("publish", "completed"), ("delete", "completed")]
    scarf = max(world.etsy.listings)
    assert world.etsy.listings[scarf]["state"] == "inactive"
    enqueue(tenant, JobRequest("etsy", "delete", product_ids=[second], params={"purge": True}))
    assert [s for *_, s in job_runner.run_all()] == ["completed"]
    assert world.etsy.listings[scarf]["state"] == "removed"

    assert world.contract_problems() == []


def test_pkce_verifier_and_state_are_checked(call, marketplaces):
    world = marketplaces
    seller, other = register_and_login(), register_and_login()
    started = call("GET", "/marketplaces/etsy/connect", token=seller["access_token"]).json
    query = parse_qs(urlsplit(started["authorization_url"]).query)
    code = world.etsy.consent(started["authorization_url"])
    state = query["state"][0]

    # Someone else's session cannot use this state; the owner still can afterwards.
    stolen = call(
        "GET", f"/marketplaces/etsy/callback?code={quote(code)}&state={quote(state)}", token=other["access_token"]
    )
    assert (stolen.status, stolen.json["code"]) == (400, "invalid_oauth_state")
    ok = call(
        "GET", f"/marketplaces/etsy/callback?code={quote(code)}&state={quote(state)}", token=seller["access_token"]
    )
    assert ok.status == 200, ok
    # Single use.
    again = call(
        "GET", f"/marketplaces/etsy/callback?code={quote(code)}&state={quote(state)}", token=seller["access_token"]
    )
    assert (again.status, again.json["code"]) == (400, "invalid_oauth_state")

    # A code bound to another challenge (PKCE) is refused by Etsy: the exchange fails cleanly.
    started = call("GET", "/marketplaces/etsy/connect", token=seller["access_token"]).json
    forged = world.etsy.consent(started["authorization_url"].replace("code_challenge=", "code_challenge=x"))
    state = parse_qs(urlsplit(started["authorization_url"]).query)["state"][0]
    refused = call(
        "GET", f"/marketplaces/etsy/callback?code={quote(forged)}&state={quote(state)}", token=seller["access_token"]
    )
    assert (refused.status, refused.json["code"]) == (400, "oauth_exchange_failed")


def test_lost_answers_are_reconciled_by_a_read_never_repeated_blindly(call, marketplaces, job_runner):
    from stoflow.jobs.maintenance import run_all as maintenance

    world = marketplaces
    seller = register_and_login()
    token, tenant = seller["access_token"], seller["id"]
    connect_etsy(call, world, token)
    call(
        "PATCH", "/marketplaces/etsy/settings", {"shipping_profile_id": 9001, "default_taxonomy_id": 2825}, token=token
    )
    product_id = product_with_photos(tenant, photos=2, label=True)
    # Etsy creates the draft, then the answer is lost; later an image upload's answer is lost too.
    world.etsy.fail("POST", r"/listings$", None, after=True)
    world.etsy.fail("POST", r"/images$", None, after=True)
    enqueue(tenant, JobRequest("etsy", "publish", product_ids=[product_id]))
    assert [s for *_, s in job_runner.run_all(tenant=tenant)] == ["unknown_outcome"]
    for _ in range(2):  # the maintenance schedule requeues it with reconciliation first
        maintenance(job_runner.registry)
        statuses = [s for *_, s in job_runner.run_all(tenant=tenant)]
    assert statuses == ["completed"]
    ((listing_id, listing),) = world.etsy.listings.items()  # one listing, never two
    assert listing["state"] == "active"
    assert [i["rank"] for i in world.etsy.images[listing_id]] == [1, 2]  # no duplicate photo
    with tenant_session(tenant) as session:
        row = session.scalars(select(EtsyProduct)).one()
        assert (row.listing_id, row.state, len(row.image_ids)) == (listing_id, "active", 2)
    assert world.contract_problems() == []


def test_reconnecting_another_shop_starts_its_order_cursor_over(call, marketplaces):
    from datetime import UTC, datetime

    world = marketplaces
    seller = register_and_login()
    connect_etsy(call, world, seller["access_token"])
    seen_until = datetime(2026, 11, 1, tzinfo=UTC)

    def remember_progress() -> None:
        with tenant_session(seller["id"]) as session:
            account = session.get(EtsyCredentials, 1)
            account.orders_cursor, account.readiness_state_id = seen_until, 7001

    def progress() -> tuple:
        with tenant_session(seller["id"]) as session:
            account = session.get(EtsyCredentials, 1)
            return account.shop_id, account.orders_cursor, account.readiness_state_id

    remember_progress()
    connect_etsy(call, world, seller["access_token"])  # the same shop again: progress kept
    assert progress() == (world.etsy.shop_id, seen_until, 7001)

    old_shop = world.etsy.shop_id
    world.etsy.shop_id = old_shop + 1  # the seller connects another shop
    try:
        connect_etsy(call, world, seller["access_token"])
    finally:
        world.etsy.shop_id = old_shop
    assert progress() == (old_shop + 1, None, None)
