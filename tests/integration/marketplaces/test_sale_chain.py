"""The delist chain of a sale, through the sandboxes: shown by the API with its timestamps, a
double sale flagged, stock > 1 updating quantities, restore (by the seller, or by the order sync
seeing a cancellation) relisting where the chain delisted, and a delist that keeps failing alerting
the seller."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from stoflow.db.tenancy import tenant_session
from stoflow.jobs.messages import JobMessage
from stoflow.models import MarketplaceJob, Product
from stoflow.models.sales import Alert
from stoflow.services.jobs import JobRequest, enqueue
from tests.support.api import caller
from tests.support.jobs import ScriptedHandler
from tests.support.selling import delist_jobs, listed_everywhere, status_of

call = caller("marketplaces")


def sales_of(token, product_id):
    reply = call("GET", f"/sales?product_id={product_id}", token=token)
    assert reply.status == 200, reply
    return reply.json["items"]


def sync(tenant, job_runner, *marketplaces):
    for marketplace in marketplaces:
        enqueue(tenant, JobRequest(marketplace, "sync_orders"))
    return job_runner.run_all(tenant=tenant)


def jobs_of(tenant, product_id, action):
    with tenant_session(tenant) as session:
        jobs = session.scalars(
            select(MarketplaceJob).where(MarketplaceJob.product_id == product_id, MarketplaceJob.action == action)
        )
        return sorted((j.marketplace, j.status) for j in jobs)


def at(value):
    return datetime.fromisoformat(value)


@pytest.fixture
def vinted_publish(job_runner):
    """Vinted's relist runs through the browser extension; a scripted handler stands in for it:
    a hidden item shown again, or one deleted published anew."""
    handler = ScriptedHandler("publish", marketplace="vinted")
    job_runner.registry._handlers[("vinted", "publish")] = handler
    job_runner.registry._handlers[("vinted", "unhide")] = handler
    return handler


def test_the_chain_is_shown_with_its_timestamps(marketplaces, job_runner, seller, vinted_delete):
    world, tenant, token = marketplaces, seller["id"], seller["access_token"]
    product_id = listed_everywhere(tenant, job_runner, "CH-1")
    world.ebay.sell("CH-1")
    sync(tenant, job_runner, "ebay")
    (sale,) = sales_of(token, product_id)
    assert (sale["sold_on"], sale["status"], sale["quantity"]) == ("ebay", "active", 1)
    assert at(sale["sold_at"]) < at(sale["seen_at"]) <= at(sale["delists_queued_at"]) <= at(sale["done_at"])
    steps = sorted((s["marketplace"], s["action"], s["phase"], s["status"]) for s in sale["steps"])
    assert steps == [("etsy", "delete", "sale", "completed"), ("vinted", "hide", "sale", "completed")]
    assert all(s["finished_at"] for s in sale["steps"])
    assert call("GET", f"/sales/{sale['id']}", token=token).json == sale
    assert call("GET", "/sales/999999", token=token).json["code"] == "sale_not_found"
    checks = {c["marketplace"]: c for c in call("GET", "/orders/checks", token=token).json}
    assert checks["ebay"]["checked_at"] is not None


def test_two_sales_in_the_same_minute_are_both_recorded_the_second_flagged(
    marketplaces, job_runner, seller, vinted_delete
):
    world, tenant, token = marketplaces, seller["id"], seller["access_token"]
    product_id = listed_everywhere(tenant, job_runner, "OV-1")
    world.ebay.sell("OV-1")
    world.etsy.sell(next(iter(world.etsy.listings)))
    statuses = sync(tenant, job_runner, "ebay", "etsy")
    assert {s for *_, s in statuses} == {"completed"}  # nothing crashes
    sales = {s["sold_on"]: s for s in sales_of(token, product_id)}
    assert (sales["ebay"]["status"], sales["etsy"]["status"]) == ("active", "oversold")
    assert sales["etsy"]["steps"] == []  # the first sale's chain already takes care of the listings
    assert status_of(tenant, product_id) == "sold"
    assert delist_jobs(tenant, product_id) == [("etsy", "completed"), ("vinted", "completed")]
    (alert,) = call("GET", "/alerts", token=token).json["items"]
    assert (alert["kind"], alert["sale_id"], alert["marketplace"]) == ("oversold", sales["etsy"]["id"], "etsy")
    read = call("POST", f"/alerts/{alert['id']}/read", token=token)
    assert read.status == 200 and read.json["read_at"] is not None
    assert call("GET", "/alerts", token=token).json["items"] == []


def test_stock_two_sells_one_and_updates_the_quantities(marketplaces, job_runner, seller, vinted_delete):
    world, tenant, token = marketplaces, seller["id"], seller["access_token"]
    product_id = listed_everywhere(tenant, job_runner, "ST-2", stock=2)
    world.ebay.sell("ST-2")
    sync(tenant, job_runner, "ebay")
    with tenant_session(tenant) as session:
        product = session.get(Product, product_id)
        assert (product.status, product.stock) == ("published", 1)
    assert delist_jobs(tenant, product_id) == []
    # Etsy's listing carries a quantity: updated; a Vinted item is one unit: left as it is.
    assert jobs_of(tenant, product_id, "update") == [("etsy", "completed")]
    listing_id = next(iter(world.etsy.listings))
    assert world.etsy.listings[listing_id]["state"] == "active"
    offerings = world.etsy.inventory[listing_id]["products"][0]["offerings"]
    assert offerings[0]["quantity"] == 1
    (sale,) = sales_of(token, product_id)
    assert [(s["marketplace"], s["action"]) for s in sale["steps"]] == [("etsy", "update")]


def test_restore_relists_where_the_chain_delisted_in_one_action(
    marketplaces, job_runner, seller, vinted_delete, vinted_publish
):
    world, tenant, token = marketplaces, seller["id"], seller["access_token"]
    product_id = listed_everywhere(tenant, job_runner, "RE-1")
    world.ebay.sell("RE-1")
    sync(tenant, job_runner, "ebay")
    (sale,) = sales_of(token, product_id)
    restored = call("POST", f"/sales/{sale['id']}/restore", token=token)
    assert restored.status == 200, restored
    assert len(restored.json["relist_job_ids"]) == 2 and restored.json["sale"]["status"] == "restored"
    job_runner.run_all(tenant=tenant)
    with tenant_session(tenant) as session:
        product = session.get(Product, product_id)
        assert (product.status, product.stock, product.sold_at) == ("published", 1, None)
    assert jobs_of(tenant, product_id, "publish") == [
        ("ebay", "completed"),  # the first listing
        ("etsy", "completed"),
        ("etsy", "completed"),  # the relist
    ]
    assert next(iter(world.etsy.listings.values()))["state"] == "active"
    # The Vinted item was only hidden: it is shown again, with its favourites and views.
    assert [(c.job.product_id, c.job.action) for c in vinted_publish.calls] == [(product_id, "unhide")]
    (after,) = sales_of(token, product_id)
    assert after["restored_at"] is not None
    assert sorted((s["marketplace"], s["action"], s["phase"]) for s in after["steps"]) == [
        ("etsy", "delete", "sale"),
        ("etsy", "publish", "restore"),
        ("vinted", "hide", "sale"),
        ("vinted", "unhide", "restore"),
    ]
    again = call("POST", f"/sales/{sale['id']}/restore", token=token)
    assert (again.status, again.json["code"]) == (409, "sale_not_active")


def test_a_hidden_vinted_item_is_deleted_once_the_sale_is_final_and_published_anew_if_undone_after(
    marketplaces, job_runner, seller, vinted_delete, vinted_publish
):
    from datetime import timedelta

    from stoflow.config import get_settings
    from stoflow.services.marketplace_schedules import visit_orders

    world, tenant, token = marketplaces, seller["id"], seller["access_token"]
    product_id = listed_everywhere(tenant, job_runner, "FI-1")
    world.ebay.sell("FI-1")
    sync(tenant, job_runner, "ebay")
    (sale,) = sales_of(token, product_id)
    final_at = at(sale["sold_at"]) + timedelta(days=get_settings().order_check_after_sale_days)

    # Within the window a cancellation could still come: the item stays hidden, and the tenant's
    # orders are looked at again when the window ends at the latest.
    next_due = visit_orders(tenant, final_at - timedelta(hours=1))
    assert next_due is not None and next_due <= final_at
    assert [c.job.action for c in vinted_delete.calls] == ["hide"]
    visit_orders(tenant, final_at + timedelta(minutes=1))
    job_runner.run_all(tenant=tenant)
    assert [c.job.action for c in vinted_delete.calls] == ["hide", "delete"]
    (final,) = sales_of(token, product_id)
    assert final["final_at"] is not None and final["status"] == "active"
    assert ("vinted", "delete", "final", "completed") in [
        (s["marketplace"], s["action"], s["phase"], s["status"]) for s in final["steps"]
    ]
    visit_orders(tenant, final_at + timedelta(days=1))  # final once: nothing more
    job_runner.run_all(tenant=tenant)
    assert len(vinted_delete.calls) == 2

    # A return after the sale was final: the deleted item is published anew, not shown again.
    assert call("POST", f"/sales/{sale['id']}/restore", token=token).status == 200
    job_runner.run_all(tenant=tenant)
    assert [c.job.action for c in vinted_publish.calls] == ["publish"]


def test_a_cancellation_seen_by_the_order_sync_restores_and_relists(
    marketplaces, job_runner, seller, vinted_delete, vinted_publish
):
    world, tenant, token = marketplaces, seller["id"], seller["access_token"]
    product_id = listed_everywhere(tenant, job_runner, "CX-1")
    order_id = world.ebay.sell("CX-1")
    sync(tenant, job_runner, "ebay")
    assert status_of(tenant, product_id) == "sold"
    assert world.ebay.cancel(order_id)
    sync(tenant, job_runner, "ebay")
    (sale,) = sales_of(token, product_id)
    assert sale["status"] == "cancelled" and sale["cancelled_at"] is not None
    assert status_of(tenant, product_id) == "published"
    assert next(iter(world.etsy.listings.values()))["state"] == "active"
    assert len(vinted_publish.calls) == 1
    sync(tenant, job_runner, "ebay")  # seen again: nothing more
    assert len(vinted_publish.calls) == 1


def test_a_delist_that_keeps_failing_alerts_the_seller(marketplaces, job_runner, seller, vinted_delete, monkeypatch):
    from stoflow.realtime import alerts

    world, tenant, token = marketplaces, seller["id"], seller["access_token"]
    product_id = listed_everywhere(tenant, job_runner, "FA-1")
    sent = []
    monkeypatch.setattr(alerts, "_send", lambda to, subject, text: sent.append((to, subject, text)))
    listing_id = next(iter(world.etsy.listings))
    world.etsy.fail("PATCH", rf"/listings/{listing_id}$", 503, times=1000)
    world.ebay.sell("FA-1")
    sync(tenant, job_runner, "ebay")
    with tenant_session(tenant) as session:
        job = session.scalars(
            select(MarketplaceJob).where(MarketplaceJob.marketplace == "etsy", MarketplaceJob.action == "delete")
        ).one()
        job_id, max_attempts = job.id, job.max_attempts
    statuses = [job_runner.processor.process(JobMessage(tenant, job_id, "etsy")) for _ in range(max_attempts - 1)]
    assert statuses == ["pending"] * (max_attempts - 2) + ["failed"]  # retried, then given up
    (alert,) = call("GET", "/alerts", token=token).json["items"]
    assert (alert["kind"], alert["marketplace"], alert["product_id"]) == ("delist_failed", "etsy", product_id)
    assert [(to, subject) for to, subject, _ in sent] == [(seller["email"], "StoFlow: a sold item needs you")]
    assert "could not be taken down" in sent[0][2]
    with tenant_session(tenant) as session:
        assert session.scalars(select(Alert)).one().emailed_at is not None
    world.etsy.recover()


def test_an_alert_email_that_could_not_be_sent_goes_with_the_sweep(marketplaces, job_runner, seller, monkeypatch):
    """The delivery right after the alert fails (the mail service is down): the alert stays listed
    and due; the maintenance run a few minutes later hands the tenant to a worker, which sends it."""
    from datetime import UTC, datetime, timedelta

    from stoflow.db.tenancy import shared_session
    from stoflow.jobs import worker
    from stoflow.jobs.messages import DueMessage
    from stoflow.models import DueWork
    from stoflow.realtime import alerts
    from stoflow.repositories import alerts as alert_rows
    from stoflow.services import scheduled_work
    from stoflow.services.jobs import run_maintenance

    tenant = seller["id"]
    sent = []

    def down(to: str, subject: str, text: str) -> None:
        raise ConnectionError("mail service unreachable")

    monkeypatch.setattr(alerts, "_send", down)
    with tenant_session(tenant) as session:
        alert_rows.raise_alert(session, kind="oversold", dedupe_key=f"sweep:{tenant}", message="sold twice")
        alerts.deliver_after(session)
    with tenant_session(tenant) as session:
        assert session.scalars(select(Alert)).one().emailed_at is None
    with shared_session() as session:
        due_at = session.get(DueWork, (tenant, "alerts")).due_at
    assert due_at > datetime.now(UTC) + timedelta(minutes=4)

    monkeypatch.setattr(alerts, "_send", lambda to, subject, text: sent.append((to, subject)))
    with shared_session() as session:  # the sweep's time has come
        session.get(DueWork, (tenant, "alerts")).due_at = datetime.now(UTC) - timedelta(seconds=1)
    report = run_maintenance()
    assert report["alerts"]["fanned_out"] >= 1 and report["alerts"]["visited"] == 0  # the workers send email
    handed = [m for m in job_runner.queue.take() if isinstance(m, DueMessage) and m.tenant_id == tenant]
    assert [m.kind for m in handed] == ["alerts"]

    class Record:
        body = handed[0].body()

    assert worker.handle_record(Record(), job_runner.processor, visits=scheduled_work.visits()) == "completed"
    assert sent == [(seller["email"], "StoFlow: a sold item needs you")]
    with tenant_session(tenant) as session:
        assert session.scalars(select(Alert)).one().emailed_at is not None
    with shared_session() as session:
        assert session.get(DueWork, (tenant, "alerts")) is None
