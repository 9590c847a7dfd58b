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
from typing import Any

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


def issue_ticket(principal: Principal, client: str) -> IssuedTicket:
    if client not in WS_CLIENTS:
        raise InvalidInput(f"client must be one of {', '.join(WS_CLIENTS)}", code="invalid_client")
    ttl = get_settings().ws_ticket_ttl_s
    now = clock.now()
    ticket = new_token()
    expires_at = now + timedelta(seconds=ttl)
    with shared_session() as session:
        device_id = _require_device(session, principal) if client == "extension" else None
        repo.add_ticket(session, digest(ticket), principal.user_id, principal.tenant_id, client, expires_at, device_id)
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
        repo.add_connection(session, connection_id, burnt.user_id, burnt.tenant_id, burnt.client, now, burnt.device_id)
    log.info(
        "ws connected", extra={"connection_id": connection_id, "tenant_id": burnt.tenant_id, "client": burnt.client}
    )
    from stoflow.observability import metric

    metric("WebSocketConnected", 1, client=burnt.client)
    return ConnectionRow(connection_id, burnt.user_id, burnt.tenant_id, burnt.client, burnt.device_id)


def close_connection(connection_id: str) -> bool:
    with shared_session() as session:
        return repo.delete_connection(session, connection_id)


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
