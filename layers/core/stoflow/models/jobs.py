"""Marketplace jobs, their batches and the publication history. Each product's listing state is in
stoflow.models.listings.

`marketplace_jobs` is the truth; the queue only carries {tenant_id, job_id}.
"""

from __future__ import annotations

from datetime import datetime
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
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from stoflow.models.base import TENANT, Base, Timestamps

JOB_STATUSES = (
    "pending",
    "running",
    "waiting_extension",
    "unknown_outcome",
    "completed",
    "failed",
    "cancelled",
)
FINAL_STATUSES = ("completed", "failed", "cancelled")
_status_list = ", ".join(f"'{s}'" for s in JOB_STATUSES)


class MarketplaceBatch(Timestamps, Base):
    __tablename__ = "marketplace_batches"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_marketplace_batches_idempotency_key"),
        {"schema": TENANT},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    marketplace: Mapped[str] = mapped_column(String(16), nullable=False)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    # Fingerprint of the request that created the batch: the same key with another body is a 409.
    request_hash: Mapped[str | None] = mapped_column(String(64))
    total: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    completed: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    failed: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    cancelled: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    created_by: Mapped[int | None] = mapped_column(BigInteger)


class MarketplaceJob(Timestamps, Base):
    __tablename__ = "marketplace_jobs"
    __table_args__ = (
        CheckConstraint(f"status IN ({_status_list})", name="status"),
        CheckConstraint("attempts >= 0 AND max_attempts >= 1", name="attempts"),
        UniqueConstraint("idempotency_key", name="uq_marketplace_jobs_idempotency_key"),
        Index("ix_marketplace_jobs_status_next", "status", "next_attempt_at"),
        Index("ix_marketplace_jobs_batch_id", "batch_id"),
        Index("ix_marketplace_jobs_product_id", "product_id"),
        Index("ix_marketplace_jobs_created", "created_at", "id"),
        {"schema": TENANT},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    batch_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("tenant.marketplace_batches.id", ondelete="SET NULL")
    )
    marketplace: Mapped[str] = mapped_column(String(16), nullable=False)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    product_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("tenant.products.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), nullable=False, server_default="pending")
    priority: Mapped[int] = mapped_column(SmallInteger, nullable=False, server_default="0")
    attempts: Mapped[int] = mapped_column(SmallInteger, nullable=False, server_default="0")
    max_attempts: Mapped[int] = mapped_column(SmallInteger, nullable=False, server_default="5")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the running attempt must be over; past it, the reaper takes the job back.
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    idempotency_key: Mapped[str | None] = mapped_column(String(160))
    input: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    # The previous attempt's write has an unknown outcome: read before writing again.
    needs_reconcile: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    # When the queue message for the current attempt was sent; NULL: the sweeper must send one.
    message_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When a worker received a message of this job in a batch it had not started yet: that
    # message is in flight (healthy) until the queue's visibility timeout after this.
    message_received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PublicationHistory(Base):
    __tablename__ = "publication_history"
    __table_args__ = (
        Index("ix_publication_history_product", "product_id", "created_at"),
        {"schema": TENANT},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    product_id: Mapped[int | None] = mapped_column(BigInteger)
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    marketplace: Mapped[str] = mapped_column(String(16), nullable=False)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)
    external_id: Mapped[str | None] = mapped_column(String(128))
    error_code: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
