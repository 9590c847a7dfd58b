"""eBay's sale notices (ORDER_CONFIRMATION): connecting subscribes the seller's notices to the app's
one destination; a signed notice reads just its order at once, so a sale made seconds ago (which
the scheduled check, a minute behind eBay's index, cannot see yet) delists the item elsewhere; the
notice reaches only the tenants holding the seller's account."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from infra.local.sandboxes.ebay import SELLER, SELLER_ID
from stoflow.db.tenancy import shared_session, tenant_session
from stoflow.models import MarketplaceAccountOwner, MarketplaceJob
from stoflow.services.jobs import JobRequest, enqueue
from tests.support.api import caller
from tests.support.marketplaces import NOTIFICATION_ENDPOINT as ENDPOINT
from tests.support.marketplaces import NOTIFICATION_TOKEN as TOKEN
from tests.support.marketplaces import connect, post_notice
from tests.support.selling import delist_jobs, listed_everywhere, status_of

call = caller("marketplaces")


def owners_of(account_id):
    with shared_session() as session:
        query = select(MarketplaceAccountOwner.tenant_id).where(MarketplaceAccountOwner.account_id == account_id)
        return sorted(session.scalars(query))


def ebay_connection(seller):
    """The seller's eBay connection as GET /marketplaces shows it."""
    reply = call("GET", "/marketplaces", token=seller["access_token"])
    assert reply.status == 200, reply
    return next(c for c in reply.json["items"] if c["marketplace"] == "ebay")


def sync_jobs(tenant):
    with tenant_session(tenant) as session:
        jobs = session.scalars(select(MarketplaceJob).where(MarketplaceJob.action == "sync_orders"))
        return [(j.input, j.status) for j in jobs]


def test_connecting_subscribes_the_sellers_sale_notices_once(endpoint, job_runner, seller):
    world, tenant = endpoint, seller["id"]
    destinations = list(world.ebay.destinations.values())
    assert [d["deliveryConfig"] for d in destinations] == [{"endpoint": ENDPOINT, "verificationToken": TOKEN}]
    subscriptions = list(world.ebay.subscriptions.values())
    assert [(s["topicId"], s["status"], s["destinationId"]) for s in subscriptions] == [
        ("ORDER_CONFIRMATION", "ENABLED", destinations[0]["destinationId"])
    ]
    assert subscriptions[0]["payload"] == {"format": "JSON", "schemaVersion": "1.0", "deliveryProtocol": "HTTPS"}
    assert tenant in owners_of(SELLER_ID)
    shown = ebay_connection(seller)
    assert (shown["account"], shown["sale_notices"]) == (SELLER, "on")

    # A second watch (a reconnect, a retried job) finds what the first made.
    enqueue(tenant, JobRequest("ebay", "watch_sales"))
    assert [(a, s) for _, _, a, s in job_runner.run_all(tenant=tenant)] == [("watch_sales", "completed")]
    assert (len(world.ebay.destinations), len(world.ebay.subscriptions)) == (1, 1)

    # eBay marks the destination down (our endpoint stopped answering): the next watch enables it.
    destinations[0]["status"] = "MARKED_DOWN"
    enqueue(tenant, JobRequest("ebay", "watch_sales"))
    assert [(a, s) for _, _, a, s in job_runner.run_all(tenant=tenant)] == [("watch_sales", "completed")]
    assert [d["status"] for d in world.ebay.destinations.values()] == ["ENABLED"]
    assert len(world.ebay.destinations) == 1


def test_a_consent_without_the_notice_scopes_asks_for_a_reconnect(endpoint, job_runner, seller):
    world, tenant = endpoint, seller["id"]
    # eBay refuses getUser to a token whose consent lacks the identity scope.
    denied = {"errors": [{"errorId": 1100, "domain": "ACCESS", "category": "REQUEST", "message": "Access denied"}]}
    world.ebay.fail("GET", r"^/commerce/identity/v1/user/$", 403, body=denied)
    enqueue(tenant, JobRequest("ebay", "watch_sales"))
    ran = job_runner.run_all(tenant=tenant)
    assert [(a, s) for _, _, a, s in ran] == [("watch_sales", "completed")]  # not retried: only a new consent helps
    assert ebay_connection(seller)["sale_notices"] == "needs_reconnect"
    # Connecting again asks for the scopes: notices are on.
    connect(world, seller["access_token"], "ebay")
    assert ebay_connection(seller)["sale_notices"] == "on"


def test_a_sale_notice_delists_the_item_elsewhere_at_once(endpoint, job_runner, seller, vinted_delete):
    world, tenant = endpoint, seller["id"]
    product_id = listed_everywhere(tenant, job_runner, "NOTICE-1")
    # Sold this very second: eBay's lastModifiedDate index, which the scheduled check reads a
    # minute behind, does not show it yet; the notice names it.
    order_id = world.ebay.sell("NOTICE-1", when=datetime.now(UTC))
    headers, body = world.ebay.order_notice(order_id)

    assert post_notice(headers, body).status == 204
    assert post_notice(headers, body).status == 204  # eBay delivers again: one read all the same
    assert sync_jobs(tenant) == [({"order_ids": [order_id]}, "pending")]
    ran = job_runner.run_all(tenant=tenant)
    assert ran[0][1:] == ("ebay", "sync_orders", "completed")
    reads = [r for r in world.ebay.requests if r.url.path == "/sell/fulfillment/v1/order"]
    assert [r.url.params.get("orderIds") for r in reads][-1] == order_id
    assert status_of(tenant, product_id) == "sold"
    assert delist_jobs(tenant, product_id) == [("etsy", "completed"), ("vinted", "completed")]


def test_a_notice_reaches_only_the_tenants_holding_the_account(endpoint, job_runner, seller):
    world, tenant = endpoint, seller["id"]
    order_id = world.ebay.sell("NO-SUCH-SKU")
    headers, body = world.ebay.order_notice(order_id)
    stranger = body.replace(SELLER_ID.encode(), b"someoneElse")
    assert stranger != body
    # Signed by eBay, for an account nobody here holds: acknowledged (eBay would retry a refusal).
    assert (
        post_notice(*world.ebay._signed("ORDER_CONFIRMATION", json.loads(stranger)["notification"]["data"])).status
        == 204
    )
    assert sync_jobs(tenant) == []
    # A forged notice is refused before anything is read.
    assert post_notice(headers, stranger).json["code"] == "invalid_signature"
    # A notice naming no order is refused with a stable code.
    unreadable = world.ebay._signed("ORDER_CONFIRMATION", {"user": {"userId": SELLER_ID}})
    reply = post_notice(*unreadable)
    assert (reply.status, reply.json["code"]) == (422, "invalid_notification")

    # Disconnected: the account's notices no longer reach the tenant.
    assert call("DELETE", "/marketplaces/ebay", token=seller["access_token"]).status == 204
    assert tenant not in owners_of(SELLER_ID)
    assert post_notice(headers, body).status == 204
    assert sync_jobs(tenant) == []
