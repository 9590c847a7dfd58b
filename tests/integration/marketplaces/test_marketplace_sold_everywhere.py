"""Sold once, delisted everywhere: a sale found on eBay, Etsy or Vinted marks the product sold and
queues delist jobs on the two other marketplaces, once, however often the order is seen again."""

from __future__ import annotations

from sqlalchemy import select

from stoflow.db.tenancy import tenant_session
from stoflow.models import MarketplaceListing
from stoflow.models.vinted import VintedProduct
from stoflow.services.jobs import JobRequest, enqueue
from stoflow.services.sales import record_sale
from tests.support.marketplaces import product_with_photos
from tests.support.selling import delist_jobs, listed_everywhere, status_of


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
    # Vinted cannot undo a delete: the item is hidden until the sale is final.
    assert [(c.job.product_id, c.job.action) for c in vinted_delete.calls] == [(product_id, "hide")]
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
