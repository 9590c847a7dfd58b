"""GET /orders: one list over every marketplace's synced orders, newest first, filterable, paged,
and only the caller's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from stoflow.db.tenancy import tenant_session
from stoflow.models.vinted import VintedOrder
from stoflow.services.jobs import JobRequest, enqueue
from tests.support.api import caller, register_and_login
from tests.support.marketplaces import connect


def test_orders_from_every_marketplace_in_one_list(marketplaces, job_runner):
    world, call = marketplaces, caller("marketplaces")
    seller, stranger = register_and_login(), register_and_login()
    token, tenant = seller["access_token"], seller["id"]
    for marketplace in ("ebay", "etsy"):
        connect(world, token, marketplace)
    now = datetime.now(UTC).replace(microsecond=0)
    oldest = world.ebay.sell("SKU-A", when=now - timedelta(days=3))
    cancelled = world.ebay.sell("SKU-B", when=now - timedelta(days=2), cancelled=True)
    receipt = world.etsy.sell(123456, when=now - timedelta(days=1))
    enqueue(tenant, JobRequest("ebay", "sync_orders"))
    enqueue(tenant, JobRequest("etsy", "sync_orders"))
    assert {s for *_, s in job_runner.run_all()} == {"completed"}
    with tenant_session(tenant) as session:  # what the Vinted order sync (extension) stores
        session.add(
            VintedOrder(
                transaction_id=987654,
                vinted_item_id=555,
                title="Denim jacket",
                price=Decimal("18.00"),
                status="Transaction completed",
                buyer="marie_v",
            )
        )

    everything = call("GET", "/orders", token=token)
    assert everything.status == 200, everything
    assert everything.json["total"] == 4
    vinted = everything.json["items"][0]  # seen just now, so the newest
    assert (vinted["id"], vinted["total"], vinted["buyer"], vinted["lines"][0]["item_ref"]) == (
        "vinted:987654",
        "18.00",
        "marie_v",
        "555",
    )
    assert [o["id"] for o in everything.json["items"][1:]] == [f"etsy:{receipt}", f"ebay:{cancelled}", f"ebay:{oldest}"]
    etsy = everything.json["items"][1]
    assert (etsy["marketplace"], etsy["total"], etsy["currency"], etsy["buyer"]) == (
        "etsy",
        "35.50",
        "EUR",
        "Ada Buyer",
    )
    assert etsy["lines"][0]["item_ref"] == "123456"

    only_etsy = call("GET", "/orders?marketplace=etsy", token=token).json
    assert [o["marketplace"] for o in only_etsy["items"]] == ["etsy"]
    both = call("GET", "/orders?marketplace=etsy&marketplace=ebay&include_cancelled=false", token=token).json
    assert [o["id"] for o in both["items"]] == [f"etsy:{receipt}", f"ebay:{oldest}"]
    since = (now - timedelta(days=2, hours=1)).isoformat().replace("+00:00", "Z")
    recent = call("GET", f"/orders?since={since}", token=token).json
    assert recent["total"] == 3
    page = call("GET", "/orders?limit=1&offset=2&marketplace=ebay&marketplace=etsy", token=token).json
    assert (page["total"], page["limit"], page["offset"], [o["id"] for o in page["items"]]) == (
        3,
        1,
        2,
        [f"ebay:{oldest}"],
    )
    assert call("GET", "/orders?marketplace=vinted", token=token).json["total"] == 1
    assert call("GET", "/orders?marketplace=depop", token=token).json["code"] == "unknown_marketplace"
    assert call("GET", "/orders", token=stranger["access_token"]).json["total"] == 0
    assert call("GET", "/orders").status == 401
