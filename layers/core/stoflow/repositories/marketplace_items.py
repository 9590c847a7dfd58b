"""Queries shared by every marketplace's listings: the job system's listing state and our
products by SKU. Each marketplace's own listing table is queried in its adapter."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from stoflow.models.listings import MarketplaceListing
from stoflow.models.products import Product


def products_by_skus(session: Session, skus: Sequence[str]) -> dict[str, int]:
    if not skus:
        return {}
    rows = session.execute(
        select(Product.sku, Product.id).where(Product.sku.in_(list(skus)), Product.deleted_at.is_(None))
    )
    return {sku: pid for sku, pid in rows}


def listed_on(session: Session, product_id: int) -> set[str]:
    """The marketplaces where the job system last listed the product."""
    return set(
        session.scalars(
            select(MarketplaceListing.marketplace).where(
                MarketplaceListing.product_id == product_id, MarketplaceListing.status == "listed"
            )
        )
    )
