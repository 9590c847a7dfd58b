"""Selling through the sandboxes: a seller connected to eBay and Etsy, a product listed on every
marketplace, Vinted's delist by a scripted handler, and what the tests read back."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import select

from stoflow.db.tenancy import tenant_session
from stoflow.models import MarketplaceJob, MarketplaceListing, Product
from stoflow.repositories import jobs as jobs_repository
from stoflow.services.jobs import JobRequest, enqueue
from tests.support.api import caller, register_and_login
from tests.support.jobs import ScriptedHandler
from tests.support.marketplaces import product_with_photos, run_connection_jobs


@pytest.fixture
def vinted_delete(job_runner):
    """Vinted's delist runs through the browser extension; here a scripted handler stands in for
    it (replacing the real one, which would wait for a browser): a sale elsewhere hides the item,
    a final sale or the seller deletes it, both answered by this one handler."""
    handler = ScriptedHandler("delete", marketplace="vinted")
    job_runner.registry._handlers[("vinted", "delete")] = handler
    job_runner.registry._handlers[("vinted", "hide")] = handler
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
        run_connection_jobs()
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


def listed_everywhere(tenant, job_runner, sku, *, stock=1):
    """A product published on eBay and Etsy by jobs, and on Vinted (as its extension reported)."""
    product_id = product_with_photos(tenant, sku=sku, title=f"Item {sku}")
    if stock != 1:
        with tenant_session(tenant) as session:
            session.get(Product, product_id).stock = stock
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
    """(marketplace, status) of each job that took the product down: deleted, or hidden (Vinted)."""
    with tenant_session(tenant) as session:
        jobs = session.scalars(
            select(MarketplaceJob).where(
                MarketplaceJob.product_id == product_id, MarketplaceJob.action.in_(("delete", "hide"))
            )
        )
        return sorted((j.marketplace, j.status) for j in jobs)


def status_of(tenant, product_id):
    with tenant_session(tenant) as session:
        return session.get(Product, product_id).status
