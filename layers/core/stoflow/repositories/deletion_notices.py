"""Marketplace account deletion notices: recorded once each, then marked processed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from stoflow.models.deletion_notices import DeletionNotice


def record(
    session: Session, marketplace: str, notification_id: str, *, user_id: str | None, username: str | None
) -> None:
    """A notice delivered twice (the marketplace retries) is recorded once."""
    statement = insert(DeletionNotice).values(
        marketplace=marketplace, notification_id=notification_id, user_id=user_id, username=username
    )
    session.execute(statement.on_conflict_do_nothing(constraint="uq_deletion_notices_notification"))


def pending(session: Session, limit: int) -> list[DeletionNotice]:
    query = select(DeletionNotice).where(DeletionNotice.processed_at.is_(None)).order_by(DeletionNotice.id).limit(limit)
    return list(session.scalars(query))


def mark_processed(session: Session, ids: list[int], now: datetime) -> None:
    if ids:
        session.execute(update(DeletionNotice).where(DeletionNotice.id.in_(ids)).values(processed_at=now))
