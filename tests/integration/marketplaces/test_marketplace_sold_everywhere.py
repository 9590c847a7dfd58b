"""Sold once, delisted everywhere: a sale found on eBay, Etsy or Vinted marks the product sold and
queues delist jobs on the two other marketplaces, once, however often the order is seen again."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import select

from stoflow.db.tenancy import tenant_session
from stoflow.models import MarketplaceJob, MarketplaceListing, Product
from stoflow.models.vinted import VintedProduct
from stoflow.repositories import jobs as jobs_repository
from stoflow.services.jobs import JobRequest, enqueue
from stoflow.services.sales import record_sale
from tests.support.api import caller, register_and_login
from tests.support.jobs import ScriptedHandler
from tests.support.marketplaces import product_with_photos


@pytest.fixture
def vinted_delete(job_runner):
    """Vinted's delist runs through the browser extension; here a scripted handler stands in for
    it (replacing the real one, which would wait for a browser)."""
    handler = ScriptedHandler("delete", marketplace="vinted")
    job_runner.registry._handlers[("vinted", "delete")] = handler
    return handler


@pytest.fixture
def seller(marketplaces):
    """A tenant connected to eBay and Etsy, with its listing settings."""
    world, call = marketplaces, caller("marketplaces")
    account = register_and_login()
    token = account["access_token"]
    for marketplace in ("ebay", "etsy"):
        started = call("GET", f"/marketplaces/{marketplace}/connect", token=token).json
        url = started["authorization_url"]
        code = world.ebay.consent() if marketplace == "ebay" else world.etsy.consent(url)
        state = parse_qs(urlsplit(url).query)["state"][0]
        reply = call(
            "GET", f"/marketplaces/{marketplace}/callback?code={quote(code)}&state={quote(state)}", token=token
        )
        assert reply.status == 200, reply
    assert (
        call(
            "PATCH",
            "/marketplaces/ebay/settings",
            {"location": {"country": "FR", "postalCode": "69001"}, "default_category_id": "11483"},
            token=token,
        ).status
        == 200
    )
    assert (
        call(
            "PATCH",
            "/marketplaces/etsy/settings",
            {"shipping_profile_id": 9001, "default_taxonomy_id": 2825},
            token=token,
        ).status
        == 200
    )
    return account


def listed_everywhere(tenant, job_runner, sku):
    """A product published on eBay and Etsy by jobs, and on Vinted (as its extension reported)."""
    product_id = product_with_photos(tenant, sku=sku, title=f"Item {sku}")
    enqueue(tenant, JobRequest("ebay", "publish", product_ids=[product_id]))
    enqueue(tenant, JobRequest("etsy", "publish", product_ids=[product_id]))
    assert {s for *_, s in job_runner.run_all()} == {"completed"}
    with tenant_session(tenant) as session:
        jobs_repository.upsert_listing(session, product_id, "vinted", status="listed", external_id="v-1")
        live = {
            r.marketplace: r.status
            for r in session.scalars(select(MarketplaceListing).where(MarketplaceListing.product_id == product_id))
        }
    assert live == {"ebay": "listed", "etsy": "listed", "vinted": "listed"}
    return product_id


def delist_jobs(tenant, product_id):
    with tenant_session(tenant) as session:
        jobs = session.scalars(
            select(MarketplaceJob).where(MarketplaceJob.product_id == product_id, MarketplaceJob.action == "delete")
        )
        return sorted((j.marketplace, j.status) for j in jobs)


def status_of(tenant, product_id):
    with tenant_session(tenant) as session:
        return session.get(Product, product_id).status


def test_sold_on_ebay_delists_etsy_and_vinted(marketplaces, job_runner, seller, vinted_delete):
    world, tenant = marketplaces, seller["id"]
    product_id = listed_everywhere(tenant, job_runner, "EB-1")
    world.ebay.sell("EB-1")
    for _ in range(2):  # the order is seen by two syncs: delists are queued once
        enqueue(tenant, JobRequest("ebay", "sync_orders"))
        job_runner.run_all()
    assert status_of(tenant, product_id) == "sold"
    assert delist_jobs(tenant, product_id) == [("etsy", "completed"), ("vinted", "completed")]
    with tenant_session(tenant) as session:
        states = {
            r.marketplace: r.status
            for r in session.scalars(select(MarketplaceListing).where(MarketplaceListing.product_id == product_id))
        }
    assert (states["ebay"], states["etsy"]) == ("sold", "delisted")  # Vinted's is its handler's business
    listing_id = next(iter(world.etsy.listings))
    assert world.etsy.listings[listing_id]["state"] == "inactive"
    assert [c.job.product_id for c in vinted_delete.calls] == [product_id]
    assert world.contract_problems() == []


def test_sold_on_etsy_delists_ebay_and_vinted(marketplaces, job_runner, seller, vinted_delete):
    world, tenant = marketplaces, seller["id"]
    product_id = listed_everywhere(tenant, job_runner, "ET-1")
    world.etsy.sell(next(iter(world.etsy.listings)))
    enqueue(tenant, JobRequest("etsy", "sync_orders"))
    job_runner.run_all()
    assert status_of(tenant, product_id) == "sold"
    assert delist_jobs(tenant, product_id) == [("ebay", "completed"), ("vinted", "completed")]
    (offer,) = world.ebay.offers.values()
    assert offer["status"] == "UNPUBLISHED" and offer["listing"]["listingStatus"] == "ENDED"
    assert world.contract_problems() == []


def test_sold_on_vinted_delists_ebay_and_etsy(marketplaces, job_runner, seller, vinted_delete):
    world, tenant = marketplaces, seller["id"]
    product_id = listed_everywhere(tenant, job_runner, "VI-1")
    # What the Vinted order sync does when the extension reports a sale.
    for _ in range(2):
        with tenant_session(tenant) as session:
            record_sale(session, tenant, "vinted", [product_id], order_ref="vinted-order-9")
    job_runner.run_all()
    assert status_of(tenant, product_id) == "sold"
    assert delist_jobs(tenant, product_id) == [("ebay", "completed"), ("etsy", "completed")]
    assert vinted_delete.calls == []
    (offer,) = world.ebay.offers.values()
    assert offer["status"] == "UNPUBLISHED"
    assert next(iter(world.etsy.listings.values()))["state"] == "inactive"


def test_an_imported_vinted_item_is_delisted_too(marketplaces, job_runner, seller, vinted_delete):
    world, tenant = marketplaces, seller["id"]
    product_id = product_with_photos(tenant, sku="IMP-1")
    enqueue(tenant, JobRequest("ebay", "publish", product_ids=[product_id]))
    job_runner.run_all()
    with tenant_session(tenant) as session:  # found in the Vinted wardrobe and linked, no job ever ran
        session.add(VintedProduct(vinted_item_id=4242, product_id=product_id, title="Item IMP-1"))
    world.ebay.sell("IMP-1")
    enqueue(tenant, JobRequest("ebay", "sync_orders"))
    job_runner.run_all()
    assert delist_jobs(tenant, product_id) == [("vinted", "completed")]


def test_a_cancelled_order_sells_nothing(marketplaces, job_runner, seller, vinted_delete):
    world, tenant = marketplaces, seller["id"]
    product_id = listed_everywhere(tenant, job_runner, "CA-1")
    world.ebay.sell("CA-1", cancelled=True)
    enqueue(tenant, JobRequest("ebay", "sync_orders"))
    job_runner.run_all()
    assert status_of(tenant, product_id) == "published"
    assert delist_jobs(tenant, product_id) == []
