"""WebSocket use cases: tickets for $connect, connections opened and closed, hello and heartbeats.

Why tickets: a browser cannot set an Authorization header on a WebSocket handshake, and an access
token in a URL would sit in logs for its whole lifetime. A ticket is single use, lives 60 seconds,
is bound to one user, tenant and client kind, and only its SHA-256 is stored.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from stoflow.auth import clock
from stoflow.auth.opaque import digest, new_token
from stoflow.auth.principal import Principal
from stoflow.config import get_settings
from stoflow.db.tenancy import shared_session
from stoflow.errors import Forbidden, InvalidInput, Unauthorized
from stoflow.models.realtime import WS_CLIENTS
from stoflow.realtime.presence import UnknownConnection, connections_of, forget, hello, seen
from stoflow.repositories import ws as repo
from stoflow.repositories.ws import ConnectionRow

if TYPE_CHECKING:
    from stoflow.realtime.connections import ConnectionsClient

log = logging.getLogger(__name__)

# How long a connection may stay silent before the purge drops its row. API Gateway closes idle
# connections after 10 minutes and every connection after 2 hours, but $disconnect is best-effort.
STALE_CONNECTION_S = 3 * 3600


class TicketRefused(Unauthorized):
    code = "invalid_ticket"
    title = "Invalid, expired or already used WebSocket ticket"


@dataclass(frozen=True, slots=True)
class IssuedTicket:
    ticket: str
    client: str
    expires_in: int
    expires_at: datetime


def _require_device(session: Session, principal: Principal) -> int:
    """An extension connection receives execute_job commands and may report results: only a paired
    device's own session may open one, never a dashboard login."""
    from stoflow.repositories.extension_devices import device_for_session

    try:
        session_id = uuid.UUID(principal.session_id)
    except ValueError:
        session_id = None
    device = device_for_session(session, session_id) if session_id is not None else None
    if device is None or device.revoked_at is not None:
        raise Forbidden(
            "extension connections need a paired device's token (POST /extension/pair)",
            code="not_an_extension_device",
        )
    return device.id


def _session_uuid(principal: Principal) -> uuid.UUID | None:
    try:
        return uuid.UUID(principal.session_id)
    except ValueError:
        return None


def issue_ticket(principal: Principal, client: str) -> IssuedTicket:
    if client not in WS_CLIENTS:
        raise InvalidInput(f"client must be one of {', '.join(WS_CLIENTS)}", code="invalid_client")
    ttl = get_settings().ws_ticket_ttl_s
    now = clock.now()
    ticket = new_token()
    expires_at = now + timedelta(seconds=ttl)
    with shared_session() as session:
        device_id = _require_device(session, principal) if client == "extension" else None
        repo.add_ticket(
            session,
            digest(ticket),
            principal.user_id,
            principal.tenant_id,
            client,
            expires_at,
            device_id,
            session_id=_session_uuid(principal),
        )
    return IssuedTicket(ticket=ticket, client=client, expires_in=ttl, expires_at=expires_at)


def open_connection(connection_id: str, ticket: str | None) -> ConnectionRow:
    """$connect: burn the ticket and store the connection, in one transaction (a connection row
    never exists without its ticket spent, and a spent ticket always names a stored connection)."""
    if not ticket or len(ticket) > 256:
        raise TicketRefused("a ticket is required: POST /ws/tickets, then connect with ?ticket=")
    now = clock.now()
    with shared_session() as session:
        burnt = repo.burn_ticket(session, digest(ticket), now)
        if burnt is None:
            raise TicketRefused()
        repo.add_connection(
            session,
            connection_id,
            burnt.user_id,
            burnt.tenant_id,
            burnt.client,
            now,
            burnt.device_id,
            session_id=burnt.session_id,
        )
    log.info(
        "ws connected", extra={"connection_id": connection_id, "tenant_id": burnt.tenant_id, "client": burnt.client}
    )
    from stoflow.observability import metric

    metric("WebSocketConnected", 1, client=burnt.client)
    return ConnectionRow(connection_id, burnt.user_id, burnt.tenant_id, burnt.client, burnt.device_id, burnt.session_id)


def close_connection(connection_id: str) -> bool:
    with shared_session() as session:
        return repo.delete_connection(session, connection_id)


def close_connections(rows: list[ConnectionRow], client: ConnectionsClient | None = None) -> int:
    """Ask the gateway to close these connections (it then calls $disconnect, which deletes each
    row); returns how many it accepted. One failing close is logged and the others still go: the
    row goes at its $disconnect or at the purge, and pushes skip a revoked session meanwhile."""
    if not rows:
        return 0
    from stoflow.realtime.connections import ConnectionsClient

    gateway = client or ConnectionsClient()
    closed = 0
    for row in rows:
        try:
            gateway.close(row.connection_id)
            closed += 1
        except Exception:
            log.exception("closing ws connection %s failed", row.connection_id)
    return closed


def close_session_connections(session_id: uuid.UUID, client: ConnectionsClient | None = None) -> int:
    """Close every socket opened with a ticket of this auth session: logout and every other
    revocation of a session call it once the revocation is committed."""
    with shared_session() as session:
        rows = repo.connections_of_session(session, session_id)
    return close_connections(rows, client)


def purge(now: datetime | None = None) -> tuple[int, int]:
    """Delete expired tickets and connections silent for hours; (tickets, connections) deleted."""
    now = now or clock.now()
    with shared_session() as session:
        tickets = repo.purge_tickets(session, now - timedelta(hours=1))
        connections = repo.purge_connections(session, now - timedelta(seconds=STALE_CONNECTION_S))
    return tickets, connections


__all__ = [
    "IssuedTicket",
    "TicketRefused",
    "UnknownConnection",
    "close_connection",
    "connections_of",
    "forget",
    "hello",
    "issue_ticket",
    "message_router",
    "open_connection",
    "purge",
    "seen",
]


def message_router() -> Any:
    """The route table of ws_message: hello and heartbeat, plus every marketplace's actions."""
    from stoflow.config import get_settings
    from stoflow.marketplaces.registry import register_ws_routes
    from stoflow.realtime.router import MessageRouter, register_basics

    router = MessageRouter(max_message_bytes=get_settings().ws_max_message_bytes)
    register_basics(router)
    register_ws_routes(router)
    return router
