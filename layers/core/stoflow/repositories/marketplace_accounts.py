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

Account = TypeVar("Account")


# Where a session keeps the connection rows it read, for its unit of work.
_HELD = "stoflow_accounts"


@lru_cache(maxsize=32)
def _row_of(model: type[Any], lock: bool) -> Any:
    """The statement reading a connection's row, built once per model (and its cache key with
    it). A locked read refreshes a row the session already holds: it may have changed since."""
    query = select(model).where(model.id == 1)
    return query.with_for_update().execution_options(populate_existing=True) if lock else query


def get(session: Session, model: type[Account], *, lock: bool = False) -> Account | None:
    """The connection's row. Unlocked, read once per unit of work: a POST /jobs asks for it three
    times (the connection check, readiness, the job system's own check) and the database sees one
    SELECT. A locked read always goes to the database."""
    held: dict[type[Any], Any] = session.info.setdefault(_HELD, {})
    row = held.get(model)
    if lock or row is None or row not in session:
        row = session.scalars(_row_of(model, lock)).first()
        # The session's identity map holds rows weakly: kept here, the next ask finds it.
        held[model] = row
    return row


def scheduled_refresh_at(
    access_expires_at: datetime | None, refresh_expires_at: datetime | None, *, on_use: bool = False
) -> datetime | None:
    """When the scheduled refresh renews a connection's tokens (None: at once, the expiry is
    unknown): its access token's expiry less the schedule's margin; where access tokens are
    refreshed on use (`on_use`), its refresh token's end less the keep-alive margin."""
    from stoflow.config import get_settings

    settings = get_settings()
    if on_use and refresh_expires_at is not None:
        return refresh_expires_at - timedelta(seconds=settings.marketplace_refresh_token_keepalive_s)
    if access_expires_at is None:
        return None
    return access_expires_at - timedelta(seconds=settings.marketplace_scheduled_refresh_margin_s)


def tokens_written(
    session: Session,
    access_expires_at: datetime,
    refresh_expires_at: datetime | None = None,
    *,
    on_use: bool = False,
) -> None:
    """New tokens were stored: the scheduled refresh looks at the tenant again when they are due
    for it (kind "tokens" of due work, `scheduled_refresh_at`)."""
    from stoflow.repositories.due_work import mark_due  # writes only: a status read does not load it

    due_at = scheduled_refresh_at(access_expires_at, refresh_expires_at, on_use=on_use)
    assert due_at is not None  # an access token's expiry is given
    mark_due(session, "tokens", due_at)


def upsert(session: Session, model: type[Account], values: dict[str, Any], *, refresh_on_use: bool = False) -> Account:
    """Insert the connection row, or overwrite the given columns of the existing one.
    `refresh_on_use`: the marketplace's access tokens are refreshed on use (its descriptor)."""
    statement = insert(model).values(id=1, **values)
    statement = statement.on_conflict_do_update(index_elements=[model.id], set_={**values, "updated_at": func.now()})
    session.execute(statement)
    from stoflow.repositories.due_work import mark_due  # writes only: a status read does not load it

    if values.get("status") == "connected":
        # A connected marketplace's orders are synced from now on (kind "orders" of due work).
        mark_due(session, "orders", datetime.now(UTC))
    expires, lapses = values.get("access_expires_at"), values.get("refresh_expires_at")
    if isinstance(expires, datetime):
        tokens_written(session, expires, lapses if isinstance(lapses, datetime) else None, on_use=refresh_on_use)
    row = get(session, model)
    assert row is not None
    session.refresh(row)
    return row
