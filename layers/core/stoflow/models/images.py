"""product_images (tenant): one row per photo, so a label can be told apart from a product photo.

The legacy JSONB list could not mark the internal price-label photo, and 611 labels were published
to customers. Here `is_label` is a column, at most one label per product is a unique index, and
every marketplace converter chooses photos through stoflow.domain.photos, which drops labels.

A row starts `pending` when a presigned upload is handed out and becomes `ready` (with a position)
when `complete` has validated and stored the processed image.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from stoflow.models.base import TENANT, Base, Timestamps

IMAGE_STATUSES = ("pending", "ready")


class ProductImage(Timestamps, Base):
    __tablename__ = "product_images"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'ready')", name="status"),
        CheckConstraint("status = 'pending' OR position IS NOT NULL", name="ready_has_position"),
        CheckConstraint("storage_key IS NOT NULL OR url IS NOT NULL", name="has_location"),
        CheckConstraint("NOT is_label OR status = 'ready'", name="label_is_ready"),
        Index("ix_product_images_product_id_position", "product_id", "position"),
        # At most one label per product, whatever the code above it does.
        Index("uq_product_images_one_label", "product_id", unique=True, postgresql_where=text("is_label")),
        {"schema": TENANT},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    product_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("tenant.products.id", ondelete="CASCADE"), nullable=False
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="ready")
    # Our own objects have a key in the images bucket; migrated legacy images keep their URL.
    storage_key: Mapped[str | None] = mapped_column(String(512))
    url: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int | None] = mapped_column(Integer)
    is_label: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    alt_text: Mapped[str | None] = mapped_column(String(500))
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default=text("'{}'"))
    mime_type: Mapped[str | None] = mapped_column(String(64))
    file_size: Mapped[int | None] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    # The JSONB element this row came from (legacy migration): the downgrade restores it verbatim.
    legacy_source: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
