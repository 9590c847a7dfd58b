"""The eBay connection (tenant schema): one row per tenant (a singleton, id = 1).

Apart from the listings and orders (stoflow.models.ebay): the connection status and setup read
only this row, and a first request should not map tables it does not touch.

Tokens are stored encrypted (Fernet, see stoflow.marketplaces.common.crypto): the columns hold
ciphertext only. Disconnecting clears the tokens but keeps the row, so the order-sync cursor and
the chosen policies survive a reconnect.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from stoflow.models.base import TENANT, Base, Timestamps

CONNECTION_STATUSES = ("connected", "needs_reauth", "disconnected")
EBAY_LISTING_STATUSES = ("draft", "published", "withdrawn", "sold", "deleted")


class EbayCredentials(Timestamps, Base):
    __tablename__ = "ebay_credentials"
    __table_args__ = (
        CheckConstraint("id = 1", name="singleton"),
        CheckConstraint("status IN ('connected', 'needs_reauth', 'disconnected')", name="status"),
        {"schema": TENANT},
    )

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False, server_default="1")
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    environment: Mapped[str] = mapped_column(String(16), nullable=False)
    ebay_user_id: Mapped[str | None] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(128))
    access_token_enc: Mapped[str | None] = mapped_column(Text)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refresh_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scopes: Mapped[str | None] = mapped_column(Text)
    marketplace_id: Mapped[str] = mapped_column(String(32), nullable=False)
    merchant_location_key: Mapped[str | None] = mapped_column(String(36))
    fulfillment_policy_id: Mapped[str | None] = mapped_column(String(32))
    payment_policy_id: Mapped[str | None] = mapped_column(String(32))
    return_policy_id: Mapped[str | None] = mapped_column(String(32))
    default_category_id: Mapped[str | None] = mapped_column(String(16))
    # Where listings ship from: {"country", "postalCode", "city"} (merchant location).
    location: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    # Order sync: the lastModifiedDate up to which every order has been seen.
    orders_cursor: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    orders_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The seller's sale notices (stoflow.marketplaces.ebay.order_notices): "pending" from a new
    # connection until its watch_sales job runs, then "on", "off" (this server receives none) or
    # "needs_reconnect" (the consent predates the scopes notices need; so does a NULL).
    sale_notices: Mapped[str | None] = mapped_column(String(16))
    connected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refreshed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
