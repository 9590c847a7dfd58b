"""Identity tables of the `public` schema: rate limits, email verification, subscription tiers and
AI credit usage. Sessions and refresh tokens are in stoflow.models.sessions.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Identity, Integer, SmallInteger, String, func
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
