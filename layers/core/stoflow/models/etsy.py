"""Etsy tables (tenant schema): our listings on Etsy, and the receipts synced from it. The
connection is in stoflow.models.etsy_account.
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
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from stoflow.models.base import TENANT, Base, Timestamps

ETSY_LISTING_STATES = ("draft", "active", "inactive", "sold_out", "deleted")


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
