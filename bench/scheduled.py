"""Scheduled work at scale: the per-minute functions over the scale database (bench.scale) with 1 %
of its tenants due, against the raw SQL of visiting those tenants only; the walk of every tenant
they replaced; the tenant migration fan-out and tenant creation at that size.

Each function is measured as deployed: the run leases what is due and, above the fan-out
threshold, hands the tenants to the job workers (an in-memory queue here: the figure is the
database work, not SQS's latency); the workers' visits are timed apart, one after the other.

`STOFLOW_BENCH_TENANTS` sets the size (10,000 by default; growing the scale database to it is slow
the first time, see bench.scale); `STOFLOW_BENCH_TENANTS=0` takes the scale database as it is."""

from __future__ import annotations

import logging
import os
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, update
from sqlalchemy.engine import URL

from bench.common import figure
from bench.scale import scale_database, tenant_ids
from bench.tenancy import CREATIONS, bench_creation, fanout_figure, raw_connection
from stoflow import runtime
from stoflow.db.tenancy import shared_session, tenant_session
from stoflow.jobs import due, maintenance, service
from stoflow.jobs.handlers import HandlerRegistry
from stoflow.jobs.messages import DueMessage
from stoflow.jobs.queue import QUEUE
from stoflow.models import DueWork, MarketplaceJob
from stoflow.repositories.due_work import mark_due, mark_due_for

DUE_SHARE = 0.01
WORKERS = 4


class Recording:
    """The jobs queue: keeps what a run hands to the workers."""

    def __init__(self) -> None:
        self.broken = False
        self.sent: list[Any] = []

    def send(self, messages: Sequence[tuple[Any, str]]) -> list[Any]:
        if self.broken:
            raise ConnectionError("queue down (bench: leaves the messages unsent)")
        self.sent.extend(message for message, _ in messages)
        return []

    def take_due(self) -> list[DueMessage]:
        taken = [m for m in self.sent if isinstance(m, DueMessage)]
        self.sent = [m for m in self.sent if not isinstance(m, DueMessage)]
        return taken


def due_tenants(tenants: Sequence[int]) -> list[int]:
    """1 % of the tenants, spread over the ids."""
    count = max(1, int(len(tenants) * DUE_SHARE))
    step = len(tenants) // count
    return [tenants[i * step] for i in range(count)]


def clear(engine: Engine, tenant_ids: Sequence[int]) -> None:
    """Leave the scale database as found: no job, no due row of the bench."""
    for tenant_id in tenant_ids:
        with tenant_session(tenant_id, engine=engine) as session:
            session.execute(delete(MarketplaceJob))
    with shared_session(engine=engine) as session:
        session.execute(delete(DueWork))


def measured_run(
    engine: Engine, queue: Recording, kind: str, visit: due.Visitor, now: datetime
) -> tuple[float, float, int]:
    """(the scheduled function's run, the workers' visits one after the other, tenants visited)."""
    started = time.perf_counter()
    report = due.run(kind, engine=engine, clock=lambda: now, visit_with=visit)
    function_s = time.perf_counter() - started
    handed = queue.take_due()
    started = time.perf_counter()
    for message in handed:
        assert due.visit(kind, message.tenant_id, message.version, engine=engine, clock=lambda: now, visit_with=visit)
    visits_s = time.perf_counter() - started
    assert not report.errors, report.errors
    return function_s, visits_s, report.visited + len(handed)


def raw_visits(url: URL, tenant_ids: Sequence[int], kind: str, statements: Callable[[str], list[str]]) -> float:
    """The floor: lease the due rows, then per tenant one transaction of the visit's statements as
    plain SQL and the settle of its row."""
    connection = raw_connection(url)
    cursor = connection.cursor()
    started = time.perf_counter()
    cursor.execute(
        "UPDATE public.due_work SET due_at = now() + interval '5 minutes' WHERE (tenant_id, kind) IN "
        f"(SELECT tenant_id, kind FROM public.due_work WHERE kind = '{kind}' AND due_at <= now() "
        "ORDER BY due_at LIMIT 2000 FOR UPDATE SKIP LOCKED) RETURNING tenant_id, version"
    )
    cursor.fetchall()
    connection.commit()
    for tenant_id in tenant_ids:
        for statement in statements(f"user_{tenant_id}"):
            cursor.execute(statement)
            if cursor.description:
                cursor.fetchall()
        connection.commit()
        cursor.execute(f"DELETE FROM public.due_work WHERE tenant_id = {tenant_id} AND kind = '{kind}'")
        connection.commit()
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def report_run(
    name: str, tenants: Sequence[int], due_ids: Sequence[int], times: tuple[float, float, float], visits: str
) -> None:
    """A scheduled function's figures: its run, then with the workers' visits, each against the raw
    SQL of visiting the due tenants; `times` is (run, visits, raw)."""
    function_s, visits_s, raw_s = times
    label = f"{len(tenants)} tenants, {len(due_ids)} due"
    figure(f"{name} run ({label})", function_s, "raw SQL visiting the due tenants", raw_s, "< 1 s, < 3x")
    figure(f"  + the workers' {visits}", function_s + visits_s, "raw SQL visiting them", raw_s, "-")


