"""eBay tables (tenant schema): our listings on eBay, and the orders synced from it. The
connection is in stoflow.models.ebay_account.
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
    Numeric,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from stoflow.models.base import TENANT, Base, Timestamps

CONNECTION_STATUSES = ("connected", "needs_reauth", "disconnected")
EBAY_LISTING_STATUSES = ("draft", "published", "withdrawn", "sold", "deleted")


class EbayProduct(Timestamps, Base):
    """One of our products as an eBay inventory item (SKU) and offer; imported listings may have
    no product yet."""

    __tablename__ = "ebay_products"
    __table_args__ = (
        UniqueConstraint("sku", name="uq_ebay_products_sku"),
        UniqueConstraint("product_id", name="uq_ebay_products_product_id"),
        CheckConstraint("status IN ('draft', 'published', 'withdrawn', 'sold', 'deleted')", name="status"),
        Index("ix_ebay_products_listing_id", "listing_id"),
        {"schema": TENANT},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    product_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("tenant.products.id", ondelete="SET NULL"))
    sku: Mapped[str] = mapped_column(String(50), nullable=False)
    offer_id: Mapped[str | None] = mapped_column(String(32))
    listing_id: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="draft")
    marketplace_id: Mapped[str] = mapped_column(String(32), nullable=False)
    category_id: Mapped[str | None] = mapped_column(String(16))
    price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    title: Mapped[str | None] = mapped_column(String(200))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    imported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EbayOrder(Timestamps, Base):
    __tablename__ = "ebay_orders"
    __table_args__ = (
        UniqueConstraint("order_id", name="uq_ebay_orders_order_id"),
        Index("ix_ebay_orders_ordered_at", "ordered_at", "id"),
        {"schema": TENANT},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    payment_status: Mapped[str | None] = mapped_column(String(32))
    cancelled: Mapped[bool] = mapped_column(nullable=False, server_default=text("false"))
    buyer_username: Mapped[str | None] = mapped_column(String(128))
    total: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    ordered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    modified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # [{"sku", "title", "quantity", "product_id", "legacy_item_id"}]
    line_items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'"))
