"""Queries on synced orders (ebay_orders, etsy_orders) and the one list over all marketplaces."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, cast, false, func, literal, null, select, union_all
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from stoflow.models.ebay import EbayOrder
from stoflow.models.etsy import EtsyOrder
from stoflow.models.vinted import VintedOrder

ORDER_MODELS: dict[str, tuple[type[EbayOrder] | type[EtsyOrder], str]] = {
    "ebay": (EbayOrder, "order_id"),
    "etsy": (EtsyOrder, "receipt_id"),
}


def existing_ids(session: Session, marketplace: str, external_ids: Sequence[Any]) -> set[Any]:
    model, key = ORDER_MODELS[marketplace]
    column = getattr(model, key)
    return set(session.scalars(select(column).where(column.in_(list(external_ids))))) if external_ids else set()


def upsert(session: Session, marketplace: str, rows: Sequence[dict[str, Any]]) -> None:
    model, key = ORDER_MODELS[marketplace]
    for row in rows:
        statement = insert(model).values(**row)
        changes = {k: v for k, v in row.items() if k != key}
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[getattr(model, key)], set_={**changes, "updated_at": func.now()}
            )
        )


def _ebay_select() -> Select[Any]:
    return select(
        literal("ebay").label("marketplace"),
        EbayOrder.order_id.label("external_id"),
        EbayOrder.status,
        EbayOrder.cancelled,
        EbayOrder.buyer_username.label("buyer"),
        EbayOrder.total,
        EbayOrder.currency,
        EbayOrder.ordered_at,
        EbayOrder.line_items,
    )


def _etsy_select() -> Select[Any]:
    return select(
        literal("etsy").label("marketplace"),
        cast(EtsyOrder.receipt_id, String).label("external_id"),
        EtsyOrder.status,
        EtsyOrder.cancelled,
        EtsyOrder.buyer_name.label("buyer"),
        EtsyOrder.total,
        EtsyOrder.currency,
        EtsyOrder.ordered_at,
        EtsyOrder.line_items,
    )


def _vinted_select() -> Select[Any]:
    """Vinted orders as the extension reported them. Their date is free text from Vinted's pages, so
    the list orders them by when we first saw them; the line is the one item of the transaction."""
    line = func.jsonb_build_array(
        func.jsonb_build_object(
            "item_ref",
            cast(VintedOrder.vinted_item_id, String),
            "title",
            VintedOrder.title,
            "quantity",
            1,
            "product_id",
            VintedOrder.product_id,
        )
    )
    status = func.coalesce(VintedOrder.status, "unknown")
    return select(
        literal("vinted").label("marketplace"),
        cast(VintedOrder.transaction_id, String).label("external_id"),
        status.label("status"),
        func.coalesce(status.ilike("%cancel%"), false()).label("cancelled"),
        VintedOrder.buyer.label("buyer"),
        VintedOrder.price.label("total"),
        cast(null(), String).label("currency"),
        VintedOrder.created_at.label("ordered_at"),
        line.label("line_items"),
    )


# Each marketplace's orders as one row shape.
SOURCES: dict[str, Any] = {"ebay": _ebay_select, "etsy": _etsy_select, "vinted": _vinted_select}


@dataclass(frozen=True)
class OrderFilters:
    marketplaces: tuple[str, ...] = ()
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    include_cancelled: bool = True


def page(session: Session, filters: OrderFilters, limit: int, offset: int) -> tuple[list[Any], int]:
    chosen = [name for name in SOURCES if not filters.marketplaces or name in filters.marketplaces]
    if not chosen:
        return [], 0
    combined = union_all(*(SOURCES[name]() for name in chosen)).subquery("orders")
    conditions = []
    if filters.status is not None:
        conditions.append(combined.c.status == filters.status)
    if filters.since is not None:
        conditions.append(combined.c.ordered_at >= filters.since)
    if filters.until is not None:
        conditions.append(combined.c.ordered_at < filters.until)
    if not filters.include_cancelled:
        conditions.append(combined.c.cancelled.is_(False))
    total = session.scalar(select(func.count()).select_from(combined).where(*conditions)) or 0
    rows = session.execute(
        select(combined)
        .where(*conditions)
        .order_by(combined.c.ordered_at.desc(), combined.c.marketplace, combined.c.external_id)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)
