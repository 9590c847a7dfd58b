"""The tenant's products (schema placeholder `tenant`, translated per session).

Attributes point at the shared catalogues (product_attributes); colors and materials are lists,
kept as integer arrays (PostgreSQL cannot put a foreign key on an array, so the product service
checks each id against its catalogue).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
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
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from stoflow.models.base import TENANT, Base, Timestamps

PRODUCT_STATUSES = ("draft", "published", "sold", "archived")


def _catalog_fk(table: str) -> ForeignKey:
    # SET NULL: a catalogue entry retired by a migration must not take products with it.
    return ForeignKey(f"product_attributes.{table}.id", ondelete="SET NULL")


class Product(Timestamps, Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'sold', 'archived')", name="status"),
        CheckConstraint("price IS NULL OR price >= 0", name="price_non_negative"),
        CheckConstraint("cost_price IS NULL OR cost_price >= 0", name="cost_price_non_negative"),
        CheckConstraint("stock >= 0", name="stock_non_negative"),
        CheckConstraint("parcel_weight_g IS NULL OR parcel_weight_g > 0", name="parcel_weight_positive"),
        CheckConstraint("year_made IS NULL OR year_made BETWEEN 1000 AND 2100", name="year_made_range"),
        # The listing's default page: live products, newest first.
        Index("ix_products_live_created", "created_at", "id", postgresql_where=text("deleted_at IS NULL")),
        Index("ix_products_status", "status"),
        Index("ix_products_brand_id", "brand_id"),
        Index("ix_products_category_id", "category_id"),
        # A SKU identifies one live product; a deleted product frees its SKU.
        Index("uq_products_sku", "sku", unique=True, postgresql_where=text("deleted_at IS NULL AND sku IS NOT NULL")),
        {"schema": TENANT},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), nullable=False, server_default="EUR")
    brand_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("product_attributes.brands.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="draft")
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    category_id: Mapped[int | None] = mapped_column(Integer, _catalog_fk("categories"))
    size_id: Mapped[int | None] = mapped_column(Integer, _catalog_fk("sizes"))
    condition_id: Mapped[int | None] = mapped_column(Integer, _catalog_fk("conditions"))
    gender_id: Mapped[int | None] = mapped_column(Integer, _catalog_fk("genders"))
    season_id: Mapped[int | None] = mapped_column(Integer, _catalog_fk("seasons"))
    pattern_id: Mapped[int | None] = mapped_column(Integer, _catalog_fk("patterns"))
    color_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer), nullable=False, server_default=text("'{}'"))
    material_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer), nullable=False, server_default=text("'{}'"))
    # Flat measurements in centimetres, e.g. {"chest": 52, "length": 70, "inseam": 81}.
    measurements: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    parcel_weight_g: Mapped[int | None] = mapped_column(Integer)
    sku: Mapped[str | None] = mapped_column(String(64))
    stock: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    cost_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    internal_notes: Mapped[str | None] = mapped_column(Text)
    # When the item was made (a year; a decade as its first year): Etsy's when_made and its
    # vintage rule (20 years or more) come from it, never from a guess.
    year_made: Mapped[int | None] = mapped_column(SmallInteger)
    handmade: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    size_type_id: Mapped[int | None] = mapped_column(Integer, _catalog_fk("size_types"))
    # The seller's choices per marketplace over the category mapping and our attributes, e.g.
    # {"ebay": {"category_id": "11554", "aspects": {"Style": ["Skinny"]}}, "etsy": {"taxonomy_id": 2161},
    #  "vinted": {"catalog_id": 183}} (checked by the API schema).
    marketplace_overrides: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sold_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"version_id_col": version}
