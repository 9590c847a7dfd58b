"""One seller's Vinted account for hours, on a simulated clock (tests/support/vinted_sim.py): 200
mixed commands from many products through the real lane, worker and WebSocket function, and the
real extension logic under node, against a fake Vinted that blocks an account as Vinted does.

Pass: the fake never blocks; no call during a pause; one command in flight; no write repeated
without a reconciling read; every job completed or failed with a clear reason. Then a fake that
blocks at random: the account pauses at the first sign, nothing is called until the pause ended
and the seller resumed, and the work finishes afterwards."""

from __future__ import annotations

import importlib.util
import itertools
import json
import shutil
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from infra.local.ws_events import WsConnectionInfo, connect_event, message_event, new_connection_id
from stoflow import runtime
from stoflow.config import get_settings
from stoflow.db.tenancy import tenant_session
from stoflow.jobs.handlers import HandlerRegistry
from stoflow.jobs.messages import JobMessage
from stoflow.jobs.processor import MarketplaceJobProcessor
from stoflow.jobs.queue import QUEUE
from stoflow.marketplaces.vinted import jobs as vinted_jobs
from stoflow.marketplaces.vinted import lane as lane_module
from stoflow.models.jobs import MarketplaceJob
from stoflow.models.vinted import VintedProduct
from stoflow.realtime import connections as ws_connections
from stoflow.services.ws import issue_ticket
from tests.integration.test_vinted_ws import make_product
from tests.support.api import register_and_login
from tests.support.devices import device_principal
from tests.support.jobs import FakeQueue
from tests.support.vinted_sim import REPO, ExtensionProcess, FakeVinted, Session, SimClock

# Failures a job may end with, each a plain reason the seller can act on.
CLEAR_FAILURES = {"vinted_not_listed", "vinted_already_listed", "reconciled_not_found", "expired"}


def load_function(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"vinted_sim_{name}", REPO / "functions" / name / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


@pytest.fixture
def account(identity, monkeypatch, tmp_path):
    if shutil.which("node") is None:
        pytest.fail("the Vinted simulation needs node (apt-get install nodejs)")
    get_settings.cache_clear()
    clock = SimClock(datetime.now(UTC).replace(microsecond=0))
    monkeypatch.setattr(lane_module, "utcnow", clock)
    pushed: list[dict[str, Any]] = []

    def post_to_connection(self, connection_id: str, message: dict[str, Any]) -> bool:
        pushed.append(json.loads(json.dumps(message, default=str)))
        return True

    monkeypatch.setattr(ws_connections.ConnectionsClient, "send", post_to_connection)
    queue = FakeQueue()
    previous = runtime.provide(QUEUE, queue)
    registry = HandlerRegistry()
    vinted_jobs.register(registry)
    processor = MarketplaceJobProcessor(registry, clock=clock)
    ws_connect, ws_message = load_function("ws_connect"), load_function("ws_message")
    seller = register_and_login()
    tenant = seller["id"]
    conn = WsConnectionInfo(new_connection_id(), "203.0.113.9", "127.0.0.1", 0, headers=[("Host", "127.0.0.1:3001")])
    ticket = issue_ticket(device_principal(tenant), "extension").ticket
    assert ws_connect(connect_event(conn, f"ticket={ticket}"), None)["statusCode"] == 200

    def post(message: dict[str, Any]) -> dict[str, Any] | None:
        answer = ws_message(message_event(conn, "$default", json.dumps(message)), None)
        assert answer["statusCode"] == 200, answer
        return json.loads(answer["body"]) if answer.get("body") else None

    made: list[Session] = []

    def start(vinted: FakeVinted) -> Session:
        extension = ExtensionProcess(clock.ms(), tmp_path / "extension.log")
        session = Session(
            tenant_id=tenant,
            clock=clock,
            vinted=vinted,
            extension=extension,
            post=post,
            pushed=pushed,
            process=lambda job_id: processor.process(JobMessage(tenant, job_id, "vinted")),
            take_queued=queue.take,
        )
        made.append(session)
        session.connect()
        return session

    yield start
    for session in made:
        session.extension.close()
    runtime.provide(QUEUE, previous)
    get_settings.cache_clear()


def queue_jobs(session: Session, specs: list[tuple[str, int | None, dict[str, Any]]]) -> list[int]:
    ids = []
    with tenant_session(session.tenant_id) as db:
        for action, product_id, params in specs:
            job = MarketplaceJob(marketplace="vinted", action=action, product_id=product_id, input=params)
            db.add(job)
            db.flush()
            ids.append(job.id)
    for job_id in ids:
        session.process(job_id)
    return ids


def first_phase(session: Session, products: list[int]) -> list[int]:
    """Publishes of every product, with the reads a seller's day brings (syncs, sales, inbox)."""
    reads = [("sync", None, {}), ("orders", None, {}), ("messages", None, {})]
    specs: list[tuple[str, int | None, dict[str, Any]]] = []
    for n, product in enumerate(products):
        specs.append(("publish", product, {}))
        if n % 7 == 3 and len(specs) < 100:
            specs.append(reads[n % 3])
    while len(specs) < 100:
        specs.append(reads[len(specs) % 3])
    return queue_jobs(session, specs[:100])


def second_phase(session: Session, products: list[int]) -> list[int]:
    """Updates, deletes and replies on what the first phase listed, and more reads."""
    specs: list[tuple[str, int | None, dict[str, Any]]] = []
    specs += [("update", p, {}) for p in products[:35]]
    specs += [("delete", p, {}) for p in products[35:60]]
    replies = [f"Bonjour, toujours dispo ({n})" for n in range(20)]
    specs += [("send_message", None, {"conversation_id": 70, "body": body}) for body in replies]
    specs += [("orders", None, {}), ("sync", None, {}), ("messages", None, {"conversation_id": 70})] * 7
    return queue_jobs(session, specs[:100])


def check_the_session(session: Session, job_ids: list[int]) -> dict[str, Any]:
    vinted = session.vinted
    assert not [c for c in vinted.calls if c.during_pause], "a Vinted call during a pause"
    assert session.overlaps == 0, "two commands in flight"
    # A write is never repeated without a read that settled the first one.
    titles = Counter(title for _, title in vinted.creates)
    for title, count in titles.items():
        if count > 1:
            times = [at for at, t in vinted.creates if t == title]
            assert any(times[0] < read < times[1] for read in vinted.wardrobe_reads), f"{title} created twice, no read"
    bodies = Counter(body for _, _, body in vinted.sends)
    for body, count in bodies.items():
        if count > 1:
            times = [at for at, _, b in vinted.sends if b == body]
            assert any(times[0] < read < times[1] for read, _ in vinted.conversation_reads), f"{body!r} sent twice"
    with tenant_session(session.tenant_id) as db:
        jobs = list(db.scalars(select(MarketplaceJob).where(MarketplaceJob.id.in_(job_ids))))
        reconciles = list(db.scalars(select(MarketplaceJob).where(MarketplaceJob.action == "reconcile")))
    assert len(jobs) == len(job_ids)
    outcomes = Counter(j.status for j in jobs)
    failed = [(j.id, j.action, j.error_code, j.error_message) for j in jobs if j.status != "completed"]
    assert all(j.status in ("completed", "failed") for j in jobs), failed
    assert all(code in CLEAR_FAILURES for _, _, code, _ in failed), failed
    assert not any("Frame" in (j.error_message or "") for j in jobs), "Chrome's words reached the seller"
    return {"outcomes": outcomes, "reconciles": len(reconciles), "failed": failed}


def test_200_mixed_commands_never_get_the_account_blocked(account):
    vinted = FakeVinted(lose_every=12, no_page_every=97, seed=16)
    session = account(vinted)
    started = session.clock()
    products = [make_product(session.tenant_id, f"Article d'occasion numéro {n:03d}") for n in range(80)]
    first = first_phase(session, products)
    session.drive()
    second = second_phase(session, products)
    session.drive()
    jobs = first + second
    assert len(jobs) == 200

    assert vinted.blocks == [], f"the fake Vinted blocked the account: {vinted.blocks[:3]}"
    summary = check_the_session(session, jobs)
    assert summary["reconciles"] >= 5, "lost answers were settled by reads"
    assert summary["outcomes"]["completed"] >= 190, summary
    writes = [c.at for c in vinted.writes]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(writes)]
    assert min(gaps) >= 20
    with tenant_session(session.tenant_id) as db:
        listed = db.scalars(select(VintedProduct).where(VintedProduct.deleted_at.is_(None))).all()
    assert len(listed) == len(vinted.items)
    hours = (session.clock() - started).total_seconds() / 3600
    print(f"\n200 commands: {len(vinted.calls)} Vinted calls, {len(writes)} writes, {hours:.1f} h simulated")


