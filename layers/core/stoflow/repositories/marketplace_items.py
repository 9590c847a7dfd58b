"""Queries on our listings as each marketplace knows them (ebay_products, etsy_products)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from stoflow.models.ebay import EbayProduct
from stoflow.models.etsy import EtsyProduct
from stoflow.models.jobs import MarketplaceListing
from stoflow.models.products import Product
from stoflow.models.vinted import VintedProduct


def ebay_by_product(session: Session, product_id: int) -> EbayProduct | None:
    return session.scalars(select(EbayProduct).where(EbayProduct.product_id == product_id)).first()


def ebay_by_skus(session: Session, skus: Sequence[str]) -> dict[str, EbayProduct]:
    rows = session.scalars(select(EbayProduct).where(EbayProduct.sku.in_(list(skus)))) if skus else []
    return {row.sku: row for row in rows}


def upsert_ebay(session: Session, sku: str, values: dict[str, Any]) -> None:
    statement = insert(EbayProduct).values(sku=sku, **values)
    session.execute(statement.on_conflict_do_update(index_elements=[EbayProduct.sku], set_=values))


def etsy_by_product(session: Session, product_id: int) -> EtsyProduct | None:
    return session.scalars(select(EtsyProduct).where(EtsyProduct.product_id == product_id)).first()


def etsy_by_listings(session: Session, listing_ids: Sequence[int]) -> dict[int, EtsyProduct]:
    if not listing_ids:
        return {}
    rows = session.scalars(select(EtsyProduct).where(EtsyProduct.listing_id.in_(list(listing_ids))))
    return {row.listing_id: row for row in rows}


def upsert_etsy(session: Session, listing_id: int, values: dict[str, Any]) -> None:
    statement = insert(EtsyProduct).values(listing_id=listing_id, **values)
    session.execute(statement.on_conflict_do_update(index_elements=[EtsyProduct.listing_id], set_=values))


def products_by_skus(session: Session, skus: Sequence[str]) -> dict[str, int]:
    if not skus:
        return {}
    rows = session.execute(
        select(Product.sku, Product.id).where(Product.sku.in_(list(skus)), Product.deleted_at.is_(None))
    )
    return {sku: pid for sku, pid in rows}


def marketplaces_listing(session: Session, product_id: int) -> set[str]:
    """Every marketplace where the product is live as far as we know: the job system's listing
    state (all three marketplaces), our own eBay/Etsy rows and the linked Vinted wardrobe items
    (imported listings included)."""
    live: set[str] = set(
        session.scalars(
            select(MarketplaceListing.marketplace).where(
                MarketplaceListing.product_id == product_id, MarketplaceListing.status == "listed"
            )
        )
    )
    if (
        session.scalar(
            select(EbayProduct.id).where(EbayProduct.product_id == product_id, EbayProduct.status == "published")
        )
        is not None
    ):
        live.add("ebay")
    if (
        session.scalar(
            select(EtsyProduct.id).where(EtsyProduct.product_id == product_id, EtsyProduct.state == "active")
        )
        is not None
    ):
        live.add("etsy")
    # A Vinted wardrobe item linked to the product (imported, not listed by a job of ours).
    if (
        session.scalar(
            select(VintedProduct.id)
            .where(
                VintedProduct.product_id == product_id,
                VintedProduct.is_closed.is_(False),
                VintedProduct.deleted_at.is_(None),
                VintedProduct.sold_at.is_(None),
            )
            .limit(1)
        )
        is not None
    ):
        live.add("vinted")
    return live


def mark_sold_on(session: Session, marketplace: str, product_id: int) -> None:
    if marketplace == "ebay":
        row = ebay_by_product(session, product_id)
        if row is not None:
            row.status = "sold"
    elif marketplace == "etsy":
        etsy_row = etsy_by_product(session, product_id)
        if etsy_row is not None:
            etsy_row.state = "sold_out"
