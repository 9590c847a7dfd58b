"""Where a product is listed: its state on each marketplace and its publication history.

Both answer 404 for a product that is not live in the caller's tenant (another tenant's id looks
exactly like an id that does not exist)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from stoflow.errors import NotFound
from stoflow.repositories import listings, products

__all__ = ["history", "listings_of"]


def _require_live(session: Session, product_id: int) -> None:
    if products.version_of(session, product_id) is None:
        raise NotFound(f"no such product: {product_id}", code="product_not_found")


def listings_of(session: Session, product_id: int, *, known_live: bool = False) -> list[Row[Any]]:
    """`known_live`: the caller has just read the product live in this transaction."""
    if not known_live:
        _require_live(session, product_id)
    return listings.listings_of(session, product_id)


def history(session: Session, product_id: int, limit: int, offset: int) -> tuple[list[Row[Any]], int]:
    _require_live(session, product_id)
    return listings.history_page(session, product_id, limit, offset)
