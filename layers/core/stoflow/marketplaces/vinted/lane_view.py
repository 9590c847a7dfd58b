"""What the seller sees of the Vinted lane (GET /vinted/lane), and the seller's resume after a
pause (POST /vinted/lane/resume). Both run in the request's tenant session: the view reads, the
resume locks the lane row like the lane does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stoflow.marketplaces.vinted import pacing
from stoflow.marketplaces.vinted.lane import PARKED_CODES, SENT_CODE, VintedLane, build_command_name, lane_time
from stoflow.marketplaces.vinted.outcomes import PAGE_WAIT_CODE
from stoflow.models.jobs import MarketplaceJob
from stoflow.models.realtime import WsConnection
from stoflow.models.vinted_account import VintedConnection
from stoflow.repositories.due_work import mark_due


def _queued(session: Session) -> list[MarketplaceJob]:
    return list(
        session.scalars(
            select(MarketplaceJob)
            .where(
                MarketplaceJob.marketplace == "vinted",
                MarketplaceJob.status == "waiting_extension",
                MarketplaceJob.error_code.in_((*PARKED_CODES, PAGE_WAIT_CODE)),
                MarketplaceJob.cancel_requested.is_(False),
            )
            .order_by(MarketplaceJob.priority.desc(), MarketplaceJob.id)
            .limit(1)
        )
    )


def _extension_online(session: Session, tenant_id: int | None) -> bool:
    if tenant_id is None:
        return False
    return (
        session.scalar(
            select(func.count())
            .select_from(WsConnection)
            .where(
                WsConnection.tenant_id == tenant_id,
                WsConnection.client == "extension",
                WsConnection.client_version.is_not(None),
            )
        )
        or 0
    ) > 0


def state(session: Session, now: datetime | None = None) -> dict[str, Any]:
    """The lane as the dashboard shows it: queued commands, the one in flight, when the next may
    go, the writes used this hour and today against their caps, and any pause (why, until when,
    whether the seller's resume is awaited)."""
    now = now or lane_time()
    plan = pacing.Plan.from_settings()
    lane = session.scalars(select(VintedConnection).where(VintedConnection.id == 1)).first() or VintedConnection(
        id=1, write_log=[], read_log=[], pause_s=0, resume_required=False
    )
    queued = (
        session.scalar(
            select(func.count())
            .select_from(MarketplaceJob)
            .where(
                MarketplaceJob.marketplace == "vinted",
                MarketplaceJob.status == "waiting_extension",
                MarketplaceJob.error_code.in_((*PARKED_CODES, PAGE_WAIT_CODE, SENT_CODE)),
            )
        )
        or 0
    )
    head = _queued(session)
    paused = pacing.paused(lane, now)
    next_at: datetime | None = None
    if head and not paused:
        next_at = max(now, pacing.slot(lane, pacing.kind_of(build_command_name(head[0])), now, plan))
    pause_running = lane.paused_until is not None and lane.paused_until > now
    return {
        "queued": int(queued),
        "in_flight": (
            {
                "job_id": lane.inflight_job_id,
                "command": lane.inflight_command,
                "deadline_at": lane.inflight_deadline_at,
            }
            if lane.inflight_job_id is not None
            else None
        ),
        "next_command_at": next_at,
        **pacing.used(lane, now, plan),
        "writes_per_hour": plan.writes_per_hour,
        "writes_per_day": plan.writes_per_day,
        "reads_per_hour": plan.reads_per_hour,
        "paused": paused,
        "pause_reason": lane.pause_reason if paused else None,
        "paused_until": lane.paused_until if pause_running else None,
        "resume_required": bool(lane.resume_required),
        # The seller may confirm now; the lane still waits for paused_until when it is later.
        "can_resume": bool(lane.resume_required),
        "logged_in": lane.logged_in,
        "extension_online": _extension_online(session, session.info.get("tenant_id")),
    }


def resume(session: Session, now: datetime | None = None) -> dict[str, Any]:
    """The seller confirms the Vinted session is fine (idempotent). The next heartbeat of the
    extension, or the minute tick, sends what may go."""
    now = now or lane_time()
    pacing.resume(VintedLane.lock(session), now)
    mark_due(session, "lane", now)  # the tick looks at the lane again from now
    session.flush()
    return state(session, now)
