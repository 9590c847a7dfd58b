"""When is this tenant's next orders check due, per marketplace: the cadence of sale detection.

The cadence follows the tenant's activity on each marketplace (config: order_check_*):

- a product listed there and on another marketplace: every `order_check_cross_listed_s` (3 min):
  a sale there must delist it elsewhere within 5 minutes;
- listed only there, or a sale made there in the last `order_check_after_sale_days` (a
  cancellation undoes it): every `order_check_listed_s` (1 h);
- nothing: no check at all.

The answer is a timestamp per tenant and marketplace (`order_checks.due_at`), written when a check
is queued and pulled forward to now when a listing goes live (stoflow.repositories.jobs.upsert_listing):
the minute schedule queues the checks that are due, visiting only the tenants the shared index
of due work names (kind "orders", due at the earliest of these timestamps), and so does the
Vinted extension's heartbeat while the seller's browser is open (`queue_if_due`: the same rule
from either side, keyed per minute).

A marketplace whose limit holds for the whole app (Etsy) also has a pace
(stoflow.domain.call_budget): every interval stretched so the app's polling fits the day's budget,
or the check deferred while the budget's polling part is spent. A deferred check is not queued,
only looked at again later; the seller's own actions (delists after a sale) never wait for it.

Below the marketplaces and services alike: the caller gives the marketplace's floor
(`min_order_check_s` of its descriptor), its order-sync action and its pace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from stoflow.config import get_settings
from stoflow.domain.call_budget import UNLIMITED, Pace
from stoflow.models.listings import MarketplaceListing
from stoflow.models.sales import Sale
from stoflow.repositories import jobs as jobs_repository
from stoflow.repositories import order_checks as repository


@dataclass(frozen=True)
class Activity:
    """What a tenant has on one marketplace, as far as the cadence cares."""

    cross_listed: int  # products live there and on another marketplace
    listed: int  # products live there
    recent_sales: int  # sales made there that a cancellation could still undo


def interval(activity: Activity, *, at_least_s: int = 0, stretch: float = 1.0) -> timedelta | None:
    """Time between two checks (None: nothing to watch); `at_least_s`: the marketplace's floor;
    `stretch`: the app-wide budget's factor (stoflow.domain.call_budget.Pace)."""
    settings = get_settings()
    if activity.cross_listed:
        base = settings.order_check_cross_listed_s
    elif activity.listed or activity.recent_sales:
        base = settings.order_check_listed_s
    else:
        return None
    return timedelta(seconds=max(round(base * max(stretch, 1.0)), at_least_s))


def activity(session: Session, marketplace: str, now: datetime) -> Activity:
    here, other = MarketplaceListing, aliased(MarketplaceListing)
    elsewhere = exists().where(
        and_(other.product_id == here.product_id, other.marketplace != marketplace, other.status == "listed")
    )
    listed, cross = session.execute(
        select(func.count(), func.count().filter(elsewhere)).where(
            here.marketplace == marketplace, here.status == "listed"
        )
    ).one()
    since = now - timedelta(days=get_settings().order_check_after_sale_days)
    recent = session.scalar(
        select(func.count()).where(Sale.sold_on == marketplace, Sale.status == "active", Sale.seen_at >= since)
    )
    return Activity(cross_listed=int(cross or 0), listed=int(listed or 0), recent_sales=int(recent or 0))


def is_due(session: Session, marketplace: str, now: datetime) -> bool:
    """A check of a marketplace never checked is due at once (its first read sets the cadence)."""
    row = repository.get(session, marketplace)
    if row is None:
        return True
    return row.due_at is not None and row.due_at <= now


def next_due(session: Session, marketplace: str) -> datetime | None:
    """When the marketplace's next check is due (None: none until a listing goes live); a
    marketplace never checked is due at once."""
    row = repository.get(session, marketplace)
    if row is None:
        return datetime.now(UTC)
    return row.due_at


def schedule_next(
    session: Session, marketplace: str, now: datetime, *, at_least_s: int = 0, pace: Pace = UNLIMITED
) -> datetime | None:
    """A check was just queued: when the next one is due (None: none until a listing goes live)."""
    step = interval(activity(session, marketplace, now), at_least_s=at_least_s, stretch=pace.stretch)
    due = now + step if step is not None else None
    repository.save(session, marketplace, now, due_at=due, deferred_at=None)
    return due


def slot_of(now: datetime) -> str:
    """The minute a check is queued in: two triggers in the same minute queue one job."""
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M")


def defer(session: Session, marketplace: str, now: datetime, pace: Pace) -> datetime:
    """The app's budget for polling is spent: the due check waits (it is not failed, not lost),
    and is looked at again `pace.defer_s` later, when older calls may have left the window."""
    due = now + timedelta(seconds=pace.defer_s)
    repository.save(session, marketplace, now, due_at=due, deferred_at=now)
    return due


def queue_if_due(
    session: Session,
    tenant_id: int,
    marketplace: str,
    action: str,
    now: datetime,
    *,
    at_least_s: int = 0,
    pace: Pace = UNLIMITED,
) -> bool:
    """Queue the marketplace's order check (job `action`) if it is due and the app's budget lets
    it go; whether one was queued."""
    from stoflow.jobs.service import JobRequest, enqueue_in_session

    if not is_due(session, marketplace, now):
        return False
    if pace.deferred:
        defer(session, marketplace, now, pace)
        return False
    key = f"{action}:{marketplace}:{slot_of(now)}"
    if jobs_repository.jobs_by_keys(session, [key]):
        return False
    enqueue_in_session(session, tenant_id, JobRequest(marketplace, action), job_keys=[key], validate=False)
    schedule_next(session, marketplace, now, at_least_s=at_least_s, pace=pace)
    return True


@dataclass(frozen=True)
class CheckState:
    """One marketplace's orders check as the dashboard shows it."""

    marketplace: str
    checked_at: datetime | None
    due_at: datetime | None
    # When the app's call budget last held the check back (None: it runs at its cadence): the
    # seller's sales are then detected later than usual, and due_at says when it is tried again.
    deferred_at: datetime | None


def check_states(session: Session) -> list[CheckState]:
    """Every marketplace checked so far: last checked, next due, and the budget's deferral."""
    return [
        CheckState(m, row.checked_at, row.due_at, row.deferred_at)
        for m, row in sorted(repository.all_checks(session).items())
    ]
