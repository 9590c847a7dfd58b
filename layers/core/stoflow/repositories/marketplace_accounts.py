"""Queries on the tenant's marketplace connection rows (each OAuth marketplace's credentials
table, given by its adapter).

Each is a singleton (id = 1). `lock=True` reads it FOR UPDATE: token refreshes serialise on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from stoflow.repositories.due_work import mark_due

Account = TypeVar("Account")


@lru_cache(maxsize=32)
def _row_of(model: type[Any], lock: bool) -> Any:
    """The statement reading a connection's row, built once per model (readiness reads it on
    every POST /jobs)."""
    query = select(model).where(model.id == 1)
    return query.with_for_update() if lock else query


def get(session: Session, model: type[Account], *, lock: bool = False) -> Account | None:
    return session.scalars(_row_of(model, lock)).first()


def tokens_written(
    session: Session, access_expires_at: datetime, *, refresh_expires_at: datetime | None = None
) -> None:
    """New tokens were stored: the scheduled refresh looks at the tenant again when they are about
    to expire (kind "tokens" of due work). `refresh_expires_at`, for a marketplace whose access
    tokens are refreshed on use: when the refresh token is about to lapse instead."""
    from stoflow.config import get_settings

    settings = get_settings()
    if refresh_expires_at is not None:
        mark_due(
            session, "tokens", refresh_expires_at - timedelta(seconds=settings.marketplace_refresh_token_keepalive_s)
        )
        return
    mark_due(session, "tokens", access_expires_at - timedelta(seconds=settings.marketplace_scheduled_refresh_margin_s))


def upsert(session: Session, model: type[Account], values: dict[str, Any], *, refresh_on_use: bool = False) -> Account:
    """Insert the connection row, or overwrite the given columns of the existing one.
    `refresh_on_use`: the marketplace's access tokens are refreshed on use (its descriptor)."""
    statement = insert(model).values(id=1, **values)
    statement = statement.on_conflict_do_update(index_elements=[model.id], set_={**values, "updated_at": func.now()})
    session.execute(statement)
    if values.get("status") == "connected":
        # A connected marketplace's orders are synced from now on (kind "orders" of due work).
        mark_due(session, "orders", datetime.now(UTC))
    expires, lapses = values.get("access_expires_at"), values.get("refresh_expires_at")
    if isinstance(expires, datetime):
        on_use = refresh_on_use and isinstance(lapses, datetime)
        tokens_written(session, expires, refresh_expires_at=lapses if on_use else None)
    row = get(session, model)
    assert row is not None
    session.refresh(row)
    return row
