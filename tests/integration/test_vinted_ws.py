"""Vinted through the extension, on PostgreSQL, with real-shaped API Gateway WebSocket events:
jobs park in waiting_extension, the extension's hello sends them as execute_job, job_result
completes them once per (job, attempt), one command in flight per tenant, a doubling pause after
DataDome, missed deadlines (read: retry, write: unknown_outcome reconciled by a read), sold items
found by a sync, and the extension routes refused to other clients and malformed messages."""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from infra.local.ws_events import WsConnectionInfo, connect_event, message_event, new_connection_id
from stoflow import runtime
from stoflow.auth import clock
from stoflow.auth.principal import Principal
from stoflow.config import get_settings
from stoflow.db.tenancy import tenant_session
from stoflow.jobs.handlers import HandlerRegistry
from stoflow.jobs.messages import JobMessage
from stoflow.jobs.processor import MarketplaceJobProcessor
from stoflow.jobs.queue import QUEUE
from stoflow.marketplaces.vinted import jobs as vinted_jobs
from stoflow.marketplaces.vinted import lane as lane_module
from stoflow.marketplaces.vinted.lane_schedule import tick
from stoflow.models.catalog import Category, Color, Condition, Size
from stoflow.models.images import ProductImage
from stoflow.models.jobs import MarketplaceJob, PublicationHistory
from stoflow.models.listings import MarketplaceListing
from stoflow.models.products import Product
from stoflow.models.sales import OrderCheck
from stoflow.models.vinted import VintedProduct
from stoflow.models.vinted_account import VintedConnection
from stoflow.realtime import connections as ws_connections
from stoflow.services.ws import issue_ticket
from tests.support.api import register_and_login
from tests.support.devices import device_principal
from tests.support.jobs import FakeQueue

REPO = Path(__file__).resolve().parents[2]


