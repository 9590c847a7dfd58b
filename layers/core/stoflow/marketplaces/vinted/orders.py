"""Vinted orders in the one list of GET /orders (the extension reports them; stoflow.marketplaces.
vinted.results stores them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, String, cast, false, func, literal, null, select

from stoflow.models.vinted import VintedOrder


def select_orders() -> Select[Any]:
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