def test_random_blocks_pause_the_account_until_it_ends_and_the_seller_resumes(account):
    vinted = FakeVinted(random_block_p=0.01, seed=3)
    session = account(vinted)
    products = [make_product(session.tenant_id, f"Vêtement vintage réf. {n:03d}") for n in range(60)]
    jobs = queue_jobs(session, [("publish", p, {}) for p in products] + [("sync", None, {})] * 10)
    session.drive()

    assert vinted.blocks, "the fake blocked at random at least once"
    assert all(why == "at random" for _, why in vinted.blocks), vinted.blocks[:5]
    for at, _ in vinted.blocks:
        after = [c.at for c in vinted.calls if c.at > at]
        if after:
            assert after[0] >= at + timedelta(hours=1), "called again before an hour had passed"
    assert len(session.resumes) >= len({at for at, _ in vinted.blocks}) - 1
    for start, resumed, _ in session.pauses:
        assert resumed is not None
        assert not [c for c in vinted.calls if start <= c.at < resumed], "a call before the seller resumed"
    check_the_session(session, jobs)


def test_100_queued_publishes_drain_at_the_default_pace(account):
    """The figures docs/marketplaces/vinted.md quotes: how long 100 queued publishes take under the defaults
    (simulated clock), and how many Vinted calls one publish makes (photos included)."""
    vinted = FakeVinted(seed=100)
    session = account(vinted)
    products = [make_product(session.tenant_id, f"Pièce de collection n° {n:03d}") for n in range(100)]
    started = session.clock()
    calls_before = len(vinted.calls)
    jobs = queue_jobs(session, [("publish", p, {}) for p in products])
    session.drive()

    assert vinted.blocks == []
    summary = check_the_session(session, jobs)
    assert summary["outcomes"] == Counter({"completed": 100})
    publish_calls = [c for c in vinted.calls[calls_before:] if c.method == "POST"]
    per_publish = len(publish_calls) / 100
    assert per_publish == 3, "two photos (the label never leaves) and the item"
    last_write = vinted.writes[-1].at
    hours = (last_write - started).total_seconds() / 3600
    # 40 writes in any rolling hour: the 81st cannot go before two hours have passed.
    assert hours > 2
    print(f"\n100 publishes drained in {hours:.2f} h simulated; {per_publish:.0f} Vinted calls per publish")