def load_function(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"vinted_test_{name}", REPO / "functions" / name / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


class LaneClock:
    """The lane's clock in these tests: the wall clock plus whatever the test let pass."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


# A heartbeat stands for the time between two beats: longer than any pacing gap, shorter than a
# command's deadline.
BEAT_S = 60


@pytest.fixture
def world(identity, monkeypatch):
    get_settings.cache_clear()
    lane_clock = LaneClock()
    monkeypatch.setattr(lane_module, "utcnow", lane_clock)
    pushed: list[tuple[str, dict[str, Any]]] = []

    def send(self, connection_id: str, message: dict[str, Any]) -> bool:
        pushed.append((connection_id, json.loads(json.dumps(message, default=str))))
        return True

    monkeypatch.setattr(ws_connections.ConnectionsClient, "send", send)
    queue = FakeQueue()
    previous = runtime.provide(QUEUE, queue)
    registry = HandlerRegistry()
    vinted_jobs.register(registry)
    from stoflow.marketplaces.ebay.jobs import register as register_ebay  # delists land on eBay too

    register_ebay(registry)
    handlers = {name: load_function(name) for name in ("ws_connect", "ws_message")}
    seller = register_and_login()
    yield {
        "pushed": pushed,
        "queue": queue,
        "tenant": seller["id"],
        "processor": MarketplaceJobProcessor(registry),
        "handlers": handlers,
        "seller": seller,
        "clock": lane_clock,
    }
    runtime.provide(QUEUE, previous)
    get_settings.cache_clear()


def principal(tenant: int) -> Principal:
    """A signed-in dashboard session of the tenant's user (a ticket needs a live session)."""
    from stoflow.db.tenancy import shared_session
    from stoflow.repositories import auth_sessions

    with shared_session() as session:
        session_id = auth_sessions.create_session(session, tenant)
    return Principal(user_id=tenant, tenant_id=tenant, role="user", session_id=str(session_id), jti="j")


def connect(world, client: str = "extension", tenant: int | None = None) -> WsConnectionInfo:
    tenant = tenant or world["tenant"]
    conn = WsConnectionInfo(
        new_connection_id(),
        "203.0.113.7",
        "127.0.0.1",
        clock.now().timestamp() * 1000 // 1,
        headers=[("Host", "127.0.0.1:3001")],
    )
    who = device_principal(tenant) if client == "extension" else principal(tenant)
    ticket = issue_ticket(who, client).ticket
    assert world["handlers"]["ws_connect"](connect_event(conn, f"ticket={ticket}"), None)["statusCode"] == 200
    return conn


def send(world, conn: WsConnectionInfo, message: dict[str, Any]) -> dict[str, Any] | None:
    if message.get("action") == "heartbeat":
        world["clock"].advance(BEAT_S)
    answer = world["handlers"]["ws_message"](message_event(conn, "$default", json.dumps(message)), None)
    assert answer["statusCode"] == 200
    return json.loads(answer["body"]) if answer.get("body") else None


def hello(world, conn: WsConnectionInfo, client: str = "extension") -> dict[str, Any] | None:
    return send(
        world, conn, {"action": "hello", "client": client, "version": "0.1.0", "capabilities": ["vinted.publish"]}
    )


def make_product(tenant: int, title: str = "Robe fleurie en coton, taille M", *, label: bool = True) -> int:
    with tenant_session(tenant) as session:
        category = session.scalar(select(Category.id).where(Category.slug == "women-clothing-dresses"))
        condition = session.scalar(select(Condition.id).where(Condition.slug == "very_good"))
        colors = list(session.scalars(select(Color.id).where(Color.slug.in_(["black", "white", "red"]))))
        size = session.scalar(select(Size.id).where(Size.system == "letter", Size.label == "M"))
        product = Product(
            title=title,
            description="Portée deux fois, très bon état.",
            price=25,
            category_id=category,
            condition_id=condition,
            color_ids=colors,
            size_id=size,
        )
        session.add(product)
        session.flush()
        session.add(ProductImage(product_id=product.id, url="https://img.example/front.jpg", position=0))
        session.add(ProductImage(product_id=product.id, url="https://img.example/back.jpg", position=1))
        if label:
            session.add(
                ProductImage(product_id=product.id, url="https://img.example/LABEL.jpg", position=2, is_label=True)
            )
        return product.id


def new_job(world, action: str, product_id: int | None = None, params: dict | None = None) -> int:
    with tenant_session(world["tenant"]) as session:
        job = MarketplaceJob(
            marketplace="vinted", action=action, product_id=product_id, input=params or {}, max_attempts=3
        )
        session.add(job)
        session.flush()
        job_id = job.id
    status = world["processor"].process(JobMessage(world["tenant"], job_id, "vinted"))
    with tenant_session(world["tenant"]) as session:
        assert status == "waiting_extension", session.get(MarketplaceJob, job_id).error_message
    return job_id


def job(world, job_id: int) -> MarketplaceJob:
    with tenant_session(world["tenant"]) as session:
        return session.get(MarketplaceJob, job_id)


def lane_row(world) -> VintedConnection:
    with tenant_session(world["tenant"]) as session:
        return session.get(VintedConnection, 1)


def commands(world) -> list[dict[str, Any]]:
    return [m for _, m in world["pushed"] if m.get("type") == "execute_job"]


def result(job_id: int, attempt: int, *, ok: bool = True, data: dict | None = None, error: dict | None = None) -> dict:
    message: dict[str, Any] = {"action": "job_result", "job_id": job_id, "attempt": attempt, "ok": ok}
    if ok:
        message["data"] = data or {}
    else:
        message["error"] = error
    return message


def test_publish_waits_for_hello_then_completes_once(world):
    product = make_product(world["tenant"])
    job_id = new_job(world, "publish", product)
    assert job(world, job_id).error_code == "extension_offline"
    assert commands(world) == []

    conn = connect(world)
    welcome = hello(world, conn)
    assert welcome and welcome["type"] == "welcome"
    [command] = commands(world)
    assert command["command"] == "vinted.publish" and command["job_id"] == job_id and command["attempt"] == 1
    assert datetime.fromisoformat(command["deadline"].replace("Z", "+00:00")) > datetime.now(UTC)
    request = command["request"]
    assert [p["url"] for p in request["photos"]] == ["https://img.example/front.jpg", "https://img.example/back.jpg"]
    assert not any("LABEL" in p["url"] for p in request["photos"])
    item = request["item"]
    assert (item["catalog_id"], item["status_id"], item["size_id"], item["price"]) == (10, 2, 4, 25.0)
    assert item["color_ids"] == [1, 12]
    assert job(world, job_id).error_code == "sent_to_extension"

    done = {
        "item_id": 9001,
        "url": "https://www.vinted.fr/items/9001",
        "photo_ids": [1, 2],
        "product_id": product,
        "progress_messages": 0,
    }
    assert send(world, conn, result(job_id, 1, data=done)) is None
    finished = job(world, job_id)
    assert (finished.status, finished.result) == ("completed", {"item_id": 9001, "url": done["url"]})
    with tenant_session(world["tenant"]) as session:
        listing = session.scalars(select(MarketplaceListing).where(MarketplaceListing.product_id == product)).one()
        assert (listing.marketplace, listing.status, listing.external_id) == ("vinted", "listed", "9001")
        assert session.get(Product, product).status == "published"
        assert (
            session.scalars(select(VintedProduct.product_id).where(VintedProduct.vinted_item_id == 9001)).one()
            == product
        )
        assert len(session.scalars(select(PublicationHistory).where(PublicationHistory.job_id == job_id)).all()) == 1

    # The same answer again (the extension re-sends its outbox after a reconnection): nothing changes.
    again = connect(world)
    hello(world, again)
    assert send(world, again, result(job_id, 1, data=done)) is None
    with tenant_session(world["tenant"]) as session:
        assert len(session.scalars(select(PublicationHistory).where(PublicationHistory.job_id == job_id)).all()) == 1
    assert lane_row(world).inflight_job_id is None


def test_one_command_in_flight_and_the_next_after_the_answer(world):
    first = make_product(world["tenant"], "Veste en jean bleue")
    second = make_product(world["tenant"], "Jupe plissée noire")
    conn = connect(world)
    hello(world, conn)
    job1, job2 = new_job(world, "publish", first), new_job(world, "publish", second)
    send(world, conn, {"action": "heartbeat"})
    send(world, conn, {"action": "heartbeat"})
    assert [c["job_id"] for c in commands(world)] == [job1]
    assert job(world, job2).error_code == "vinted_queued"
    send(world, conn, result(job1, 1, data={"item_id": 11, "progress_messages": 0}))
    assert [c["job_id"] for c in commands(world)] == [job1], "the next write waits for its gap"
    send(world, conn, {"action": "heartbeat"})
    assert [c["job_id"] for c in commands(world)] == [job1, job2]
    assert commands(world)[-1]["pacing"]["write_gap_min_s"] >= 20


def test_datadome_pauses_the_account_until_the_pause_ends_and_the_seller_resumes(world):
    product = make_product(world["tenant"])
    conn = connect(world)
    hello(world, conn)
    sync = new_job(world, "sync")
    send(world, conn, {"action": "heartbeat"})
    [command] = commands(world)
    assert command["command"] == "vinted.fetch_wardrobe"
    assert (
        send(world, conn, {"action": "datadome_detected", "domain": "www.vinted.fr", "url": "/api/v2/wardrobe"}) is None
    )
    send(world, conn, result(sync, 1, ok=False, error={"code": "datadome", "message": "challenge", "retry_after": 60}))
    lane = lane_row(world)
    base = get_settings().vinted_pause_base_s
    assert base >= 3600, "the first pause lasts an hour at least"
    assert lane.pause_s == base, "one DataDome episode doubles once, not once per signal"
    assert lane.resume_required
    now = world["clock"]()
    assert lane.paused_until >= now + timedelta(seconds=base - 5)
    parked = job(world, sync)
    assert (parked.status, parked.attempts, parked.error_code) == ("waiting_extension", 1, "vinted_paused")
    assert "paused" in parked.error_message

    publish = new_job(world, "publish", product)
    send(world, conn, {"action": "heartbeat"})
    assert len(commands(world)) == 1, "nothing is sent while the account is paused"
    world["clock"].advance(base + 1)
    send(world, conn, {"action": "heartbeat"})
    assert len(commands(world)) == 1, "the pause has run out, but the seller has not resumed yet"

    from stoflow.marketplaces.vinted import lane_view

    with tenant_session(world["tenant"]) as session:
        shown = lane_view.state(session)
    assert shown["paused"] and shown["resume_required"] and shown["pause_reason"] == "datadome"
    assert shown["queued"] == 2
    with tenant_session(world["tenant"]) as session:
        shown = lane_view.resume(session)
    assert not shown["paused"]
    send(world, conn, {"action": "heartbeat"})
    assert [c["job_id"] for c in commands(world)] == [sync, sync], "the same attempt, nothing spent"
    assert commands(world)[-1]["attempt"] == 1

    # Trouble again within the day: the pause doubles, and a resume before its end changes nothing.
    send(world, conn, {"action": "datadome_detected", "domain": "www.vinted.fr"})
    assert lane_row(world).pause_s == 2 * base
    with tenant_session(world["tenant"]) as session:
        assert lane_view.resume(session)["paused"], "the pause runs to its end even after a resume"
    send(world, conn, result(sync, 1, data={"pages": 1, "count": 0, "complete": True, "progress_messages": 0}))
    send(world, conn, {"action": "heartbeat"})
    assert len(commands(world)) == 2, "no call during the pause"
    assert job(world, publish).error_code == "vinted_queued"


def test_a_logged_out_session_parks_the_lane_until_a_session_is_reported(world):
    product = make_product(world["tenant"], "Chemise à carreaux")
    conn = connect(world)
    hello(world, conn)
    publish = new_job(world, "publish", product)
    send(world, conn, {"action": "heartbeat"})
    send(world, conn, result(publish, 1, ok=False, error={"code": "vinted_logged_out", "message": "logged out"}))
    parked = job(world, publish)
    assert (parked.status, parked.attempts, parked.error_code) == ("waiting_extension", 1, "vinted_logged_out")
    send(world, conn, {"action": "heartbeat"})
    send(world, conn, {"action": "heartbeat"})
    assert len(commands(world)) == 1, "nothing goes to a logged-out session"
    send(
        world,
        conn,
        {"action": "vinted_session_update", "logged_in": True, "vinted_user_id": 5, "domain": "www.vinted.fr"},
    )
    send(world, conn, {"action": "heartbeat"})
    assert [(c["job_id"], c["attempt"]) for c in commands(world)] == [(publish, 1), (publish, 1)]


def test_writes_are_capped_per_rolling_hour_and_reads_go_between(world, monkeypatch):
    monkeypatch.setenv("STOFLOW_VINTED_WRITES_PER_HOUR", "2")
    get_settings.cache_clear()
    conn = connect(world)
    hello(world, conn)
    products = [make_product(world["tenant"], f"Tee-shirt coton numéro {n}") for n in range(3)]
    publishes = [new_job(world, "publish", p) for p in products]
    sync = new_job(world, "sync")
    for expected in publishes[:2]:
        send(world, conn, {"action": "heartbeat"})
        assert commands(world)[-1]["job_id"] == expected
        send(world, conn, result(expected, 1, data={"item_id": expected + 1000, "progress_messages": 0}))
    send(world, conn, {"action": "heartbeat"})
    assert commands(world)[-1]["job_id"] == sync, "the cap holds the third write back, not the read"
    send(world, conn, result(sync, 1, data={"pages": 1, "count": 0, "complete": True, "progress_messages": 0}))
    send(world, conn, {"action": "heartbeat"})
    assert len(commands(world)) == 3
    from stoflow.marketplaces.vinted import lane_view

    with tenant_session(world["tenant"]) as session:
        shown = lane_view.state(session, world["clock"]())
    assert (shown["writes_this_hour"], shown["writes_per_hour"], shown["queued"]) == (2, 2, 1)
    assert shown["next_command_at"] > world["clock"]() + timedelta(minutes=30)
    world["clock"].advance(3600)
    send(world, conn, {"action": "heartbeat"})
    assert commands(world)[-1]["job_id"] == publishes[2]


def test_missed_deadlines_read_retries_write_becomes_unknown_and_is_reconciled(world):
    product = make_product(world["tenant"], "Pull en laine vert")
    conn = connect(world)
    hello(world, conn)
    publish = new_job(world, "publish", product)
    send(world, conn, {"action": "heartbeat"})  # a job parked while the extension is online goes on a beat
    [sent] = commands(world)
    assert sent["job_id"] == publish
    with tenant_session(world["tenant"]) as session:
        session.execute(update(VintedConnection).values(inflight_deadline_at=datetime.now(UTC) - timedelta(seconds=1)))
    tick()
    lost = job(world, publish)
    assert (lost.status, lost.error_code) == ("unknown_outcome", "extension_timeout")
    with tenant_session(world["tenant"]) as session:
        reconcile = session.scalars(select(MarketplaceJob).where(MarketplaceJob.action == "reconcile")).one()
        assert reconcile.input == {"job_id": publish} and reconcile.status == "pending"
    assert world["processor"].process(JobMessage(world["tenant"], reconcile.id, "vinted")) == "waiting_extension"
    send(world, conn, {"action": "heartbeat"})
    read = commands(world)[-1]
    assert (read["job_id"], read["command"], read["request"]) == (
        reconcile.id,
        "vinted.fetch_wardrobe",
        {"per_page": 20, "max_pages": 1},
    )
    page = {
        "action": "job_progress",
        "job_id": reconcile.id,
        "attempt": 1,
        "seq": 1,
        "stage": "items",
        "page": 1,
        "items": [{"id": 777, "title": "Pull en laine vert", "price": "25.0", "is_closed": False}],
    }
    assert send(world, conn, page) is None
    send(
        world,
        conn,
        result(reconcile.id, 1, data={"user_id": 5, "pages": 1, "count": 1, "complete": True, "progress_messages": 1}),
    )
    settled = job(world, publish)
    assert settled.status == "completed" and settled.result["item_id"] == 777
    assert job(world, reconcile.id).status == "completed"

    sync = new_job(world, "sync")
    send(world, conn, {"action": "heartbeat"})
    assert commands(world)[-1]["job_id"] == sync
    with tenant_session(world["tenant"]) as session:
        session.execute(update(VintedConnection).values(inflight_deadline_at=datetime.now(UTC) - timedelta(seconds=1)))
    tick()
    retried = job(world, sync)
    assert (retried.status, retried.error_code) == ("pending", "extension_timeout")
    # The late answer of the lost attempt changes nothing.
    send(world, conn, result(sync, 1, data={"pages": 1, "count": 0, "complete": True, "progress_messages": 0}))
    assert job(world, sync).status == "pending"


def test_a_late_success_settles_an_unknown_outcome(world):
    product = make_product(world["tenant"], "Baskets blanches cuir")
    conn = connect(world)
    hello(world, conn)
    publish = new_job(world, "publish", product)
    send(world, conn, {"action": "heartbeat"})
    with tenant_session(world["tenant"]) as session:
        session.execute(update(VintedConnection).values(inflight_deadline_at=datetime.now(UTC) - timedelta(seconds=1)))
    tick()
    assert job(world, publish).status == "unknown_outcome"
    send(world, conn, result(publish, 1, data={"item_id": 4242, "progress_messages": 0}))
    assert job(world, publish).status == "completed"


def test_a_sync_links_items_and_a_sold_item_delists_elsewhere(world):
    product = make_product(world["tenant"], "Sac à main cuir camel")
    with tenant_session(world["tenant"]) as session:
        session.add(MarketplaceListing(product_id=product, marketplace="ebay", status="listed", external_id="e-1"))
    conn = connect(world)
    hello(world, conn)
    sync = new_job(world, "sync")
    send(world, conn, {"action": "heartbeat"})
    page = {
        "action": "job_progress",
        "job_id": sync,
        "attempt": 1,
        "seq": 1,
        "stage": "items",
        "page": 1,
        "items": [
            {"id": 31, "title": "Sac à main cuir camel", "is_closed": True, "status": "sold"},
            {"id": 32, "title": "Something else entirely", "is_closed": False},
        ],
    }
    send(world, conn, page)
    send(
        world,
        conn,
        result(sync, 1, data={"user_id": 5, "pages": 1, "count": 2, "complete": True, "progress_messages": 1}),
    )
    finished = job(world, sync)
    assert finished.status == "completed" and finished.result["linked"] == 1
    assert finished.result["sold_product_ids"] == [product]
    with tenant_session(world["tenant"]) as session:
        assert session.get(Product, product).status == "sold"
        delist = session.scalars(select(MarketplaceJob).where(MarketplaceJob.marketplace == "ebay")).one()
        assert (delist.action, delist.product_id) == ("delete", product)


def test_extension_routes_are_strict_and_for_the_right_tenant_only(world):
    product = make_product(world["tenant"])
    conn = connect(world)
    hello(world, conn)
    publish = new_job(world, "publish", product)
    send(world, conn, {"action": "heartbeat"})
    assert commands(world)[-1]["job_id"] == publish
    dashboard = connect(world, "dashboard")
    hello(world, dashboard, "dashboard")
    refused = send(world, dashboard, result(publish, 1, data={"item_id": 1}))
    assert refused and (refused["type"], refused["code"]) == ("error", "action_not_allowed")

    stranger = register_and_login()
    theirs = connect(world, tenant=stranger["id"])
    hello(world, theirs)
    send(world, theirs, result(publish, 1, data={"item_id": 1, "progress_messages": 0}))
    assert job(world, publish).status == "waiting_extension", "another tenant's answer reaches nothing"

    bad = [
        {**result(publish, 1, data={"item_id": 1}), "extra": True},
        {"action": "job_result", "job_id": publish, "attempt": 1, "ok": True},
        result(publish, 1, ok=False, error={"code": "datadome", "message": "x", "stack": "..."}),
        {
            "action": "job_progress",
            "job_id": publish,
            "attempt": 1,
            "seq": 1,
            "stage": "secrets",
            "page": 1,
            "items": [],
        },
        {"action": "vinted_session_update", "logged_in": True, "domain": "evil.example"},
        {"action": "datadome_detected", "domain": "www.vinted.fr", "cookie": "x"},
    ]
    for message in bad:
        answer = send(world, conn, message)
        assert answer and answer["code"] == "invalid_message", message
    not_ours = send(
        world,
        conn,
        {"action": "job_progress", "job_id": publish, "attempt": 1, "seq": 1, "stage": "items", "page": 1, "items": []},
    )
    assert not_ours and not_ours["code"] == "invalid_progress", "a publish sends no wardrobe pages"
    bad_data = send(world, conn, result(publish, 1, data={"item_id": "9001"}))
    assert bad_data and bad_data["code"] == "invalid_result"
    assert job(world, publish).status == "waiting_extension"

    assert (
        send(
            world,
            conn,
            {"action": "vinted_session_update", "logged_in": True, "vinted_user_id": 77, "domain": "www.vinted.fr"},
        )
        is None
    )
    lane = lane_row(world)
    assert (lane.logged_in, lane.vinted_user_id, lane.domain) == (True, 77, "www.vinted.fr")


def test_a_product_that_cannot_be_converted_fails_at_once(world):
    with tenant_session(world["tenant"]) as session:
        product = Product(title="Objet sans catégorie", price=10)
        session.add(product)
        session.flush()
        product_id = product.id
    with tenant_session(world["tenant"]) as session:
        row = MarketplaceJob(marketplace="vinted", action="publish", product_id=product_id, input={})
        session.add(row)
        session.flush()
        job_id = row.id
    assert world["processor"].process(JobMessage(world["tenant"], job_id, "vinted")) == "failed"
    # Refused by readiness before any command is built, with the list of what is missing.
    failed = job(world, job_id)
    assert failed.error_code == "not_ready"
    assert "category" in failed.error_message


def test_parked_jobs_expire_without_an_extension(world):
    product = make_product(world["tenant"])
    job_id = new_job(world, "publish", product)
    with tenant_session(world["tenant"]) as session:
        session.execute(
            update(MarketplaceJob)
            .where(MarketplaceJob.id == job_id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    tick()
    expired = job(world, job_id)
    assert (expired.status, expired.error_code) == ("failed", "expired")
    assert commands(world) == []


def test_link_checks_the_item_exists(world):
    product = make_product(world["tenant"], "Chemise en lin blanche")
    conn = connect(world)
    hello(world, conn)
    missing = new_job(world, "link", product, {"vinted_item_id": 404})
    send(world, conn, {"action": "heartbeat"})
    assert commands(world)[-1]["request"] == {"item_id": 404}
    send(world, conn, result(missing, 1, data={"item_id": 404, "exists": False, "item": None, "progress_messages": 0}))
    assert (job(world, missing).status, job(world, missing).error_code) == ("failed", "vinted_item_not_found")

    found = new_job(world, "link", product, {"vinted_item_id": 88})
    send(world, conn, {"action": "heartbeat"})
    send(
        world, conn, result(found, 1, data={"item_id": 88, "exists": True, "item": {"id": 88}, "progress_messages": 0})
    )
    assert job(world, found).status == "completed"
    with tenant_session(world["tenant"]) as session:
        assert (
            session.scalars(select(VintedProduct.product_id).where(VintedProduct.vinted_item_id == 88)).one() == product
        )


def test_update_delete_orders_messages_and_send_message(world):
    product = make_product(world["tenant"], "Robe longue rouge")
    with tenant_session(world["tenant"]) as session:
        session.add(VintedProduct(vinted_item_id=555, product_id=product, title="Robe longue rouge"))
        session.add(MarketplaceListing(product_id=product, marketplace="etsy", status="listed", external_id="9"))
    conn = connect(world)
    hello(world, conn)

    def run(
        action: str, product_id: int | None, params: dict | None, data: dict, pages: list[dict] | None = None
    ) -> tuple[dict[str, Any], MarketplaceJob]:
        job_id = new_job(world, action, product_id, params)
        send(world, conn, {"action": "heartbeat"})
        command = commands(world)[-1]
        assert command["job_id"] == job_id, (action, command)
        for seq, page in enumerate(pages or [], 1):
            assert (
                send(
                    world,
                    conn,
                    {"action": "job_progress", "job_id": job_id, "attempt": 1, "seq": seq, "page": 1, **page},
                )
                is None
            )
        send(world, conn, result(job_id, 1, data={**data, "progress_messages": len(pages or [])}))
        return command, job(world, job_id)

    command, done = run("update", product, None, {"item_id": 555, "photo_ids": [1, 2]})
    assert command["command"] == "vinted.update" and command["request"]["item_id"] == 555
    assert not any("LABEL" in p["url"] for p in command["request"]["photos"])
    assert done.status == "completed"

    command, done = run(
        "messages",
        None,
        None,
        {"pages": 1, "count": 1, "complete": True},
        [{"stage": "conversations", "items": [{"id": 70, "unread": True, "opposite_user": "ana"}]}],
    )
    assert command["request"] == {"per_page": 20, "max_pages": 5} and done.status == "completed"
    command, done = run(
        "messages",
        None,
        {"conversation_id": 70},
        {"conversation_id": 70, "pages": 1, "count": 1, "complete": True},
        [{"stage": "messages", "items": [{"id": 1, "body": "Encore dispo ?"}]}],
    )
    assert command["request"] == {"conversation_id": 70} and done.status == "completed"
    command, done = run(
        "send_message", None, {"conversation_id": 70, "body": "Oui !"}, {"conversation_id": 70, "message_id": 2}
    )
    assert command["request"] == {"conversation_id": 70, "body": "Oui !"} and done.status == "completed"
    with tenant_session(world["tenant"]) as session:
        from stoflow.models.vinted import VintedConversation

        conversation = session.scalars(select(VintedConversation)).one()
        assert (conversation.opposite_user, conversation.messages[0]["body"]) == ("ana", "Encore dispo ?")

    command, done = run(
        "orders",
        None,
        None,
        {"pages": 1, "count": 1, "complete": True},
        [
            {
                "stage": "my_orders",
                "items": [
                    {
                        "transaction_id": 9,
                        "item_id": 555,
                        "title": "Robe",
                        "price": "25.0",
                        "status": "Paid",
                        "buyer": "ana",
                    }
                ],
            }
        ],
    )
    assert command["command"] == "vinted.fetch_orders" and done.status == "completed"
    with tenant_session(world["tenant"]) as session:
        assert session.get(Product, product).status == "sold"
        delist = session.scalars(select(MarketplaceJob).where(MarketplaceJob.marketplace == "etsy")).one()
        assert delist.action == "delete"

    command, done = run("delete", product, None, {"item_id": 555, "deleted": True})
    assert command["request"] == {"item_id": 555, "product_id": product} and done.status == "completed"
    with tenant_session(world["tenant"]) as session:
        assert session.scalars(select(VintedProduct.deleted_at).where(VintedProduct.vinted_item_id == 555)).one()
        listing = session.scalars(select(MarketplaceListing).where(MarketplaceListing.marketplace == "vinted")).one()
        assert listing.status == "delisted"


def test_an_unavailable_page_spends_no_attempt_and_waits_for_the_extension(world):
    product = make_product(world["tenant"], "Pull en laine écru")
    conn = connect(world)
    hello(world, conn)
    job_id = new_job(world, "publish", product)
    send(world, conn, {"action": "heartbeat"})
    assert [c["attempt"] for c in commands(world)] == [1]
    session_back = {
        "action": "vinted_session_update",
        "logged_in": True,
        "vinted_user_id": 321,
        "domain": "www.vinted.fr",
    }
    # More page failures than the job has attempts (3): none of them is spent.
    for sent in range(1, 5):
        unavailable = {"code": "page_unavailable", "message": "could not reach the Vinted page: no tab"}
        send(world, conn, result(job_id, 1, ok=False, error=unavailable))
        waiting = job(world, job_id)
        assert (waiting.status, waiting.attempts, waiting.error_code) == (
            "waiting_extension",
            1,
            "vinted_page_unavailable",
        )
        assert waiting.error_message.startswith("Waiting for your browser")
        assert "no attempt was spent" in waiting.error_message
        send(world, conn, {"action": "heartbeat"})
        assert len(commands(world)) == sent, "offered again before the page came back"
        send(world, conn, session_back)
        assert [c["attempt"] for c in commands(world)] == [1] * (sent + 1)
    send(world, conn, result(job_id, 1, data={"item_id": 77, "progress_messages": 0}))
    done = job(world, job_id)
    assert (done.status, done.attempts) == ("completed", 1)


def test_a_job_waiting_for_the_page_is_offered_again_after_the_wait(world, monkeypatch):
    monkeypatch.setenv("STOFLOW_VINTED_PAGE_WAIT_S", "0")
    get_settings.cache_clear()
    product = make_product(world["tenant"], "Gilet sans manches gris")
    conn = connect(world)
    hello(world, conn)
    job_id = new_job(world, "publish", product)
    send(world, conn, {"action": "heartbeat"})
    send(world, conn, result(job_id, 1, ok=False, error={"code": "page_unavailable", "message": "no tab"}))
    send(world, conn, {"action": "heartbeat"})
    assert [c["job_id"] for c in commands(world)] == [job_id, job_id]
    assert job(world, job_id).error_code == "sent_to_extension"


def test_the_extension_s_heartbeats_check_vinted_sales_when_due(world):
    """While the browser is open, a heartbeat queues Vinted's orders check when it is due (the
    first one at once), then not again before the marketplace's floor; the queue carries it."""
    conn = connect(world)
    hello(world, conn)
    send(world, conn, {"action": "heartbeat"})
    send(world, conn, {"action": "heartbeat"})
    with tenant_session(world["tenant"]) as session:
        checks = list(session.scalars(select(MarketplaceJob).where(MarketplaceJob.action == "orders")))
        assert [(j.marketplace, j.status) for j in checks] == [("vinted", "pending")]
        assert session.get(OrderCheck, "vinted").due_at is None  # nothing listed: no next check
    assert [m.job_id for m in world["queue"].take()] == [checks[0].id]


def lane_due_at(tenant: int) -> datetime | None:
    from stoflow.db.tenancy import shared_session
    from stoflow.models import DueWork

    with shared_session() as session:
        row = session.get(DueWork, (tenant, "lane"))
        return None if row is None else row.due_at


def test_the_tick_visits_a_lane_only_when_it_is_due(world):
    idle = register_and_login()["id"]  # no Vinted at all: never in the index, never visited
    product = make_product(world["tenant"])
    publish = new_job(world, "publish", product)  # parked, no extension yet
    assert job(world, publish).expires_at is None  # a publish waits for the extension, however long
    tick()
    # Nothing can go without the extension, and nothing expires: the hello will mark the lane.
    assert lane_due_at(world["tenant"]) is None and lane_due_at(idle) is None

    conn = connect(world)
    hello(world, conn)  # sends the job at once, and marks the lane
    assert lane_due_at(world["tenant"]) <= world["clock"]()
    report = tick()
    assert report["kind"] == "lane" and report["visited"] >= 1 and not report["errors"]
    assert lane_due_at(world["tenant"]) == lane_row(world).inflight_deadline_at  # the command's deadline
    assert lane_due_at(idle) is None

    send(world, conn, result(publish, 1, data={"item_id": 9101, "progress_messages": 0}))
    assert lane_due_at(world["tenant"]) <= world["clock"]()  # an answer frees the lane: due now
    tick()
    assert lane_due_at(world["tenant"]) is None  # nothing waits: out of the index


def test_a_lane_paused_until_the_seller_resumes_is_due_again_on_the_resume(world):
    conn = connect(world)
    hello(world, conn)
    sync = new_job(world, "sync")
    send(world, conn, {"action": "heartbeat"})
    assert commands(world)[-1]["job_id"] == sync
    send(world, conn, result(sync, 1, ok=False, error={"code": "datadome", "message": "blocked"}))
    assert job(world, sync).error_code == "vinted_paused" and job(world, sync).expires_at is None
    tick()
    # Paused until the seller resumes, nothing that expires: not due until the resume.
    assert lane_due_at(world["tenant"]) is None
    from stoflow.marketplaces.vinted.lane_view import resume

    world["clock"].advance(3 * 3600)  # the pause itself has run out
    with tenant_session(world["tenant"]) as session:
        resume(session)
    assert lane_due_at(world["tenant"]) <= world["clock"]()
    tick()
    assert commands(world)[-1]["job_id"] == sync and commands(world)[-1]["attempt"] == 1