# --- jobs_maintenance ---------------------------------------------------------------------------


def make_jobs_due(engine: Engine, queue: Recording, tenant_ids: Sequence[int]) -> None:
    """One job per due tenant whose message never left (the queue was down): the sweeper sends it."""
    queue.broken = True
    for tenant_id in tenant_ids:
        with tenant_session(tenant_id, engine=engine) as session:
            service.enqueue_in_session(session, tenant_id, service.JobRequest("ebay", "noop"), validate=False)
    queue.broken = False


def raw_jobs(schema: str) -> list[str]:
    pending_unsent = (
        f"FROM {schema}.marketplace_jobs WHERE status = 'pending' AND NOT cancel_requested "
        "AND message_sent_at IS NULL AND coalesce(next_attempt_at, created_at + interval '30 seconds') "
        "<= now() + interval '2 minutes'"
    )
    return [
        f"SELECT 1 FROM public.tenants WHERE id = {schema[5:]}",
        f"SELECT * FROM {schema}.marketplace_jobs WHERE status = 'running' AND deadline_at < now() "
        "ORDER BY id LIMIT 200 FOR UPDATE SKIP LOCKED",
        f"SELECT * FROM {schema}.marketplace_jobs WHERE status = 'unknown_outcome' AND NOT cancel_requested "
        "ORDER BY id LIMIT 200 FOR UPDATE SKIP LOCKED",
        f"SELECT * {pending_unsent} ORDER BY priority DESC, id LIMIT 200 FOR UPDATE SKIP LOCKED",
        f"SELECT min(deadline_at) FROM {schema}.marketplace_jobs WHERE status IN ('pending', 'running')",
        "COMMIT",
        f"UPDATE {schema}.marketplace_jobs SET message_sent_at = now() WHERE id IN (SELECT id {pending_unsent})",
    ]


def bench_jobs(engine: Engine, url: URL, queue: Recording, tenants: Sequence[int]) -> None:
    due_ids = due_tenants(tenants)
    registry = HandlerRegistry()
    now = datetime.now(UTC) + timedelta(minutes=2)  # past the resend grace
    clear(engine, due_ids)
    make_jobs_due(engine, queue, due_ids)
    function_s, visits_s, visited = measured_run(engine, queue, "jobs", maintenance.visitor(registry), now)
    assert visited == len(due_ids), visited
    sent = len(queue.sent)
    queue.sent.clear()
    # The same work again as plain SQL: the same jobs unsent and due.
    for tenant_id in due_ids:
        with tenant_session(tenant_id, engine=engine) as session:
            session.execute(update(MarketplaceJob).values(message_sent_at=None))
            mark_due(session, "jobs", datetime.now(UTC))
    raw_s = raw_visits(url, due_ids, "jobs", raw_jobs)
    report_run("jobs_maintenance", tenants, due_ids, (function_s, visits_s, raw_s), f"{visited} visits ({sent} sent)")
    # Before: every tenant walked by the reaper, the reconciliation and the sweeper.
    make_jobs_due(engine, queue, due_ids)
    started = time.perf_counter()
    maintenance.reap(registry, engine)
    maintenance.reconcile_unknown(registry, engine)
    maintenance.sweep(engine, clock=lambda: now)
    walk_s = time.perf_counter() - started
    queue.sent.clear()
    figure(f"  before: the walk of all {len(tenants)} tenants", walk_s, "raw SQL visiting the due tenants", raw_s, "-")
    clear(engine, due_ids)


