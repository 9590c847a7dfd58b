"""Etsy tables (tenant schema): the connection, our listings on Etsy, and the receipts synced from it.

One connection per tenant (a singleton row, id = 1), tokens stored encrypted. Etsy rotates the
refresh token on every refresh: the row always holds the latest one.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
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


class EtsyProduct(Timestamps, Base):
    __tablename__ = "etsy_products"
    __table_args__ = (
        UniqueConstraint("listing_id", name="uq_etsy_products_listing_id"),
        UniqueConstraint("product_id", name="uq_etsy_products_product_id"),
        CheckConstraint("state IN ('draft', 'active', 'inactive', 'sold_out', 'deleted')", name="state"),
        {"schema": TENANT},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    product_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("tenant.products.id", ondelete="SET NULL"))
    listing_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, server_default="draft")
    # Etsy image ids in display order (the label is never among them).
    image_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), nullable=False, server_default=text("'{}'"))
    url: Mapped[str | None] = mapped_column(Text)
    price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EtsyOrder(Timestamps, Base):
    __tablename__ = "etsy_orders"
    __table_args__ = (
        UniqueConstraint("receipt_id", name="uq_etsy_orders_receipt_id"),
        Index("ix_etsy_orders_ordered_at", "ordered_at", "id"),
        {"schema": TENANT},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    receipt_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    cancelled: Mapped[bool] = mapped_column(nullable=False, server_default=text("false"))
    buyer_name: Mapped[str | None] = mapped_column(String(255))
    total: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    ordered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    modified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # [{"listing_id", "transaction_id", "title", "quantity", "product_id"}]
    line_items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'"))
