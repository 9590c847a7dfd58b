"""Identity tables of the `public` schema: sessions and refresh tokens, rate limits, email
verification, subscription tiers and AI credit usage.

A session is one refresh-token family (one login on one device). Access tokens carry its id
(`sid`), so revoking the session revokes its refresh tokens and its live access tokens at once;
the per-request check is one statement joining two primary-key lookups (users, auth_sessions).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Identity, Integer, SmallInteger, String, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from stoflow.models.base import PUBLIC, Base

# Tiers and their quotas; the s0002 migration seeds the same rows. None means unlimited.
TIERS: dict[str, tuple[int | None, int]] = {
    "FREE": (30, 10),
    "STARTER": (200, 100),
    "PRO": (500, 500),
    "ENTERPRISE": (None, 5000),
}
DEFAULT_TIER = "FREE"


class SubscriptionQuota(Base):
    __tablename__ = "subscription_quotas"
    __table_args__ = {"schema": PUBLIC}

    tier: Mapped[str] = mapped_column(String(16), primary_key=True)
    max_products: Mapped[int | None] = mapped_column(Integer)
    ai_credits_monthly: Mapped[int] = mapped_column(Integer, nullable=False)
    position: Mapped[int] = mapped_column(SmallInteger, nullable=False)


class AiCreditUsage(Base):
    """AI credits spent by a user in one calendar month (UTC); the allowance is the tier's."""

    __tablename__ = "ai_credits"
    __table_args__ = {"schema": PUBLIC}

    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("public.users.id", ondelete="CASCADE"), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    used: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")


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


class RateLimitBucket(Base):
    """A fixed-window counter per key (e.g. "login:ip:203.0.113.9"); shared by every container."""

    __tablename__ = "rate_limit_buckets"
    __table_args__ = {"schema": PUBLIC}

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    hits: Mapped[int] = mapped_column(Integer, nullable=False)


class EmailVerificationToken(Base):
    __tablename__ = "email_verification_tokens"
    __table_args__ = {"schema": PUBLIC}

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("public.users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
