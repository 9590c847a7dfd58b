"""GET /orders: one list over every marketplace's synced orders, newest first, filterable, paged,
and only the caller's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stoflow.jobs.service import JobRequest, enqueue
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

    everything = call("GET", "/orders", token=token)
    assert everything.status == 200, everything
    assert everything.json["total"] == 3
    assert [o["id"] for o in everything.json["items"]] == [f"etsy:{receipt}", f"ebay:{cancelled}", f"ebay:{oldest}"]
    etsy = everything.json["items"][0]
    assert (etsy["marketplace"], etsy["total"], etsy["currency"], etsy["buyer"]) == ("etsy", "35.50", "EUR",
                                                                                     "Ada Buyer")
    assert etsy["lines"][0]["item_ref"] == "123456"

    only_etsy = call("GET", "/orders?marketplace=etsy", token=token).json
    assert [o["marketplace"] for o in only_etsy["items"]] == ["etsy"]
    both = call("GET", "/orders?marketplace=etsy&marketplace=ebay&include_cancelled=false", token=token).json
    assert [o["id"] for o in both["items"]] == [f"etsy:{receipt}", f"ebay:{oldest}"]
    since = (now - timedelta(days=2, hours=1)).isoformat().replace("+00:00", "Z")
    recent = call("GET", f"/orders?since={since}", token=token).json
    assert recent["total"] == 2
    page = call("GET", "/orders?limit=1&offset=1", token=token).json
    assert (page["total"], page["limit"], page["offset"], [o["id"] for o in page["items"]]) == (
        3, 1, 1, [f"ebay:{cancelled}"])
    assert call("GET", "/orders?marketplace=depop", token=token).json["code"] == "unknown_marketplace"
    assert call("GET", "/orders", token=stranger["access_token"]).json["total"] == 0
    assert call("GET", "/orders").status == 401
