"""The seller's alerts from the dashboard: reading one marks it read (delivery: stoflow.realtime.alerts)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from stoflow.errors import NotFound
from stoflow.models.sales import Alert
from stoflow.repositories import alerts as repository


def mark_read(session: Session, alert_id: int, now: datetime | None = None) -> Alert:
    alert = repository.get(session, alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id}", code="alert_not_found")
    alert.read_at = alert.read_at or now or datetime.now(UTC)
    session.flush()
    return alert
