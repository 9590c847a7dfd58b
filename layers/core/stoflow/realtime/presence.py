"""WebSocket connections as the gateway's callers see them: a connection touched on every
message (or refused once its row is gone), its hello recorded, a tenant's connections listed, a
gone connection forgotten. Used by the message router, the @connections client and the job
notifier; the use cases (tickets, $connect, $disconnect, purge) are in stoflow.services.ws."""

from __future__ import annotations

from stoflow.auth import clock
from stoflow.db.tenancy import shared_session
from stoflow.errors import Forbidden, Unauthorized
from stoflow.repositories import ws as repo
from stoflow.repositories.ws import ConnectionRow


class UnknownConnection(Unauthorized):
    code = "unknown_connection"
    title = "This connection is not registered; reconnect with a new ticket"


def seen(connection_id: str) -> ConnectionRow:
    """Record activity on a connection; UnknownConnection when its row is gone (purged, or the
    @connections client found it gone)."""
    with shared_session() as session:
        row = repo.touch_connection(session, connection_id, clock.now())
    if row is None:
        raise UnknownConnection()
    return row


def hello(connection: ConnectionRow, client: str, version: str, capabilities: list[str]) -> None:
    if client != connection.client:
        # The ticket fixed the client kind; a dashboard connection cannot turn into an extension.
        raise Forbidden(f"this connection was opened for the {connection.client}", code="client_mismatch")
    with shared_session() as session:
        repo.touch_connection(
            session, connection.connection_id, clock.now(), client_version=version, capabilities=capabilities
        )


def connections_of(tenant_id: int, client: str | None = None) -> list[ConnectionRow]:
    with shared_session() as session:
        return repo.connections_of(session, tenant_id, client)


def forget(connection_id: str) -> None:
    """The gateway said the connection is gone (GoneException): drop its row."""
    with shared_session() as session:
        repo.delete_connection(session, connection_id)
