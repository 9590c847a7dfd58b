"""Recording a sale from a use case (a test, an import): stoflow.domain.sales with every
marketplace's listing table from the registry."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from stoflow.domain.sales import SaleResult, delist_key
from stoflow.domain.sales import record_sale as _record_sale
from stoflow.marketplaces.registry import listings

__all__ = ["SaleResult", "delist_key", "record_sale"]


def record_sale(
    session: Session,
    tenant_id: int,
    sold_on: str,
    product_ids: Iterable[int],
    *,
    order_ref: str | None = None,
    now: datetime | None = None,
) -> SaleResult:
    return _record_sale(session, tenant_id, sold_on, product_ids, listings=listings(), order_ref=order_ref, now=now)
