"""Sales and their chains from a use case (the API, a test, an import): stoflow.domain.sales with
every marketplace's listing table from the registry."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from stoflow.domain.sales import RestoreResult, SaleResult, restore_sale, step_key
from stoflow.domain.sales import record_sale as _record_sale
from stoflow.errors import NotFound
from stoflow.marketplaces.registry import listings, quantity_marketplaces
from stoflow.models.jobs import MarketplaceJob
from stoflow.models.sales import Sale
from stoflow.repositories import sales as repository

__all__ = ["SaleChain", "SaleResult", "get_sale", "list_sales", "record_sale", "restore", "step_key"]


def record_sale(
    session: Session,
    tenant_id: int,
    sold_on: str,
    product_ids: Iterable[int],
    *,
    order_ref: str | None = None,
    now: datetime | None = None,
    sold_at: datetime | None = None,
    quantities: Mapping[int, int] | None = None,
) -> SaleResult:
    return _record_sale(
        session,
        tenant_id,
        sold_on,
        product_ids,
        listings=listings(),
        order_ref=order_ref,
        now=now,
        sold_at=sold_at,
        quantities=quantities,
        quantity_marketplaces=quantity_marketplaces(),
    )


@dataclass
class SaleChain:
    """A sale and the jobs it set off, as the API shows them."""

    sale: Sale
    jobs: dict[int, MarketplaceJob]

    def steps(self) -> list[dict[str, Any]]:
        out = []
        for step in self.sale.steps:
            job = self.jobs.get(step["job_id"])
            out.append(
                {
                    **step,
                    "status": job.status if job else "gone",
                    "attempts": job.attempts if job else 0,
                    "queued_at": job.created_at if job else None,
                    "finished_at": job.finished_at if job else None,
                    "error_code": job.error_code if job else None,
                    "error_message": job.error_message if job else None,
                }
            )
        return out

    def done_at(self) -> datetime | None:
        """When the sale's last step completed (None while one is still open or failed)."""
        steps = [s for s in self.sale.steps if s.get("phase") == "sale"]
        jobs = [self.jobs.get(s["job_id"]) for s in steps]
        if any(job is None or job.status not in ("completed", "cancelled") for job in jobs):
            return None
        finished = [job.finished_at for job in jobs if job is not None and job.finished_at is not None]
        return max(finished, default=self.sale.delists_queued_at)


def _chains(session: Session, sales: list[Sale]) -> list[SaleChain]:
    jobs = repository.jobs_by_ids(session, [step["job_id"] for sale in sales for step in sale.steps])
    return [SaleChain(sale, jobs) for sale in sales]


def list_sales(
    session: Session, *, product_id: int | None, status: str | None, limit: int, offset: int
) -> tuple[list[SaleChain], int]:
    rows, total = repository.page(session, product_id=product_id, status=status, limit=limit, offset=offset)
    return _chains(session, rows), total


def get_sale(session: Session, sale_id: int) -> SaleChain:
    sale = repository.get(session, sale_id)
    if sale is None:
        raise NotFound(f"no sale {sale_id}", code="sale_not_found")
    return _chains(session, [sale])[0]


def restore(session: Session, tenant_id: int, sale_id: int) -> tuple[SaleChain, RestoreResult]:
    """The seller undoes a sale (cancelled, returned): stock back, relisted where the chain delisted."""
    sale = repository.get(session, sale_id, lock=True)
    if sale is None:
        raise NotFound(f"no sale {sale_id}", code="sale_not_found")
    result = restore_sale(session, tenant_id, sale)
    return _chains(session, [sale])[0], result
