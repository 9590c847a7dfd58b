"""Sold once, delisted everywhere: a sale found on any marketplace marks the product sold and
queues a delist job on every other marketplace where it is still listed.

Called inside the tenant transaction that stores the order, so the product, the order and the
delist jobs commit together (the job messages leave after the commit). Each delist job has a key
derived from the product and marketplace: an order seen again by a later sync queues nothing new.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy.orm import Session

from stoflow.models.products import Product
from stoflow.repositories import jobs as jobs_repository
from stoflow.repositories import marketplace_items as items
from stoflow.repositories import products as products_repository

log = logging.getLogger(__name__)

# The job action that takes a listing down, the same name on every marketplace.
DELIST_ACTION = "delete"


class Listings(Protocol):
    """One marketplace's own listing table (a module of its adapter)."""

    def is_live(self, session: Session, product_id: int) -> bool: ...

    def mark_sold(self, session: Session, product_id: int) -> None: ...


@dataclass
class SaleResult:
    sold_product_ids: list[int] = field(default_factory=list)
    delist_job_ids: list[int] = field(default_factory=list)


def delist_key(product_id: int, marketplace: str) -> str:
    return f"sold:{product_id}:{marketplace}"


def marketplaces_listing(session: Session, product_id: int, listings: Mapping[str, Listings]) -> set[str]:
    """Every marketplace where the product is live as far as we know: the job system's listing
    state, and each marketplace's own table (imported listings included)."""
    live = items.listed_on(session, product_id)
    live.update(name for name, table in listings.items() if name not in live and table.is_live(session, product_id))
    return live


def record_sale(
    session: Session,
    tenant_id: int,
    sold_on: str,
    product_ids: Iterable[int],
    *,
    listings: Mapping[str, Listings],
    order_ref: str | None = None,
    now: datetime | None = None,
    sold_at: datetime | None = None,
) -> SaleResult:
    """`listings`: every marketplace's listing table by name (stoflow.marketplaces.registry.listings());
    `sold_at`: when the buyer bought, for the sale-to-delists figure."""
    from stoflow.jobs.service import JobRequest, enqueue_in_session

    if sold_on not in listings:
        raise ValueError(f"unknown marketplace {sold_on!r}")
    result = SaleResult()
    now = now or datetime.now(UTC)
    ids = sorted(set(product_ids))
    products: list[Product] = products_repository.live_by_ids(session, ids, lock=True) if ids else []
    for product in products:
        if product.status != "sold":
            # The sale happened on the marketplace whatever our status said (a draft imported
            # listing, an archived product): record the fact rather than refuse it.
            product.status = "sold"
            product.sold_at = now
        listings[sold_on].mark_sold(session, product.id)
        jobs_repository.upsert_listing(session, product.id, sold_on, status="sold")
        result.sold_product_ids.append(product.id)
        others = sorted(marketplaces_listing(session, product.id, listings) - {sold_on})
        keys = {m: delist_key(product.id, m) for m in others}
        existing = jobs_repository.jobs_by_keys(session, list(keys.values())) if keys else {}
        for marketplace in others:
            key = keys[marketplace]
            if key in existing:
                continue
            enqueued = enqueue_in_session(
                session,
                tenant_id,
                JobRequest(
                    marketplace,
                    DELIST_ACTION,
                    product_ids=[product.id],
                    params={"reason": "sold", "sold_on": sold_on, "order": order_ref},
                    priority=10,
                ),
                job_keys=[key],
                validate=False,
            )
            result.delist_job_ids.extend(job.id for job in enqueued.jobs)
    session.flush()
    if result.delist_job_ids and sold_at is not None:
        from stoflow.observability import metric

        # DESIGN's budget: a sale on one marketplace has its delists queued within 5 minutes.
        metric("SaleToDelistSeconds", max(0.0, (now - sold_at).total_seconds()), "Seconds", sold_on=sold_on)
    if result.sold_product_ids:
        log.info(
            "sale on %s (order %s): products %s sold, %d delist jobs queued",
            sold_on,
            order_ref,
            result.sold_product_ids,
            len(result.delist_job_ids),
        )
    return result
