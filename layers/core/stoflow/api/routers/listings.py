"""/products/{id}/listings and /products/{id}/history: where a product is listed, and how it got there.

Routes are `async def` like the dependencies (stoflow.api.deps): no worker-thread hop."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from stoflow.api.deps import TenantDb
from stoflow.api.pagination import Page, PageParams, page_params
from stoflow.api.routing import api_router
from stoflow.api.schemas.listings import HistoryEntryOut, ListingsOut, listing_out

router = api_router(prefix="/products", tags=["listings"])

ProductId = Annotated[int, Path(ge=1, le=2**63 - 1, description="A product of yours.")]
_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": "Problem (RFC 9457) with a stable `code`"}
    for code in (401, 403, 404, 422)
}


@router.get("/{product_id}/listings", response_model=ListingsOut, responses=_PROBLEMS)
async def product_listings(product_id: ProductId, db: TenantDb) -> ListingsOut:
    """Where the product is listed: per marketplace its state, external id and URL, when StoFlow
    last synced it and the last error. 404 `product_not_found` for a product that is not yours
    or was deleted."""
    from stoflow.services import listings

    return ListingsOut(product_id=product_id, items=[listing_out(row) for row in listings.listings_of(db, product_id)])


@router.get("/{product_id}/history", response_model=Page[HistoryEntryOut], responses=_PROBLEMS)
async def product_history(
    product_id: ProductId, db: TenantDb, page: Annotated[PageParams, Depends(page_params)]
) -> Page[HistoryEntryOut]:
    """The product's publication history on every marketplace, newest first."""
    from stoflow.services import listings

    rows, total = listings.history(db, product_id, page.limit, page.offset)
    return Page[HistoryEntryOut](
        items=[HistoryEntryOut.model_validate(row) for row in rows], total=total, limit=page.limit, offset=page.offset
    )
