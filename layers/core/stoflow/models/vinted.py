"""Vinted tables (tenant schema): our listings, orders, conversations. The extension lane's state
(`vinted_connection`) is in stoflow.models.vinted_account.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from stoflow.models.base import TENANT, Base, Timestamps


class VintedProduct(Timestamps, Base):
    """One item of the seller's Vinted wardrobe, linked to our product when we know which."""

    __tablename__ = "vinted_products"
    __table_args__ = (
        UniqueConstraint("vinted_item_id", name="uq_vinted_products_vinted_item_id"),
        Index("ix_vinted_products_product_id", "product_id"),
        {"schema": TENANT},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    vinted_item_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    product_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("tenant.products.id", ondelete="SET NULL"))
    title: Mapped[str | None] = mapped_column(String(200))
    price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    status: Mapped[str | None] = mapped_column(String(50))
    url: Mapped[str | None] = mapped_column(Text)
    photo_url: Mapped[str | None] = mapped_column(Text)
    is_closed: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    is_hidden: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    is_reserved: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    is_draft: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    view_count: Mapped[int | None] = mapped_column(Integer)
    favourite_count: Mapped[int | None] = mapped_column(Integer)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sold_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class VintedOrder(Timestamps, Base):
    __tablename__ = "vinted_orders"
    __table_args__ = (
        UniqueConstraint("transaction_id", name="uq_vinted_orders_transaction_id"),
        Index("ix_vinted_orders_vinted_item_id", "vinted_item_id"),
        {"schema": TENANT},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    transaction_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    conversation_id: Mapped[int | None] = mapped_column(BigInteger)
    vinted_item_id: Mapped[int | None] = mapped_column(BigInteger)
    product_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("tenant.products.id", ondelete="SET NULL"))
    title: Mapped[str | None] = mapped_column(String(200))
    price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    status: Mapped[str | None] = mapped_column(String(100))
    buyer: Mapped[str | None] = mapped_column(String(100))
    ordered_at: Mapped[str | None] = mapped_column(String(40))
    raw: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))


class VintedConversation(Timestamps, Base):
    __tablename__ = "vinted_conversations"
    __table_args__ = (
        UniqueConstraint("conversation_id", name="uq_vinted_conversations_conversation_id"),
        {"schema": TENANT},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    conversation_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    opposite_user: Mapped[str | None] = mapped_column(String(100))
    opposite_user_id: Mapped[int | None] = mapped_column(BigInteger)
    unread: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    description: Mapped[str | None] = mapped_column(Text)
    last_message_at: Mapped[str | None] = mapped_column(String(40))
    # The latest messages fetched (oldest first), as the extension summarised them.
    messages: Mapped[list[Any]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'"))
