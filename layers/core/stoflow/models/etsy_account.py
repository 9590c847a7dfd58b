"""The Etsy connection (tenant schema): one row per tenant (a singleton, id = 1), tokens stored
encrypted. Etsy rotates the refresh token on every refresh: the row always holds the latest one.

Apart from the listings and receipts (stoflow.models.etsy): the connection status and setup read
only this row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from stoflow.models.base import TENANT, Base, Timestamps

ETSY_LISTING_STATES = ("draft", "active", "inactive", "sold_out", "deleted")


class EtsyCredentials(Timestamps, Base):
    __tablename__ = "etsy_credentials"
    __table_args__ = (
        CheckConstraint("id = 1", name="singleton"),
        CheckConstraint("status IN ('connected', 'needs_reauth', 'disconnected')", name="status"),
        {"schema": TENANT},
    )

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False, server_default="1")
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    etsy_user_id: Mapped[int | None] = mapped_column(BigInteger)
    shop_id: Mapped[int | None] = mapped_column(BigInteger)
    shop_name: Mapped[str | None] = mapped_column(String(128))
    access_token_enc: Mapped[str | None] = mapped_column(Text)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refresh_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scopes: Mapped[str | None] = mapped_column(Text)
    shipping_profile_id: Mapped[int | None] = mapped_column(BigInteger)
    return_policy_id: Mapped[int | None] = mapped_column(BigInteger)
    # The processing profile ("readiness state") physical listings and their offerings name.
    readiness_state_id: Mapped[int | None] = mapped_column(BigInteger)
    default_taxonomy_id: Mapped[int | None] = mapped_column(Integer)
    orders_cursor: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    orders_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    connected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refreshed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
