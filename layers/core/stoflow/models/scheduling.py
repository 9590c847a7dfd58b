"""The shared index of due work: which tenant has scheduled work of which kind, from when.

Scheduled functions read it instead of walking every tenant schema (their cost follows the tenants
with due work, not all tenants). A row is written in the same transaction as the work it points at
(stoflow.repositories.due_work.mark_due) and settled by the run that did the work."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from stoflow.models.base import PUBLIC, Base

# The kinds of scheduled work, each read by one schedule.
KINDS = ("alerts", "jobs", "lane", "orders", "purge", "tokens")


class DueWork(Base):
    __tablename__ = "due_work"
    __table_args__ = (Index("ix_due_work_kind_due_at", "kind", "due_at"), {"schema": PUBLIC})

    # No foreign key to public.tenants: a mark must never block, or be blocked by, provisioning.
    tenant_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # Bumped by every mark: a run settles a row only if nobody marked it while the run worked.
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="1")
    marked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
