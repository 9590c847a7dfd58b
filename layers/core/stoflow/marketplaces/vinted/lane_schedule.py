"""When a tenant's Vinted lane must be looked at again, and the scheduled tick that looks only at
the lanes that are due (stoflow.jobs.due, kind "lane"), never at every tenant.

A lane is due when a parked job may be sent (its kind's pacing slot, the end of a pause), when the
command in flight reaches its deadline, or when a parked job expires. Everything that can make it
due sooner marks it in its own transaction: a job parked (stoflow.jobs.transitions), the
extension's hello or a Vinted session back, an answer (the lane is free again), the seller's
resume. A lane waiting for the extension, the seller's resume or a Vinted page is not due: the
event it waits for marks it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, func, select
from sqlalchemy.orm import Session

from stoflow.db.tenancy import tenant_session
from stoflow.jobs import due
from stoflow.marketplaces.vinted import pacing
from stoflow.marketplaces.vinted.lane import (
    ACTION_KINDS,
    PARKED_CODES,
    VintedLane,
    lane_time,
)
from stoflow.marketplaces.vinted.outcomes import PAGE_WAIT_CODE
from stoflow.models.jobs import MarketplaceJob
from stoflow.models.vinted_account import VintedConnection

KIND = "lane"
Waiting = Any  # a row (action, queued: bool, page_retry_at: datetime | None)
Clock = Callable[[], datetime]


def next_due(session: Session, now: datetime, online: bool, plan: pacing.Plan) -> datetime | None:
    """The next moment this lane has something to do, from its row and its parked jobs."""
    lane = session.scalars(select(VintedConnection).where(VintedConnection.id == 1)).first()
    moments: list[datetime] = []
    if lane is not None and lane.inflight_job_id is not None:
        moments.append(lane.inflight_deadline_at or now)
    parked = and_(
        MarketplaceJob.marketplace == "vinted",
        MarketplaceJob.status == "waiting_extension",
        MarketplaceJob.error_code.in_((*PARKED_CODES, PAGE_WAIT_CODE)),
    )
    expires = session.scalar(select(func.min(MarketplaceJob.expires_at)).where(parked))
    if expires is not None:
        moments.append(expires)
    if online and (lane is None or lane.logged_in is not False):
        waiting = session.execute(
            select(
                MarketplaceJob.action,
                func.bool_or(MarketplaceJob.error_code != PAGE_WAIT_CODE).label("queued"),
                func.min(MarketplaceJob.next_attempt_at)
                .filter(MarketplaceJob.error_code == PAGE_WAIT_CODE)
                .label("page_retry_at"),
            )
            .where(parked, MarketplaceJob.cancel_requested.is_(False))
            .group_by(MarketplaceJob.action)
        ).all()
        moments.extend(_send_moments(lane, waiting, now, plan))
    return min(moments) if moments else None


def _send_moments(
    lane: VintedConnection | None, waiting: list[Waiting], now: datetime, plan: pacing.Plan
) -> list[datetime]:
    """When each waiting action may go: its kind's pacing slot, after any pause; a job waiting
    for a Vinted page goes at its retry time (or when a page is back, which marks the lane)."""
    if not waiting:
        return []
    if lane is None:
        return [now]
    if lane.resume_required:
        return []  # the seller's resume marks the lane
    start = max(now, lane.paused_until) if lane.paused_until is not None else now
    moments = []
    for action, queued, page_retry_at in waiting:
        moment = max(start, pacing.slot(lane, ACTION_KINDS.get(action, "write"), start, plan))
        if queued:
            moments.append(moment)
        elif page_retry_at is not None:
            moments.append(max(moment, page_retry_at))
    return moments


def visit(
    tenant_id: int, now: datetime, engine: Engine | None, *, clock: Callable[[], datetime] | None = None
) -> datetime | None:
    """One lane's due work: send what may go (and expire what ran out), then say when next."""
    lane = VintedLane(tenant_id, engine=engine, clock=clock)
    lane.dispatch()
    with tenant_session(tenant_id, engine=engine) as session:
        return next_due(session, lane.clock(), lane.extension_online, lane.plan)


def tick(engine: Engine | None = None, *, clock: Clock | None = None) -> dict[str, Any]:
    """Every minute: the lanes that are due (missed deadlines, ended gaps and pauses, expiries)."""
    from stoflow.db.engine import get_engine

    clock = clock or lane_time
    report = due.run(
        KIND,
        lambda tenant_id, now, engine: visit(tenant_id, now, engine, clock=clock),
        engine=engine or get_engine(),
        clock=clock,
    )
    return report.as_dict()
