"""Our listings as eBay knows them (ebay_products), and what a sale elsewhere changes there."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from stoflow.models.ebay import EbayProduct

# A sale elsewhere delists here (a delist that can be undone: the offer is withdrawn).
hides_on_sale = False


def by_product(session: Session, product_id: int) -> EbayProduct | None:
    return session.scalars(select(EbayProduct).where(EbayProduct.product_id == product_id)).first()


def by_skus(session: Session, skus: Sequence[str]) -> dict[str, EbayProduct]:
    rows = session.scalars(select(EbayProduct).where(EbayProduct.sku.in_(list(skus)))) if skus else []
    return {row.sku: row for row in rows}


def upsert(session: Session, sku: str, values: dict[str, Any]) -> None:
    statement = insert(EbayProduct).values(sku=sku, **values)
    session.execute(statement.on_conflict_do_update(index_elements=[EbayProduct.sku], set_=values))


def is_live(session: Session, product_id: int) -> bool:
    found = select(EbayProduct.id).where(EbayProduct.product_id == product_id, EbayProduct.status == "published")
    return session.scalar(found) is not None


def mark_sold(session: Session, product_id: int) -> None:
    row = by_product(session, product_id)
    if row is not None:
        row.status = "sold"
