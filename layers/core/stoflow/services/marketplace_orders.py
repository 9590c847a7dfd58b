"""GET /orders: one filterable list over every marketplace's synced orders (each marketplace's
adapter gives its orders as one row shape)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from stoflow.errors import InvalidInput
from stoflow.marketplaces import registry
from stoflow.repositories import marketplace_orders as repository
from stoflow.repositories.marketplace_orders import OrderFilters


def list_orders(session: Session, filters: OrderFilters, limit: int, offset: int) -> tuple[list[Any], int]:
    for marketplace in filters.marketplaces:
        if registry.get(marketplace) is None:
            raise InvalidInput(f"unknown marketplace {marketplace!r}", code="unknown_marketplace")
    sources = {
        m.name: m.load("orders").select_orders
        for m in registry.all_marketplaces()
        if m.orders is not None and (not filters.marketplaces or m.name in filters.marketplaces)
    }
    return repository.page(session, sources, filters, limit, offset)
