"""eBay orders (Fulfillment getOrders) → order records."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Select, literal, select

from stoflow.domain.orders import OrderLine, OrderRecord
from stoflow.models.ebay import EbayOrder


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def format_time(value: datetime) -> str:
    """eBay's filter format: ISO 8601 in UTC with milliseconds and a Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _amount(value: dict[str, Any] | None) -> tuple[Decimal | None, str | None]:
    if not value:
        return None, None
    try:
        return Decimal(str(value.get("value"))), value.get("currency")
    except InvalidOperation:
        return None, value.get("currency")


def order_record(order: dict[str, Any], product_by_sku: dict[str, int]) -> OrderRecord:
    total, currency = _amount((order.get("pricingSummary") or {}).get("total"))
    cancel_state = (order.get("cancelStatus") or {}).get("cancelState")
    lines = [
        OrderLine(
            item_ref=str(line.get("sku") or line.get("legacyItemId") or ""),
            title=line.get("title"),
            quantity=int(line.get("quantity") or 1),
            product_id=product_by_sku.get(str(line.get("sku"))) if line.get("sku") else None,
        )
        for line in order.get("lineItems") or []
    ]
    ordered_at = parse_time(order.get("creationDate")) or datetime.now(UTC)
    return OrderRecord(
        external_id=str(order["orderId"]),
        status=str(order.get("orderFulfillmentStatus") or "UNKNOWN"),
        cancelled=cancel_state == "CANCELED",
        ordered_at=ordered_at,
        modified_at=parse_time(order.get("lastModifiedDate")),
        total=total,
        currency=currency,
        buyer=(order.get("buyer") or {}).get("username"),
        lines=lines,
    )


# --- the order table of this marketplace (stoflow.domain.orders.OrderTable) and its row shape in
# the one list of GET /orders (stoflow.repositories.marketplace_orders.page).
MODEL = EbayOrder
KEY = "order_id"


def key(external_id: str) -> str:
    return external_id


def row(order: OrderRecord, common: dict[str, Any]) -> dict[str, Any]:
    return {"order_id": order.external_id, "buyer_username": order.buyer, **common}


def select_orders() -> Select[Any]:
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
