"""Marketplace account deletion notices (public schema): recorded when the marketplace sends them,
processed in batches over the tenants (stoflow.services.deletion_notices)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Identity, Index, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from stoflow.models.base import PUBLIC, Base


class DeletionNotice(Base):
    __tablename__ = "deletion_notices"
    __table_args__ = (
        UniqueConstraint("marketplace", "notification_id", name="uq_deletion_notices_notification"),
        Index("ix_deletion_notices_pending", "processed_at", "id"),
        {"schema": PUBLIC},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    marketplace: Mapped[str] = mapped_column(String(16), nullable=False)
    notification_id: Mapped[str] = mapped_column(String(64), nullable=False)
    user_id: Mapped[str | None] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
