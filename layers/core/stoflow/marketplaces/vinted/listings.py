"""Our products as Vinted items (vinted_products: listed by us or imported from the wardrobe)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from stoflow.models.vinted import VintedProduct

# A deleted Vinted item cannot come back (its favourites and views are lost with it): a sale
# elsewhere hides it, and it is deleted once the sale is final (stoflow.domain.sales).
hides_on_sale = True


def is_live(session: Session, product_id: int) -> bool:
    """A Vinted wardrobe item linked to the product (imported, not listed by a job of ours)."""
    found = (
        select(VintedProduct.id)
        .where(
            VintedProduct.product_id == product_id,
            VintedProduct.is_closed.is_(False),
            VintedProduct.is_hidden.is_(False),
            VintedProduct.deleted_at.is_(None),
            VintedProduct.sold_at.is_(None),
        )
        .limit(1)
    )
    return session.scalar(found) is not None


def mark_sold(session: Session, product_id: int) -> None:
    """Nothing to change: the extension reports the Vinted item's own state."""