def bench_idle_minute(engine: Engine, tenants: Sequence[int]) -> None:
    """Nothing due: what every other minute costs."""
    clear(engine, [])
    samples = []
    for kind in ("jobs", "lane", "orders", "purge"):
        started = time.perf_counter()
        due.run(kind, engine=engine, visit_with=lambda *_: None)
        samples.append(time.perf_counter() - started)
    label = f"a minute with nothing due ({len(tenants)} tenants)"
    print(f"{label:<44} {statistics.median(samples) * 1000:10.2f} ms   (median of jobs, lane, orders, purge)")


# --- vinted_tick -----------------------------------------------------------------------------------

_WAITING = "('vinted_queued', 'extension_offline', 'vinted_paused', 'vinted_logged_out', 'vinted_page_wait')"


def make_lanes_due(engine: Engine, tenant_ids: Sequence[int], now: datetime) -> None:
    """A read parked for each due tenant, its extension closed (the lane expires it in a day)."""
    for tenant_id in tenant_ids:
        with tenant_session(tenant_id, engine=engine) as session:
            session.add(
                MarketplaceJob(
                    marketplace="vinted",
                    action="sync",
                    status="waiting_extension",
                    error_code="extension_offline",
                    expires_at=now + timedelta(days=1),
                )
            )
            mark_due(session, "lane", now - timedelta(seconds=1))


def raw_lane(schema: str) -> list[str]:
    tenant_id = schema[5:]
    online = (
        f"SELECT connection_id FROM public.ws_connections WHERE tenant_id = {tenant_id} AND client = 'extension' "
        "AND client_version IS NOT NULL ORDER BY last_seen_at DESC LIMIT 1"
    )
    waiting = f"marketplace = 'vinted' AND status = 'waiting_extension' AND error_code IN {_WAITING}"
    return [
        online,
        f"SELECT 1 FROM public.tenants WHERE id = {tenant_id}",
        f"INSERT INTO {schema}.vinted_connection (id) VALUES (1) ON CONFLICT DO NOTHING",
        f"SELECT * FROM {schema}.vinted_connection WHERE id = 1 FOR UPDATE",
        f"SELECT * FROM {schema}.marketplace_jobs WHERE {waiting} AND expires_at <= now() "
        "LIMIT 100 FOR UPDATE SKIP LOCKED",
        "COMMIT",
        f"SELECT 1 FROM public.tenants WHERE id = {tenant_id}",
        f"SELECT * FROM {schema}.vinted_connection WHERE id = 1",
        f"SELECT min(expires_at) FROM {schema}.marketplace_jobs WHERE {waiting}",
    ]


def bench_lane(engine: Engine, url: URL, queue: Recording, tenants: Sequence[int]) -> None:
    from stoflow.marketplaces.vinted import lane_schedule

    due_ids = due_tenants(tenants)
    now = datetime.now(UTC)
    clear(engine, due_ids)
    make_lanes_due(engine, due_ids, now)
    function_s, visits_s, visited = measured_run(engine, queue, "lane", lane_schedule.visit, now)
    assert visited == len(due_ids), visited
    with shared_session(engine=engine) as session:  # each lane settled at its job's expiry
        for tenant_id in due_ids:
            mark_due_for(session, tenant_id, "lane", now - timedelta(seconds=1))
    raw_s = raw_visits(url, due_ids, "lane", raw_lane)
    report_run("vinted_tick", tenants, due_ids, (function_s, visits_s, raw_s), f"{visited} visits")
    clear(engine, due_ids)


# --- sync_orders ------------------------------------------------------------------------------------


def make_orders_due(engine: Engine, tenant_ids: Sequence[int], now: datetime) -> None:
    """An eBay account connected to each due tenant, never checked yet."""
    from stoflow.models import EbayCredentials

    for tenant_id in tenant_ids:
        with tenant_session(tenant_id, engine=engine) as session:
            session.add(
                EbayCredentials(
                    id=1, status="connected", environment="sandbox", marketplace_id="EBAY_FR", refresh_token_enc="x"
                )
            )
            mark_due(session, "orders", now - timedelta(seconds=1))


def clear_orders(engine: Engine, tenant_ids: Sequence[int]) -> None:
    from stoflow.models import EbayCredentials, MarketplaceBatch, OrderCheck

    clear(engine, tenant_ids)
    for tenant_id in tenant_ids:
        with tenant_session(tenant_id, engine=engine) as session:
            for model in (MarketplaceBatch, OrderCheck, EbayCredentials):
                session.execute(delete(model))


