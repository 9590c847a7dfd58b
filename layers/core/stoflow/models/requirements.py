"""What the marketplaces require per category, cached in shared tables (product_attributes).

Filled by the scheduled refresh (stoflow.services.requirements), read by readiness: a user's
request never waits on a marketplace while a fresh copy is here. Rows are keyed by the
marketplace's category tree and stamped with the tree version they were read from; a new tree
version makes them stale, and the next refresh reads them again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from stoflow.models.base import CATALOG, Base


class MarketplaceCategoryTree(Base):
    """The category tree a marketplace site uses, and its version when last checked."""

    __tablename__ = "marketplace_category_trees"
    __table_args__ = {"schema": CATALOG}

    marketplace: Mapped[str] = mapped_column(String(16), primary_key=True)
    site: Mapped[str] = mapped_column(String(16), primary_key=True)
    tree_id: Mapped[str] = mapped_column(String(16), nullable=False)
    tree_version: Mapped[str] = mapped_column(String(32), nullable=False)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class MarketplaceRequirement(Base):
    """One category's requirements on one marketplace tree.

    aspects: [{"name", "required", "usage" (RECOMMENDED|OPTIONAL), "mode" (FREE_TEXT|SELECTION_ONLY),
    "cardinality" (SINGLE|MULTI), "values": [...]}]; conditions: the condition ids the category
    takes (eBay's Metadata API). `known` false: the marketplace does not know the category."""

    __tablename__ = "marketplace_requirements"
    __table_args__ = {"schema": CATALOG}

    marketplace: Mapped[str] = mapped_column(String(16), primary_key=True)
    tree_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    category_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tree_version: Mapped[str] = mapped_column(String(32), nullable=False)
    known: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    aspects: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'"))
    conditions: Mapped[list[str]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'"))
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
