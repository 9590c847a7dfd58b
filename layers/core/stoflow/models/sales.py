"""A sale and what it set off (the delist chain), the seller's alerts, and when each
marketplace's orders are next checked.

`sales` holds one row per (marketplace, order, product) we saw sold: when the buyer bought, when
we saw it, when its delist and quantity jobs were queued, and those jobs (`steps`, job ids by
marketplace). The jobs themselves stay the truth of what happened on each marketplace.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from stoflow.models.base import TENANT, Base

SALE_STATUSES = ("active", "oversold", "cancelled", "restored")
ALERT_KINDS = ("delist_failed", "oversold")


class Sale(Base):
    __tablename__ = "sales"
    __table_args__ = (
        UniqueConstraint("sold_on", "order_ref", "product_id", name="uq_sales_order_product"),
        CheckConstraint("status IN ('active', 'oversold', 'cancelled', 'restored')", name="status"),
        Index("ix_sales_product_id", "product_id"),
        Index("ix_sales_seen_at", "seen_at"),
        {"schema": TENANT},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    product_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("tenant.products.id", ondelete="SET NULL"))
    sold_on: Mapped[str] = mapped_column(String(16), nullable=False)
    # The marketplace's order (or transaction) reference: the same order seen again is this row.
    order_ref: Mapped[str] = mapped_column(String(128), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="active")
    # When the buyer bought (the marketplace's order time; unknown for some Vinted sightings).
    sold_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    delists_queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    restored_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the sale became final and the listings it had hidden were queued for deletion.
    final_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # [{"marketplace", "action" (delete | update | publish | hide | unhide), "job_id",
    #   "phase" (sale | restore | final)}]
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'"))


class Alert(Base):
    """Something the seller must act on (a listing of a sold item still live, a double sale);
    shown in the dashboard and sent by email once."""

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint("kind IN ('delist_failed', 'oversold')", name="kind"),
        UniqueConstraint("dedupe_key", name="uq_alerts_dedupe_key"),
        Index("ix_alerts_unread", "read_at", "created_at"),
        {"schema": TENANT},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    # One alert per fact (a job's failure, a sale's oversell), however often it is raised.
    dedupe_key: Mapped[str] = mapped_column(String(128), nullable=False)
    product_id: Mapped[int | None] = mapped_column(BigInteger)
    sale_id: Mapped[int | None] = mapped_column(BigInteger)
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    marketplace: Mapped[str | None] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OrderCheck(Base):
    """When a marketplace's orders were last checked for this tenant and when the next check is
    due (None: nothing to watch, no check). The scheduled order sync queues a check when due."""

    __tablename__ = "order_checks"
    __table_args__ = ({"schema": TENANT},)

    marketplace: Mapped[str] = mapped_column(String(16), primary_key=True)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set while the app's call budget (stoflow.domain.call_budget) holds the check back: when it
    # was deferred; cleared when a check is queued again.
    deferred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
