"""/orders: one list over every marketplace's synced orders, newest first, filterable."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, Query

from stoflow.api.deps import CurrentPrincipal, TenantDb
from stoflow.api.edge import UtcDateTime, text
from stoflow.api.pagination import Page, PageParams, page_params
from stoflow.api.routing import api_router
from stoflow.api.schemas.model import ApiModel
from stoflow.repositories.marketplace_orders import OrderFilters

router = api_router(prefix="/orders", tags=["orders"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": "Problem (RFC 9457) with a stable `code`"}
    for code in (401, 403, 422)
}


class OrderLineOut(ApiModel):
    item_ref: str | None = None
    title: str | None = None
    quantity: int = 1
    product_id: int | None = None


class OrderOut(ApiModel):
    id: str  # "<marketplace>:<the marketplace's order id>": unique over all marketplaces
    marketplace: str
    external_id: str
    status: str
    cancelled: bool
    buyer: str | None
    total: Decimal | None
    currency: str | None
    ordered_at: datetime
    lines: list[OrderLineOut]


def order_out(row: Any) -> OrderOut:
    return OrderOut(
        id=f"{row.marketplace}:{row.external_id}",
        marketplace=row.marketplace,
        external_id=row.external_id,
        status=row.status,
        cancelled=row.cancelled,
        buyer=row.buyer,
        total=row.total,
        currency=row.currency,
        ordered_at=row.ordered_at,
        lines=[OrderLineOut.model_validate(line) for line in row.line_items or []],
    )


@router.get("", response_model=Page[OrderOut], responses=_PROBLEMS)
async def list_orders(
    db: TenantDb,
    principal: CurrentPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
    marketplace: Annotated[list[text(16)] | None, Query(description="repeat for several")] = None,
    status: Annotated[text(32) | None, Query()] = None,
    since: Annotated[UtcDateTime | None, Query(description="ordered at or after")] = None,
    until: Annotated[UtcDateTime | None, Query(description="ordered before")] = None,
    include_cancelled: bool = True,
) -> Page[OrderOut]:
    from stoflow.services.marketplace_orders import list_orders as orders

    filters = OrderFilters(
        marketplaces=tuple(marketplace or ()),
        status=status,
        since=since,
        until=until,
        include_cancelled=include_cancelled,
    )
    rows, total = orders(db, filters, page.limit, page.offset)
    return Page[OrderOut](items=[order_out(r) for r in rows], total=total, limit=page.limit, offset=page.offset)
