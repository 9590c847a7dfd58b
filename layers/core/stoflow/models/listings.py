"""Each product's listing state on each marketplace, as our jobs last left it.

Apart from the jobs (stoflow.models.jobs): the product list reads it for every page, and the
products function should not map the job tables for that.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Identity,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from stoflow.models.base import TENANT, Base, Timestamps


class MarketplaceListing(Timestamps, Base):
    """A product's state on one marketplace, as our jobs last left it."""

    __tablename__ = "marketplace_listings"
    __table_args__ = (
        UniqueConstraint("product_id", "marketplace", name="uq_marketplace_listings_product_marketplace"),
        CheckConstraint("status IN ('listed', 'delisted', 'sold', 'error')", name="status"),
        {"schema": TENANT},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    product_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("tenant.products.id", ondelete="CASCADE"), nullable=False
    )
    marketplace: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    external_id: Mapped[str | None] = mapped_column(String(128))
    url: Mapped[str | None] = mapped_column(Text)
    last_job_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
