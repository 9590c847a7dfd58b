"""Fixed-window counters in PostgreSQL (public.rate_limit_buckets): one upsert per hit.

The upsert is atomic per key, so concurrent Lambda containers count into the same window."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from stoflow.models.identity import RateLimitBucket


class Window(NamedTuple):
    started_at: datetime
    hits: int


def hit(session: Session, key: str, window_s: int, now: datetime) -> Window:
    """Count one hit; a window older than `window_s` restarts at `now` with this hit."""
    table = RateLimitBucket.__table__
    stmt = insert(table).values(key=key, window_started_at=now, hits=1)
    expired = table.c.window_started_at <= now - timedelta(seconds=window_s)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "window_started_at": case((expired, stmt.excluded.window_started_at), else_=table.c.window_started_at),
            "hits": case((expired, 1), else_=table.c.hits + 1),
        },
    ).returning(table.c.window_started_at, table.c.hits)
    row = session.execute(stmt).one()
    return Window(*row)


def peek(session: Session, key: str) -> Window | None:
    row = session.execute(
        select(RateLimitBucket.window_started_at, RateLimitBucket.hits).where(RateLimitBucket.key == key)
    ).first()
    return Window(*row) if row else None


def reset(session: Session, key: str) -> None:
    session.execute(delete(RateLimitBucket).where(RateLimitBucket.key == key))
