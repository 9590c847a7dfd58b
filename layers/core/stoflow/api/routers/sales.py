"""/sales: each sale and its delist chain (sale seen → product sold → jobs queued per marketplace →
done, with timestamps), the one-action restore of a cancelled or returned sale; /alerts: what the
seller must act on; /orders/checks: when each marketplace's sales were last looked at."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Depends, Path, Query

from stoflow.api.deps import CurrentPrincipal, TenantDb
from stoflow.api.edge import id_of
from stoflow.api.pagination import Page, PageParams, page_params
from stoflow.api.routing import api_router
from stoflow.api.schemas.model import ApiModel
from stoflow.models.sales import SALE_STATUSES, Alert, Sale

router = api_router(tags=["sales"])

SaleId = Annotated[id_of(Sale.id), Path()]
AlertId = Annotated[id_of(Alert.id), Path()]
SaleStatus = Literal[SALE_STATUSES]  # type: ignore[valid-type]

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": "Problem (RFC 9457) with a stable `code`"}
    for code in (401, 403, 404, 409, 422)
}


class SaleStepOut(ApiModel):
    marketplace: str
    # delete (delist), hide (delist that can be undone), update (quantity), publish (relist), unhide
    action: str
    phase: str  # sale | restore | final (a hidden listing deleted once the sale is final)
    job_id: int
    status: str  # the job's status
    attempts: int
    queued_at: datetime | None
    finished_at: datetime | None
    error_code: str | None
    error_message: str | None


class SaleOut(ApiModel):
    id: int
    product_id: int | None
    sold_on: str
    order_ref: str
    quantity: int
    status: str  # active | oversold (sold twice: the seller settles it) | cancelled | restored
    sold_at: datetime | None  # when the buyer bought
    seen_at: datetime  # when StoFlow saw the sale
    delists_queued_at: datetime | None
    done_at: datetime | None  # when the last delist finished (None while one is open or failed)
    cancelled_at: datetime | None
    restored_at: datetime | None
    # When the sale became final (no cancellation in time) and the listings it hid were deleted.
    final_at: datetime | None = None
    steps: list[SaleStepOut]


class RestoreOut(ApiModel):
    sale: SaleOut
    relist_job_ids: list[int]
    cancelled_job_ids: list[int]


class AlertOut(ApiModel):
    id: int
    kind: str  # delist_failed | oversold
    message: str
    product_id: int | None
    sale_id: int | None
    job_id: int | None
    marketplace: str | None
    created_at: datetime
    read_at: datetime | None


class OrderCheckOut(ApiModel):
    marketplace: str
    checked_at: datetime | None  # when its sales were last read
    due_at: datetime | None  # when they are read next (None: nothing listed there to watch)
    # When the app's daily call budget with the marketplace last held the check back (None: it
    # runs at its cadence); sales there are then seen later than usual, due_at says when.
    deferred_at: datetime | None = None


def sale_out(chain: object) -> SaleOut:
    from stoflow.services.sales import SaleChain

    assert isinstance(chain, SaleChain)
    sale = chain.sale
    return SaleOut(
        id=sale.id,
        product_id=sale.product_id,
        sold_on=sale.sold_on,
        order_ref=sale.order_ref,
        quantity=sale.quantity,
        status=sale.status,
        sold_at=sale.sold_at,
        seen_at=sale.seen_at,
        delists_queued_at=sale.delists_queued_at,
        done_at=chain.done_at(),
        cancelled_at=sale.cancelled_at,
        restored_at=sale.restored_at,
        final_at=sale.final_at,
        steps=[SaleStepOut.model_validate(step) for step in chain.steps()],
    )


def alert_out(alert: Alert) -> AlertOut:
    return AlertOut(
        id=alert.id,
        kind=alert.kind,
        message=alert.message,
        product_id=alert.product_id,
        sale_id=alert.sale_id,
        job_id=alert.job_id,
        marketplace=alert.marketplace,
        created_at=alert.created_at,
        read_at=alert.read_at,
    )


@router.get("/sales", response_model=Page[SaleOut], responses=_PROBLEMS)
async def list_sales(
    db: TenantDb,
    principal: CurrentPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
    product_id: Annotated[id_of(Sale.product_id) | None, Query()] = None,
    status: Annotated[SaleStatus | None, Query()] = None,
) -> Page[SaleOut]:
    from stoflow.services import sales

    chains, total = sales.list_sales(db, product_id=product_id, status=status, limit=page.limit, offset=page.offset)
    return Page[SaleOut](items=[sale_out(c) for c in chains], total=total, limit=page.limit, offset=page.offset)


@router.get("/sales/{sale_id}", response_model=SaleOut, responses=_PROBLEMS)
async def get_sale(sale_id: SaleId, db: TenantDb, principal: CurrentPrincipal) -> SaleOut:
    from stoflow.services import sales

    return sale_out(sales.get_sale(db, sale_id))


@router.post("/sales/{sale_id}/restore", response_model=RestoreOut, responses=_PROBLEMS)
async def restore_sale(sale_id: SaleId, db: TenantDb, principal: CurrentPrincipal) -> RestoreOut:
    """The sale fell through (cancelled, returned): the stock comes back and every listing its
    chain took down is relisted, in one action."""
    from stoflow.services import sales

    chain, result = sales.restore(db, principal.tenant_id, sale_id)
    return RestoreOut(
        sale=sale_out(chain), relist_job_ids=result.relist_job_ids, cancelled_job_ids=result.cancelled_job_ids
    )


@router.get("/alerts", response_model=Page[AlertOut], responses=_PROBLEMS)
async def list_alerts(
    db: TenantDb,
    principal: CurrentPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
    unread: bool = True,
) -> Page[AlertOut]:
    from stoflow.repositories import alerts

    rows, total = alerts.page(db, unread=unread, limit=page.limit, offset=page.offset)
    return Page[AlertOut](items=[alert_out(a) for a in rows], total=total, limit=page.limit, offset=page.offset)


@router.post("/alerts/{alert_id}/read", response_model=AlertOut, responses=_PROBLEMS)
async def read_alert(alert_id: AlertId, db: TenantDb, principal: CurrentPrincipal) -> AlertOut:
    from stoflow.services.sale_alerts import mark_read

    return alert_out(mark_read(db, alert_id))


@router.get("/orders/checks", response_model=list[OrderCheckOut], responses=_PROBLEMS)
async def order_checks(db: TenantDb, principal: CurrentPrincipal) -> list[OrderCheckOut]:
    from stoflow.domain.order_checks import check_states

    return [
        OrderCheckOut(marketplace=s.marketplace, checked_at=s.checked_at, due_at=s.due_at, deferred_at=s.deferred_at)
        for s in check_states(db)
    ]
