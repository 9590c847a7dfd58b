"""Our listings as Etsy knows them (etsy_products), and what a sale elsewhere changes there."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from stoflow.models.etsy import EtsyProduct

# A sale elsewhere delists here (a delist that can be undone: the listing is deactivated).
hides_on_sale = False


def by_product(session: Session, product_id: int) -> EtsyProduct | None:
    return session.scalars(select(EtsyProduct).where(EtsyProduct.product_id == product_id)).first()


def by_listings(session: Session, listing_ids: Sequence[int]) -> dict[int, EtsyProduct]:
    if not listing_ids:
        return {}
    rows = session.scalars(select(EtsyProduct).where(EtsyProduct.listing_id.in_(list(listing_ids))))
    return {row.listing_id: row for row in rows}


def upsert(session: Session, listing_id: int, values: dict[str, Any]) -> None:
    statement = insert(EtsyProduct).values(listing_id=listing_id, **values)
    session.execute(statement.on_conflict_do_update(index_elements=[EtsyProduct.listing_id], set_=values))


def is_live(session: Session, product_id: int) -> bool:
    found = select(EtsyProduct.id).where(EtsyProduct.product_id == product_id, EtsyProduct.state == "active")
    return session.scalar(found) is not None


def mark_sold(session: Session, product_id: int) -> None:
    row = by_product(session, product_id)
    if row is not None:
        row.state = "sold_out"
