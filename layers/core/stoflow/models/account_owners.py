"""Which tenant a marketplace account belongs to (public schema): how a marketplace's own
notice, which names the seller's account and not our tenant, reaches that tenant. Written when
the account's identity is read after a connection, removed when the tenant lets it go."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from stoflow.models.base import PUBLIC, Base


class MarketplaceAccountOwner(Base):
    __tablename__ = "marketplace_account_owners"
    __table_args__ = ({"schema": PUBLIC},)

    marketplace: Mapped[str] = mapped_column(String(16), primary_key=True)
    # The marketplace's immutable id of the account (eBay: the user id its notices carry).
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # No foreign key to public.tenants, as in due_work: a row never blocks deprovisioning. One
    # account may be connected to two tenants (a seller with two workspaces): both are told.
    tenant_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
