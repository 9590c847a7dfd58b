"""Calls made to a marketplace by the whole app, by the hour and kind: the record a per-app limit
(Etsy: 10,000 requests a day for every tenant together) is measured against.

Shared, not per tenant: the limit belongs to the app's API key. Hourly buckets keep the rolling
24 h sum a read of at most 25 rows per kind; each unit of work adds its calls once
(stoflow.repositories.marketplace_calls.add)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from stoflow.models.base import PUBLIC, Base


class MarketplaceCalls(Base):
    __tablename__ = "marketplace_calls"
    __table_args__ = ({"schema": PUBLIC},)

    marketplace: Mapped[str] = mapped_column(String(16), primary_key=True)
    # The start of the hour (UTC) the calls were made in.
    hour: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    # "orders" (order checks), "tokens" (scheduled token refreshes), "seller" (everything else).
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    calls: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")
    # Order checks only: what the calls would have been at the unstretched cadence (each call
    # times the stretch in force), so the demand is known however much polling was slowed.
    base_calls: Mapped[float] = mapped_column(Float, nullable=False, server_default="0")
