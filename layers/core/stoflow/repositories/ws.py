"""Queries on public.ws_tickets and public.ws_connections (shared schema: plain Core, no tenant map)."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, bindparam, delete, exists, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from stoflow.models.realtime import WsConnection, WsTicket
from stoflow.models.sessions import AuthSession


class BurntTicket(NamedTuple):
    user_id: int
    tenant_id: int
    client: str
    device_id: int | None = None
    session_id: uuid.UUID | None = None


class ConnectionRow(NamedTuple):
    connection_id: str
    user_id: int
    tenant_id: int
    client: str
    device_id: int | None = None
    session_id: uuid.UUID | None = None


# The columns a ConnectionRow is read from, in its field order.
_ROW = (
    WsConnection.connection_id,
    WsConnection.user_id,
    WsConnection.tenant_id,
    WsConnection.client,
    WsConnection.device_id,
    WsConnection.session_id,
)


def _live(session_id: Any) -> ColumnElement[bool]:
    """The auth session named by `session_id` is not revoked (one primary-key lookup)."""
    return exists().where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))


# Connections opened before sessions were recorded carry none; they end with their 2-hour limit.
# The same rule is written in SQL in public.stoflow_live_dashboards (migration s0017).
_CONNECTION_LIVE = or_(WsConnection.session_id.is_(None), _live(WsConnection.session_id))


def add_ticket(
    session: Session,
    ticket_hash: str,
    user_id: int,
    tenant_id: int,
    client: str,
    expires_at: datetime,
    device_id: int | None = None,
    session_id: uuid.UUID | None = None,
) -> None:
    session.execute(
        insert(WsTicket).values(
            ticket_hash=ticket_hash,
            user_id=user_id,
            tenant_id=tenant_id,
            client=client,
            expires_at=expires_at,
            device_id=device_id,
            session_id=session_id,
        )
    )


def burn_ticket(session: Session, ticket_hash: str, now: datetime) -> BurntTicket | None:
    """Mark the ticket used if it is unused, unexpired and its auth session still live, in one
    statement: two $connect calls racing with the same ticket cannot both win (the second UPDATE
    finds used_at set), and a ticket taken before a logout opens nothing after it."""
    row = session.execute(
        update(WsTicket)
        .where(
            WsTicket.ticket_hash == ticket_hash,
            WsTicket.used_at.is_(None),
            WsTicket.expires_at > now,
            _live(WsTicket.session_id),
        )
        .values(used_at=now)
        .returning(WsTicket.user_id, WsTicket.tenant_id, WsTicket.client, WsTicket.device_id, WsTicket.session_id)
    ).first()
    return BurntTicket(*row) if row else None


def purge_tickets(session: Session, before: datetime) -> int:
    result = session.execute(delete(WsTicket).where(WsTicket.expires_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def add_connection(
    session: Session,
    connection_id: str,
    user_id: int,
    tenant_id: int,
    client: str,
    now: datetime,
    device_id: int | None = None,
    session_id: uuid.UUID | None = None,
) -> None:
    # API Gateway never reuses a connection id; an upsert still keeps a retried $connect harmless.
    stmt = insert(WsConnection).values(
        connection_id=connection_id,
        user_id=user_id,
        tenant_id=tenant_id,
        client=client,
        connected_at=now,
        last_seen_at=now,
        device_id=device_id,
        session_id=session_id,
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[WsConnection.connection_id],
            set_={
                "user_id": user_id,
                "tenant_id": tenant_id,
                "client": client,
                "last_seen_at": now,
                "device_id": device_id,
                "session_id": session_id,
            },
        )
    )


def get_connection(session: Session, connection_id: str) -> ConnectionRow | None:
    row = session.execute(select(*_ROW).where(WsConnection.connection_id == connection_id)).first()
    return ConnectionRow(*row) if row else None


def touch_connection(session: Session, connection_id: str, now: datetime, **values: Any) -> ConnectionRow | None:
    """Record activity (and hello's version/capabilities); None when the connection is unknown or
    its auth session was revoked (the socket of a logged-out session is not served)."""
    row = session.execute(
        update(WsConnection)
        .where(WsConnection.connection_id == connection_id, _CONNECTION_LIVE)
        .values(last_seen_at=now, **values)
        .returning(*_ROW)
    ).first()
    return ConnectionRow(*row) if row else None


def delete_connection(session: Session, connection_id: str) -> bool:
    result = session.execute(delete(WsConnection).where(WsConnection.connection_id == connection_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


@cache
def _connections_statement(client: str | None) -> Select[Any]:
    # Built once per kind of client: building the statement and its cache key each time cost more
    # than sending it.
    statement = select(*_ROW).where(WsConnection.tenant_id == bindparam("tenant_id"), _CONNECTION_LIVE)
    if client is not None:
        statement = statement.where(WsConnection.client == client)
    return statement.order_by(WsConnection.connected_at)


def connections_of(session: Session, tenant_id: int, client: str | None = None) -> list[ConnectionRow]:
    """The tenant's connections whose auth session is live: pushes never reach a revoked session's
    socket, even one whose close failed or raced with the revocation."""
    rows = session.execute(_connections_statement(client), {"tenant_id": tenant_id})
    return [ConnectionRow(*row) for row in rows]


def connections_of_session(
    session: Session, session_id: uuid.UUID, *, device_id: int | None = None
) -> list[ConnectionRow]:
    """Every connection opened with a ticket of this auth session (to close it when the session
    ends), and an extension device's connections opened before sessions were recorded."""
    condition = WsConnection.session_id == session_id
    if device_id is not None:
        condition = or_(condition, WsConnection.device_id == device_id)
    return [ConnectionRow(*row) for row in session.execute(select(*_ROW).where(condition))]


def purge_connections(session: Session, idle_before: datetime) -> int:
    """Rows whose $disconnect never arrived (API Gateway delivers it best-effort)."""
    result = session.execute(delete(WsConnection).where(WsConnection.last_seen_at < idle_before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
