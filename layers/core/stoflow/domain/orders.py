"""Orders from marketplaces: stored once per order (upsert by the marketplace's id), a new sale
passed on to stoflow.domain.sales, a cancelled order's sales undone. Each marketplace's adapter
gives its `OrderTable` (its orders table, its key, its row mapping); nothing here knows a
marketplace."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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
    oversold_sale_ids: list[int] = field(default_factory=list)
    restored_sale_ids: list[int] = field(default_factory=list)


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
    *,
    quantity_marketplaces: Iterable[str] = (),
) -> StoredOrders:
    """Upsert the orders; each product in a live order is a sale, and a cancelled order undoes
    the sales it made (`listings`: every marketplace's listing table; `quantity_marketplaces`:
    where listings carry a quantity; both from stoflow.marketplaces.registry)."""
    stored = StoredOrders()
    if not orders:
        return stored
    with_quantity = tuple(quantity_marketplaces)
    keys: list[Any] = [table.key(o.external_id) for o in orders]
    known = repository.existing_ids(session, table.MODEL, table.KEY, keys)
    repository.upsert(session, table.MODEL, table.KEY, [table.row(o, _common(o)) for o in orders])
    for order, key in zip(orders, keys, strict=True):
        if key in known:
            stored.updated += 1
        else:
            stored.new += 1
        if order.cancelled:
            # The buyer or the seller cancelled: the product comes back where the sale took it down.
            undone = sales.cancel_order(session, tenant_id, marketplace, order.external_id)
            stored.restored_sale_ids.extend(r.sale_id for r in undone)
            continue
        quantities: dict[int, int] = {}
        for line in order.lines:
            if line.product_id is not None:
                quantities[line.product_id] = quantities.get(line.product_id, 0) + max(1, line.quantity)
        if quantities:
            # Also for orders seen before: the sale is recorded once per order and product.
            sale = sales.record_sale(
                session,
                tenant_id,
                marketplace,
                list(quantities),
                listings=listings,
                order_ref=order.external_id,
                sold_at=order.ordered_at,
                quantities=quantities,
                quantity_marketplaces=with_quantity,
            )
            stored.sold_product_ids.extend(sale.sold_product_ids)
            stored.delist_job_ids.extend(sale.delist_job_ids)
            stored.oversold_sale_ids.extend(sale.oversold_sale_ids)
    return stored
