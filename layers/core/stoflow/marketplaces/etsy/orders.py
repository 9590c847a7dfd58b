"""Etsy receipts (getShopReceipts) → order records."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, String, cast, literal, select

from stoflow.domain.orders import OrderLine, OrderRecord
from stoflow.models.etsy import EtsyOrder

CANCELLED_STATUSES = frozenset({"canceled", "cancelled", "fully refunded"})


def money(value: dict[str, Any] | None) -> tuple[Decimal | None, str | None]:
    if not value or value.get("amount") is None:
        return None, None
    divisor = int(value.get("divisor") or 100)
    return (Decimal(int(value["amount"])) / Decimal(divisor)).quantize(Decimal("0.01")), value.get("currency_code")


def _time(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


def receipt_record(receipt: dict[str, Any], product_by_listing: dict[int, int]) -> OrderRecord:
    total, currency = money(receipt.get("grandtotal") or receipt.get("total_price"))
    status = str(receipt.get("status") or "unknown")
    lines = [
        OrderLine(
            item_ref=str(t.get("listing_id")),
            title=t.get("title"),
            quantity=int(t.get("quantity") or 1),
            product_id=product_by_listing.get(int(t["listing_id"])) if t.get("listing_id") else None,
        )
        for t in receipt.get("transactions") or []
    ]
    created = _time(receipt.get("created_timestamp") or receipt.get("create_timestamp")) or datetime.now(UTC)
    return OrderRecord(
        external_id=str(receipt["receipt_id"]),
        status=status,
        cancelled=status.lower() in CANCELLED_STATUSES,
        ordered_at=created,
        modified_at=_time(receipt.get("updated_timestamp") or receipt.get("update_timestamp")),
        total=total,
        currency=currency,
        buyer=receipt.get("name"),
        lines=lines,
    )


# --- the order table of this marketplace (stoflow.domain.orders.OrderTable) and its row shape in
# the one list of GET /orders (stoflow.repositories.marketplace_orders.page).
MODEL = EtsyOrder
KEY = "receipt_id"


def key(external_id: str) -> int:
    return int(external_id)


def row(order: OrderRecord, common: dict[str, Any]) -> dict[str, Any]:
    return {"receipt_id": int(order.external_id), "buyer_name": order.buyer, **common}


def select_orders() -> Select[Any]:
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
