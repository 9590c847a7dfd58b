"""Orders from marketplaces: stored once per order (upsert by the marketplace's id), a new sale
passed on to the sales service, and the one filterable list behind GET /orders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from stoflow.errors import InvalidInput
from stoflow.jobs.handlers import MARKETPLACES
from stoflow.repositories import marketplace_orders as repository
from stoflow.repositories.marketplace_orders import OrderFilters
from stoflow.services import sales


@dataclass
class OrderLine:
    item_ref: str  # eBay SKU, Etsy listing id
    title: str | None
    quantity: int
    product_id: int | None = None


@dataclass
class OrderRecord:
    external_id: str
    status: str
    cancelled: bool
    ordered_at: datetime
    modified_at: datetime | None
    total: Decimal | None
    currency: str | None
    buyer: str | None
    lines: list[OrderLine] = field(default_factory=list)


@dataclass
class StoredOrders:
    new: int = 0
    updated: int = 0
    sold_product_ids: list[int] = field(default_factory=list)
    delist_job_ids: list[int] = field(default_factory=list)


def _row(marketplace: str, order: OrderRecord) -> dict[str, Any]:
    lines = [
        {"item_ref": line.item_ref, "title": line.title, "quantity": line.quantity, "product_id": line.product_id}
        for line in order.lines
    ]
    common = {
        "status": order.status[:32],
        "cancelled": order.cancelled,
        "total": order.total,
        "currency": order.currency,
        "ordered_at": order.ordered_at,
        "modified_at": order.modified_at,
        "line_items": lines,
    }
    if marketplace == "ebay":
        return {"order_id": order.external_id, "buyer_username": order.buyer, **common}
    return {"receipt_id": int(order.external_id), "buyer_name": order.buyer, **common}


def store_orders(session: Session, tenant_id: int, marketplace: str, orders: Sequence[OrderRecord]) -> StoredOrders:
    """Upsert the orders; each product in a live (not cancelled) order is a sale."""
    stored = StoredOrders()
    if not orders:
        return stored
    keys: list[Any] = [o.external_id if marketplace == "ebay" else int(o.external_id) for o in orders]
    known = repository.existing_ids(session, marketplace, keys)
    repository.upsert(session, marketplace, [_row(marketplace, o) for o in orders])
    for order, key in zip(orders, keys, strict=True):
        if key in known:
            stored.updated += 1
        else:
            stored.new += 1
        if order.cancelled:
            continue
        product_ids = [line.product_id for line in order.lines if line.product_id is not None]
        if product_ids:
            # Also for orders seen before: a sale whose delist jobs were lost gets them now (the
            # jobs are keyed, so nothing is queued twice).
            sale = sales.record_sale(
                session, tenant_id, marketplace, product_ids, order_ref=order.external_id, sold_at=order.ordered_at
            )
            stored.sold_product_ids.extend(sale.sold_product_ids)
            stored.delist_job_ids.extend(sale.delist_job_ids)
    return stored


def list_orders(session: Session, filters: OrderFilters, limit: int, offset: int) -> tuple[list[Any], int]:
    for marketplace in filters.marketplaces:
        if marketplace not in MARKETPLACES:
            raise InvalidInput(f"unknown marketplace {marketplace!r}", code="unknown_marketplace")
    return repository.page(session, filters, limit, offset)
