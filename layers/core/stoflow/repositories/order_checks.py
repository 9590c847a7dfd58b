"""When each marketplace's orders were last checked, and when the next check is due."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from stoflow.models.sales import OrderCheck


def all_checks(session: Session) -> dict[str, OrderCheck]:
    return {row.marketplace: row for row in session.scalars(select(OrderCheck))}


def get(session: Session, marketplace: str) -> OrderCheck | None:
    return session.get(OrderCheck, marketplace)


def save(session: Session, marketplace: str, now: datetime, **values: datetime | None) -> None:
    """Upsert the marketplace's row with `values` (due_at, checked_at)."""
    statement = insert(OrderCheck).values(marketplace=marketplace, updated_at=now, **values)
    session.execute(
        statement.on_conflict_do_update(index_elements=[OrderCheck.marketplace], set_={"updated_at": now, **values})
    )


def wake(session: Session) -> None:
    """A listing went live: every marketplace's next check is due now (its cadence is worked out
    again then), so a new cross-listing is watched from the next minute."""
    session.execute(
        update(OrderCheck)
        .where(or_(OrderCheck.due_at.is_(None), OrderCheck.due_at > func.now()))
        .values(due_at=func.now(), updated_at=func.now())
    )


def mark_checked(session: Session, marketplace: str, now: datetime) -> None:
    """The marketplace's orders were just read (the dashboard says when)."""
    save(session, marketplace, now, checked_at=now)
