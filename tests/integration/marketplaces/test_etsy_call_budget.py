"""The app-wide Etsy call budget on the real database: every tenant's Etsy calls land in one shared
record; the Etsy order checks stretch when the rolling day's polling outgrows its part of the
limit, and are deferred (not failed) once that part is spent, while a seller's delist still goes
out. Budget states are written at a random far-future hour (the schedule's clock is simulated),
so the present usage of a shared server plays no part, and removed afterwards."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from stoflow.config import get_settings
from stoflow.db.tenancy import shared_session, tenant_session
from stoflow.domain import order_checks
from stoflow.domain.call_budget import ORDERS, TARGET
from stoflow.models import EtsyProduct, MarketplaceJob
from stoflow.models.call_budgets import MarketplaceCalls
from stoflow.repositories import marketplace_calls
from stoflow.services.jobs import JobRequest, enqueue
from stoflow.services.marketplace_schedules import visit_orders
from tests.support.api import caller, register_and_login
from tests.support.marketplaces import connect
from tests.support.selling import listed_everywhere

call = caller("marketplaces")


def etsy_calls(start: datetime) -> Counter[str]:
    """The app's Etsy calls by kind from `start`'s hour on (a sum that only grows)."""
    with shared_session() as session:
        rows = marketplace_calls.between(session, "etsy", start, datetime.now(UTC) + timedelta(hours=1))
    totals: Counter[str] = Counter()
    for _, kind, calls, _ in rows:
        totals[kind] += calls
    return totals


def sync_jobs(tenant: int, marketplace: str) -> int:
    with tenant_session(tenant) as session:
        jobs = session.scalars(
            select(MarketplaceJob).where(
                MarketplaceJob.marketplace == marketplace, MarketplaceJob.action == "sync_orders"
            )
        )
        return len(list(jobs))


@pytest.fixture
def future() -> Iterator[datetime]:
    """A far-future minute of the simulated clock whose day of Etsy calls holds only this test's."""
    at = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=3650 + random.randrange(100_000))
    yield at
    with shared_session() as session:
        session.execute(
            delete(MarketplaceCalls).where(
                MarketplaceCalls.marketplace == "etsy",
                MarketplaceCalls.hour.between(at - timedelta(days=2), at + timedelta(days=3)),
            )
        )


def spent(at: datetime, *, calls: int, base_calls: float) -> None:
    """Order checks made three hours before `at` (outside the recent hour: the day's sum alone)."""
    with shared_session() as session:
        marketplace_calls.add(session, "etsy", at - timedelta(hours=3), ORDERS, calls, base_calls)


def test_every_tenants_etsy_calls_are_counted_in_one_shared_record(marketplaces, job_runner):
    start = datetime.now(UTC) - timedelta(hours=1)
    before = etsy_calls(start)
    tenants = []
    for _ in range(2):
        account = register_and_login()
        connect(marketplaces, account["access_token"], "etsy")  # token, users/me, shops/{id}
        tenants.append(account["id"])
        enqueue(account["id"], JobRequest("etsy", "sync_orders"))
    ran = job_runner.run_all()
    assert [s for job_id, m, a, s in ran if (m, a) == ("etsy", "sync_orders")][-2:] == ["completed"] * 2
    added = etsy_calls(start) - before
    assert added == Counter({"seller": 6, ORDERS: 2})


def test_the_etsy_cadence_stretches_when_polling_outgrows_its_part_of_the_day(marketplaces, job_runner, seller, future):
    tenant = seller["id"]
    listed_everywhere(tenant, job_runner, "BUD-1")
    settings = get_settings()
    allowance = settings.etsy_daily_call_limit * settings.etsy_daily_call_share - settings.etsy_seller_reserve_calls
    # Demand at the normal cadence three times what the stretch aims polling at: every interval x3.
    spent(future, calls=100, base_calls=3 * allowance * TARGET)
    visit_orders(tenant, future)
    with tenant_session(tenant) as session:
        etsy, ebay = (order_checks.repository.get(session, m) for m in ("etsy", "ebay"))
        assert etsy.due_at == future + timedelta(seconds=3 * settings.order_check_cross_listed_s)
        assert etsy.deferred_at is None
        # eBay's limits are per seller account, not the app's: its cadence is untouched.
        assert ebay.due_at == future + timedelta(seconds=settings.order_check_cross_listed_s)
    assert sync_jobs(tenant, "etsy") >= 1


def test_a_spent_budget_defers_etsy_checks_and_a_delist_still_goes_out(marketplaces, job_runner, seller, future):
    tenant = seller["id"]
    product_id = listed_everywhere(tenant, job_runner, "BUD-2")
    settings = get_settings()
    allowance = settings.etsy_daily_call_limit * settings.etsy_daily_call_share - settings.etsy_seller_reserve_calls
    spent(future, calls=int(allowance), base_calls=3 * allowance)
    etsy_syncs = sync_jobs(tenant, "etsy")

    visit_orders(tenant, future)
    assert sync_jobs(tenant, "etsy") == etsy_syncs  # not queued
    with tenant_session(tenant) as session:
        (etsy,) = [s for s in order_checks.check_states(session) if s.marketplace == "etsy"]
        assert etsy.deferred_at == future  # what the dashboard shows
        assert etsy.due_at == future + timedelta(seconds=settings.etsy_deferred_check_s)
    shown = {c["marketplace"]: c for c in call("GET", "/orders/checks", token=seller["access_token"]).json}
    assert shown["etsy"]["deferred_at"] is not None and shown["ebay"]["deferred_at"] is None
    assert sync_jobs(tenant, "ebay") >= 1  # the other marketplaces' checks go on

    # The seller's own actions are never held back by the budget: a delist goes out.
    enqueue(tenant, JobRequest("etsy", "delete", product_ids=[product_id]))
    assert ("etsy", "delete", "completed") in [(m, a, s) for _, m, a, s in job_runner.run_all(tenant=tenant)]
    with tenant_session(tenant) as session:
        assert session.scalars(select(EtsyProduct.state).where(EtsyProduct.product_id == product_id)).one() == (
            "inactive"
        )

    # Once those calls have left the rolling day, the check is queued again and no longer deferred.
    later = future + timedelta(days=2)
    visit_orders(tenant, later)
    assert sync_jobs(tenant, "etsy") == etsy_syncs + 1
    with tenant_session(tenant) as session:
        assert order_checks.repository.get(session, "etsy").deferred_at is None
