"""Sessions and their refresh tokens (`public` schema).

A session is one refresh-token family (one login on one device). Access tokens carry its id
(`sid`), so revoking the session revokes its refresh tokens and its live access tokens at once;
the per-request check is one statement joining two primary-key lookups (users, auth_sessions).
Apart from the other identity tables: that check runs on every function's first request, which
should map no table it does not read.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Integer, String, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from stoflow.models.base import PUBLIC, Base


class AuthSession(Base):
    __tablename__ = "auth_sessions"
    __table_args__ = {"schema": PUBLIC}

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("public.users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
    last_used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(32))


class RefreshToken(Base):
    """One refresh token of a session, stored as its SHA-256 (the token itself is 256 random bits,
    so a fast hash is enough: there is nothing to brute-force)."""

    __tablename__ = "refresh_tokens"
    __table_args__ = {"schema": PUBLIC}

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("public.auth_sessions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # Set when this token was exchanged for the next one; presenting it again is a reuse.
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
