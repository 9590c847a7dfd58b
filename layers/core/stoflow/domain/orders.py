"""Orders from marketplaces: stored once per order (upsert by the marketplace's id), a new sale
passed on to stoflow.domain.sales. Each marketplace's adapter gives its `OrderTable` (its orders
table, its key, its row mapping); nothing here knows a marketplace."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy.orm import Session

from stoflow.domain import sales
from stoflow.repositories import marketplace_orders as repository


@dataclass
class OrderLine:
    item_ref: str  # the marketplace's reference of the item (a SKU, a listing id)
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


class OrderTable(Protocol):
    """How one marketplace stores its orders (a module of its adapter: model, key, row, ...)."""

    MODEL: Any
    KEY: str

    def key(self, external_id: str) -> Any: ...

    def row(self, order: OrderRecord, common: dict[str, Any]) -> dict[str, Any]: ...


def _common(order: OrderRecord) -> dict[str, Any]:
    lines = [
        {"item_ref": line.item_ref, "title": line.title, "quantity": line.quantity, "product_id": line.product_id}
        for line in order.lines
    ]
    return {
        "status": order.status[:32],
        "cancelled": order.cancelled,
        "total": order.total,
        "currency": order.currency,
        "ordered_at": order.ordered_at,
        "modified_at": order.modified_at,
        "line_items": lines,
    }


def store_orders(
    session: Session,
    tenant_id: int,
    marketplace: str,
    orders: Sequence[OrderRecord],
    table: OrderTable,
    listings: Mapping[str, sales.Listings],
) -> StoredOrders:
    """Upsert the orders; each product in a live (not cancelled) order is a sale (`listings`:
    every marketplace's listing table, stoflow.marketplaces.registry.listings())."""
    stored = StoredOrders()
    if not orders:
        return stored
    keys: list[Any] = [table.key(o.external_id) for o in orders]
    known = repository.existing_ids(session, table.MODEL, table.KEY, keys)
    repository.upsert(session, table.MODEL, table.KEY, [table.row(o, _common(o)) for o in orders])
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
                session,
                tenant_id,
                marketplace,
                product_ids,
                listings=listings,
                order_ref=order.external_id,
                sold_at=order.ordered_at,
            )
            stored.sold_product_ids.extend(sale.sold_product_ids)
            stored.delist_job_ids.extend(sale.delist_job_ids)
    return stored
