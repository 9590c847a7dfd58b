"""The seller's alerts: raised once per fact (a dedupe key), read in the dashboard, emailed once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from stoflow.models.sales import Alert
from stoflow.repositories.due_work import mark_due

# An alert is emailed right after its unit of work; the scheduled sweep looks again this much later
# and sends what that delivery could not (the mail service down, a container stopped).
SWEEP_AFTER = timedelta(minutes=5)


def raise_alert(session: Session, *, kind: str, dedupe_key: str, message: str, **refs: Any) -> None:
    """Record the alert unless the same fact was raised already (a retried job, a sync seen twice)."""
    statement = insert(Alert).values(kind=kind, dedupe_key=dedupe_key[:128], message=message, **refs)
    session.execute(statement.on_conflict_do_nothing(index_elements=[Alert.dedupe_key]))
    mark_due(session, "alerts", datetime.now(UTC) + SWEEP_AFTER)


def page(session: Session, *, unread: bool, limit: int, offset: int) -> tuple[list[Alert], int]:
    query = select(Alert)
    if unread:
        query = query.where(Alert.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit).offset(offset))
    return list(rows), int(total)


def get(session: Session, alert_id: int) -> Alert | None:
    return session.get(Alert, alert_id)


def not_emailed(session: Session, *, job_id: int | None = None) -> list[Alert]:
    query = select(Alert).where(Alert.emailed_at.is_(None))
    if job_id is not None:
        query = query.where(Alert.job_id == job_id)
    return list(session.scalars(query.order_by(Alert.id).with_for_update(skip_locked=True)))


def mark_emailed(session: Session, alert_ids: list[int], now: datetime) -> None:
    if alert_ids:
        session.execute(update(Alert).where(Alert.id.in_(alert_ids)).values(emailed_at=now))
