"""WebSocket state in `public`: single-use tickets for $connect, and the live connections.

Shared rather than per tenant: $connect finds a ticket and $disconnect a connection before any
tenant is known, and pushes look connections up by tenant id across one small table.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Identity, Index, Integer, String, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from stoflow.models.base import PUBLIC, Base

WS_CLIENTS = ("extension", "dashboard")
_CLIENTS_CHECK = "client IN ('extension', 'dashboard')"


class WsTicket(Base):
    __tablename__ = "ws_tickets"
    __table_args__ = (
        CheckConstraint(_CLIENTS_CHECK, name="client"),
        Index("ix_ws_tickets_expires_at", "expires_at"),
        {"schema": PUBLIC},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    ticket_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("public.users.id", ondelete="CASCADE"), nullable=False)
    tenant_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    client: Mapped[str] = mapped_column(String(16), nullable=False)
    # The paired extension device a ticket was issued to (extension tickets only).
    device_id: Mapped[int | None] = mapped_column(BigInteger)
    # The auth session that asked for it: a ticket of a revoked session (logout) opens nothing.
    session_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WsConnection(Base):
    __tablename__ = "ws_connections"
    __table_args__ = (
        CheckConstraint(_CLIENTS_CHECK, name="client"),
        Index("ix_ws_connections_tenant_id_client", "tenant_id", "client"),
        Index("ix_ws_connections_session_id", "session_id"),
        {"schema": PUBLIC},
    )

    connection_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("public.users.id", ondelete="CASCADE"), nullable=False)
    tenant_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    client: Mapped[str] = mapped_column(String(16), nullable=False)
    client_version: Mapped[str | None] = mapped_column(String(32))
    # Which paired device holds an extension connection: revoking it closes its sockets only.
    device_id: Mapped[int | None] = mapped_column(BigInteger)
    # The auth session whose ticket opened it: logout and revocation close it, pushes skip it.
    session_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    capabilities: Mapped[list[str] | None] = mapped_column(JSONB, nullable=True)
    connected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