def raw_orders(schema: str) -> list[str]:
    tenant_id = schema[5:]
    key = f"sync_orders:ebay:{schema}"
    return [
        f"SELECT 1 FROM public.tenants WHERE id = {tenant_id}",
        f"SELECT * FROM {schema}.ebay_credentials WHERE id = 1",
        f"SELECT * FROM {schema}.order_checks WHERE marketplace = 'ebay'",
        f"SELECT * FROM {schema}.marketplace_jobs WHERE idempotency_key = '{key}'",
        f"INSERT INTO {schema}.marketplace_batches (marketplace, action, total) VALUES ('ebay', 'sync_orders', 1) "
        "RETURNING id",
        f"INSERT INTO {schema}.marketplace_jobs (marketplace, action, idempotency_key, expires_at) "
        f"VALUES ('ebay', 'sync_orders', '{key}', now() + interval '1 day') RETURNING id",
        f"INSERT INTO public.due_work (tenant_id, kind, due_at) VALUES ({tenant_id}, 'jobs', now()) "
        "ON CONFLICT (tenant_id, kind) DO UPDATE SET version = due_work.version + 1",
        f"SELECT count(*) FROM {schema}.marketplace_listings WHERE marketplace = 'ebay' AND status = 'listed'",
        f"SELECT count(*) FROM {schema}.sales WHERE sold_on = 'ebay' AND status = 'active'",
        f"INSERT INTO {schema}.order_checks (marketplace, checked_at, due_at) VALUES ('ebay', now(), NULL) "
        "ON CONFLICT (marketplace) DO UPDATE SET checked_at = now(), due_at = NULL",
        f"SELECT * FROM {schema}.etsy_credentials WHERE id = 1",
        f"SELECT id FROM public.extension_devices WHERE tenant_id = {tenant_id} AND revoked_at IS NULL LIMIT 1",
        "COMMIT",
        f"UPDATE {schema}.marketplace_jobs SET message_sent_at = now() WHERE idempotency_key = '{key}'",
    ]


def bench_orders(engine: Engine, url: URL, queue: Recording, tenants: Sequence[int]) -> None:
    from stoflow.services.marketplace_schedules import visit_orders

    due_ids = due_tenants(tenants)
    now = datetime.now(UTC)
    clear_orders(engine, due_ids)
    make_orders_due(engine, due_ids, now)
    function_s, visits_s, visited = measured_run(engine, queue, "orders", visit_orders, now)
    assert visited == len(due_ids), visited
    queued = sum(1 for m in queue.sent if not isinstance(m, DueMessage))
    queue.sent.clear()
    clear_orders(engine, due_ids)
    make_orders_due(engine, due_ids, now)
    raw_s = raw_visits(url, due_ids, "orders", raw_orders)
    report_run("sync_orders", tenants, due_ids, (function_s, visits_s, raw_s), f"{visited} visits ({queued} queued)")
    clear_orders(engine, due_ids)


# --- tenants at this size ---------------------------------------------------------------------------


def bench_tenants_at_scale(engine: Engine, url: URL, ids: Sequence[int]) -> None:
    """The tenant migration fan-out over every schema (migrated back down: the database is kept),
    and a few more tenants created, ours against the raw DDL (kept: the database only grows)."""
    fanout_figure(engine, url, list(ids), budget="<= 3x", undo=True)
    first = max(max(ids), 10_000) + 1
    bench_creation(engine, url, iter(range(first, first + 2 * CREATIONS)), f"tenant creation at {len(ids)} tenants")


def main() -> None:
    size = int(os.environ.get("STOFLOW_BENCH_TENANTS", "10000"))
    queue = Recording()
    previous = runtime.provide(QUEUE, queue)
    # The sends the bench makes fail on purpose (jobs whose message never left): no tracebacks.
    logging.getLogger("stoflow.jobs.dispatch").setLevel(logging.CRITICAL)
    try:
        with scale_database(size, build=size > 0) as (engine, url):
            ids = tenant_ids(engine)
            ids = ids if size == 0 else ids[:size]
            bench_idle_minute(engine, ids)
            bench_jobs(engine, url, queue, ids)
            bench_lane(engine, url, queue, ids)
            bench_orders(engine, url, queue, ids)
            bench_tenants_at_scale(engine, url, ids)
    finally:
        runtime.provide(QUEUE, previous)


__all__ = ["main"]

if __name__ == "__main__":
    main()
