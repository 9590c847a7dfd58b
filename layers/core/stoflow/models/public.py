"""Tables of the `public` schema: accounts and the tenant registry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Identity, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from stoflow.models.base import PUBLIC, Base, Timestamps


class User(Timestamps, Base):
    __tablename__ = "users"
    __table_args__ = {"schema": PUBLIC}

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False, server_default="user")
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="true")
    # Identity (s0002): null until the address is confirmed; the tier sets the quotas.
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    tier: Mapped[str] = mapped_column(
        String(16), ForeignKey("public.subscription_quotas.tier"), nullable=False, server_default="FREE"
    )


class Tenant(Base):
    """The registry of tenant schemas: migrations fan out over it; nothing else creates schemas."""

    __tablename__ = "tenants"
    __table_args__ = {"schema": PUBLIC}

    # The tenant id is the owning user's id; no foreign key so a tenant can exist before its user
    # row commits in the same transaction and outlive a user being anonymised.
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    schema_name: Mapped[str] = mapped_column(String(63), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
