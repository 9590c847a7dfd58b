"""The app's calls to each marketplace, by hour and kind (public.marketplace_calls): added once per
unit of work, read as sums over a rolling window. Shared session only."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from stoflow.models.call_budgets import MarketplaceCalls

__all__ = ["add", "between", "hour_of"]


def hour_of(moment: datetime) -> datetime:
    """The bucket a call made at `moment` counts in: the start of its hour, UTC."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def add(session: Session, marketplace: str, moment: datetime, kind: str, calls: int, base_calls: float = 0.0) -> None:
    """Add `calls` made at `moment` to their hour's bucket (one upsert, however many calls)."""
    statement = insert(MarketplaceCalls).values(
        marketplace=marketplace, hour=hour_of(moment), kind=kind, calls=calls, base_calls=base_calls
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[MarketplaceCalls.marketplace, MarketplaceCalls.hour, MarketplaceCalls.kind],
            set_={
                "calls": MarketplaceCalls.calls + statement.excluded.calls,
                "base_calls": MarketplaceCalls.base_calls + statement.excluded.base_calls,
            },
        )
    )


def between(
    session: Session, marketplace: str, start: datetime, end: datetime
) -> list[tuple[datetime, str, int, float]]:
    """(hour, kind, calls, base calls) of every bucket from `start`'s hour to `end`'s."""
    rows = session.execute(
        select(
            MarketplaceCalls.hour,
            MarketplaceCalls.kind,
            func.sum(MarketplaceCalls.calls),
            func.sum(MarketplaceCalls.base_calls),
        )
        .where(MarketplaceCalls.marketplace == marketplace, MarketplaceCalls.hour.between(hour_of(start), hour_of(end)))
        .group_by(MarketplaceCalls.hour, MarketplaceCalls.kind)
    )
    return [(hour, kind, int(calls or 0), float(base or 0.0)) for hour, kind, calls, base in rows]
