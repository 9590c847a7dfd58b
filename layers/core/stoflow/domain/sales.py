"""Sold once, delisted everywhere, undone cleanly.

A sale found on any marketplace is recorded once (one `sales` row per marketplace, order and
product) with its chain: the product sold (its stock decremented), then one job per other
marketplace where it is still live, queued in the same transaction (the messages leave after the
commit) —

- the last unit sold: a delist job (eBay withdraws the offer, Etsy deactivates the listing),
  reversible so a cancelled sale can be undone; where a delist cannot be undone (a Vinted item
  deleted is gone with its favourites and views), the item is hidden instead (`hide`), and deleted
  only once the sale is final (`finalize_held`: no cancellation within `sale_final_after_days`);
- stock left (stock > 1): a quantity update instead, where the marketplace keeps a quantity.

A sale of a product another marketplace has sold already is recorded too, flagged `oversold`, and
raises an alert. A delist that still fails after its retries raises an alert (the job asks for it
in its input: stoflow.jobs.transitions raises it when the job fails for good).

`restore_sale` undoes a sale (cancelled or returned): the stock comes back and every listing the
chain took down is published again (a hidden one shown again: `unhide`), in one action (the
seller's, or the order sync's when it sees the order cancelled).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session

from stoflow.errors import Conflict
from stoflow.models.products import Product
from stoflow.models.sales import Sale
from stoflow.realtime.alerts import deliver_after
from stoflow.repositories import alerts
from stoflow.repositories import jobs as jobs_repository
from stoflow.repositories import marketplace_items as items
from stoflow.repositories import products as products_repository
from stoflow.repositories import sales as sales_repository

if TYPE_CHECKING:
    from stoflow.models.jobs import MarketplaceJob

log = logging.getLogger(__name__)

# The job actions of a chain, the same names on every marketplace.
DELIST_ACTION = "delete"
QUANTITY_ACTION = "update"
RELIST_ACTION = "publish"
# Where a delist cannot be undone: hidden on a sale, shown again on a restore, deleted when final.
HOLD_ACTION = "hide"
RELEASE_ACTION = "unhide"
# A sale's order reference when the marketplace gave none.
UNKNOWN_ORDER = "unknown"
# Chain jobs go before the seller's own work on the same marketplace.
CHAIN_PRIORITY = 10


class Listings(Protocol):
    """One marketplace's own listing table (a module of its adapter). `hides_on_sale`: a sale
    elsewhere hides its listing (HOLD_ACTION) rather than delisting it, until the sale is final."""

    hides_on_sale: bool

    def is_live(self, session: Session, product_id: int) -> bool: ...

    def mark_sold(self, session: Session, product_id: int) -> None: ...


@dataclass
class SaleResult:
    sold_product_ids: list[int] = field(default_factory=list)
    delist_job_ids: list[int] = field(default_factory=list)
    update_job_ids: list[int] = field(default_factory=list)
    sale_ids: list[int] = field(default_factory=list)
    oversold_sale_ids: list[int] = field(default_factory=list)


def step_key(sale_id: int, marketplace: str, phase: str = "sale") -> str:
    """The job key of one step of a sale's chain: a step is queued once."""
    return f"{phase}:{sale_id}:{marketplace}"


def marketplaces_listing(session: Session, product_id: int, listings: Mapping[str, Listings]) -> set[str]:
    """Every marketplace where the product is live as far as we know: the job system's listing
    state, and each marketplace's own table (imported listings included)."""
    live = items.listed_on(session, product_id)
    live.update(name for name, table in listings.items() if name not in live and table.is_live(session, product_id))
    return live


def _queue_step(
    session: Session, tenant_id: int, sale: Sale, marketplace: str, action: str, phase: str, params: dict[str, object]
) -> int | None:
    """One job of the chain (None: queued already, by an earlier sighting)."""
    from stoflow.jobs.service import JobRequest, enqueue_in_session

    key = step_key(sale.id, marketplace, phase)
    if jobs_repository.jobs_by_keys(session, [key]):
        return None
    enqueued = enqueue_in_session(
        session,
        tenant_id,
        JobRequest(marketplace, action, product_ids=[sale.product_id or 0], params=params, priority=CHAIN_PRIORITY),
        job_keys=[key],
        validate=False,
    )
    job_id = enqueued.jobs[0].id
    sale.steps = [*sale.steps, {"marketplace": marketplace, "action": action, "job_id": job_id, "phase": phase}]
    return job_id


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
    quantities: Mapping[int, int] | None = None,
    quantity_marketplaces: Iterable[str] = (),
) -> SaleResult:
    """`listings`: every marketplace's listing table by name (stoflow.marketplaces.registry.listings());
    `sold_at`: when the buyer bought, for the sale-to-delists figure; `quantities`: units sold per
    product (1 by default); `quantity_marketplaces`: where a listing carries a quantity (a stock > 1
    product's other listings there get a quantity update instead of staying as they are)."""
    if sold_on not in listings:
        raise ValueError(f"unknown marketplace {sold_on!r}")
    result = SaleResult()
    now = now or datetime.now(UTC)
    ref = (order_ref or UNKNOWN_ORDER)[:128]
    with_quantity = set(quantity_marketplaces)
    ids = sorted(set(product_ids))
    products: list[Product] = products_repository.live_by_ids(session, ids, lock=True) if ids else []
    for product in products:
        if sales_repository.find(session, sold_on, ref, product.id) is not None:
            continue  # the same order seen again (a later sync, a retried job): its chain exists
        standing = sales_repository.active_of_product(session, product.id) if product.status == "sold" else []
        if any(s.sold_on == sold_on for s in standing):
            continue  # the marketplace's one sale of it, seen again through another path (a wardrobe read)
        quantity = max(1, int((quantities or {}).get(product.id, 1)))
        sale = sales_repository.add(
            session,
            product_id=product.id,
            sold_on=sold_on,
            order_ref=ref,
            quantity=quantity,
            sold_at=sold_at,
            seen_at=now,
            status="active",
        )
        result.sale_ids.append(sale.id)
        listings[sold_on].mark_sold(session, product.id)
        if standing:
            # Sold twice: the other marketplace's sale took the item first. Both are recorded; the
            # seller settles it (cancel one order), nothing is queued.
            sale.status = "oversold"
            sale.delists_queued_at = now
            result.oversold_sale_ids.append(sale.id)
            alerts.raise_alert(
                session,
                kind="oversold",
                dedupe_key=f"oversold:{sale.id}",
                message=(
                    f"Product {product.id} ({product.title}) sold on {sold_on} (order {ref}) after it had sold on "
                    f"{', '.join(sorted({s.sold_on for s in standing}))}: cancel one of the orders."
                ),
                product_id=product.id,
                sale_id=sale.id,
                marketplace=sold_on,
            )
            deliver_after(session)
            continue
        others = sorted(marketplaces_listing(session, product.id, listings) - {sold_on})
        params: dict[str, object] = {"reason": "sold", "sold_on": sold_on, "order": ref, "sale_id": sale.id}
        if product.stock > quantity:
            product.stock -= quantity
            for marketplace in others:
                if marketplace in with_quantity:
                    job_id = _queue_step(session, tenant_id, sale, marketplace, QUANTITY_ACTION, "sale", params)
                    if job_id is not None:
                        result.update_job_ids.append(job_id)
        else:
            product.stock = 0
            if product.status != "sold":
                # The sale happened on the marketplace whatever our status said (a draft imported
                # listing, an archived product): record the fact rather than refuse it.
                product.status = "sold"
                product.sold_at = now
            jobs_repository.upsert_listing(session, product.id, sold_on, status="sold")
            result.sold_product_ids.append(product.id)
            for marketplace in others:
                # A live listing of a sold item is the costly failure: say so if it stays live.
                delist = {**params, "alert_on_failure": True}
                action = HOLD_ACTION if listings[marketplace].hides_on_sale else DELIST_ACTION
                job_id = _queue_step(session, tenant_id, sale, marketplace, action, "sale", delist)
                if job_id is not None:
                    result.delist_job_ids.append(job_id)
        sale.delists_queued_at = now
    session.flush()
    if result.delist_job_ids and sold_at is not None:
        from stoflow.observability import metric

        # DESIGN's budget: a sale on one marketplace has its delists queued within 5 minutes.
        metric("SaleToDelistSeconds", max(0.0, (now - sold_at).total_seconds()), "Seconds", sold_on=sold_on)
    if result.sale_ids:
        log.info(
            "sale on %s (order %s): products %s sold, %d delist and %d quantity jobs queued, %d oversold",
            sold_on,
            ref,
            result.sold_product_ids,
            len(result.delist_job_ids),
            len(result.update_job_ids),
            len(result.oversold_sale_ids),
        )
    return result


@dataclass
class RestoreResult:
    sale_id: int
    relist_job_ids: list[int] = field(default_factory=list)
    cancelled_job_ids: list[int] = field(default_factory=list)


def restore_sale(session: Session, tenant_id: int, sale: Sale, *, now: datetime | None = None) -> RestoreResult:
    """Undo a sale: the stock comes back, a delist not yet run is cancelled, and every listing the
    chain took down (or whose quantity it lowered) is published (or updated) again. An oversold
    sale only changed its own marketplace: it is closed, nothing else moves. The caller holds the
    sale locked."""
    from stoflow.jobs.service import cancel_job

    now = now or datetime.now(UTC)
    result = RestoreResult(sale.id)
    if sale.status not in ("active", "oversold"):
        raise Conflict(f"sale {sale.id} is {sale.status} already", code="sale_not_active")
    if sale.status == "oversold":
        sale.status, sale.restored_at = "restored", now
        return result
    product = products_repository.live_by_ids(session, [sale.product_id], lock=True) if sale.product_id else []
    if not product:
        raise Conflict("the product of this sale is gone", code="product_gone")
    (item,) = product
    item.stock += sale.quantity
    if item.status == "sold":
        item.status, item.sold_at = "published", None
    jobs = sales_repository.jobs_by_ids(session, [step["job_id"] for step in sale.steps])
    for step in [s for s in sale.steps if s.get("phase") == "sale"]:
        job = jobs.get(step["job_id"])
        if job is None or job.status in ("cancelled", "failed"):
            continue  # the listing never went down
        # Not run yet (or parked for the browser): stop it. A running attempt is asked to stop;
        # should it finish anyway, the relist queued behind it puts the listing back.
        if job.status != "completed" and cancel_job(session, tenant_id, job.id).status == "cancelled":
            result.cancelled_job_ids.append(job.id)
            continue
        # Taken down (or its quantity lowered): put it back as it was.
        action = _undo_action(step, sale.steps, jobs)
        params: dict[str, object] = {"reason": "sale_restored", "sale_id": sale.id}
        job_id = _queue_step(session, tenant_id, sale, step["marketplace"], action, "restore", params)
        if job_id is not None:
            result.relist_job_ids.append(job_id)
    sale.status, sale.restored_at = "restored", now
    session.flush()
    log.info("sale %s restored: %d relist jobs queued", sale.id, len(result.relist_job_ids))
    return result


def _undo_action(step: Mapping[str, Any], steps: list[dict[str, Any]], jobs: Mapping[int, MarketplaceJob]) -> str:
    """What puts one step of a sale back: a hidden listing is shown again, unless the sale was
    final and it was deleted since (then it is published anew, as a deleted one is)."""
    if step["action"] == QUANTITY_ACTION:
        return QUANTITY_ACTION
    if step["action"] == HOLD_ACTION:
        final = [s for s in steps if s.get("phase") == "final" and s["marketplace"] == step["marketplace"]]
        deleted = [jobs.get(s["job_id"]) for s in final]
        if not any(job is not None and job.status == "completed" for job in deleted):
            return RELEASE_ACTION
    return RELIST_ACTION


def held_until(sale: Sale, final_after: timedelta) -> datetime:
    """When a sale's hidden listings may be deleted: no cancellation came within `final_after`."""
    return (sale.sold_at or sale.seen_at) + final_after


def finalize_held(session: Session, tenant_id: int, now: datetime, final_after: timedelta) -> datetime | None:
    """Delete the listings a sale hid, once the sale is final (still active `final_after` after it
    was made); returns when the next standing sale becomes final (None: no listing is held)."""
    upcoming: list[datetime] = []
    for sale in sales_repository.holding(session, HOLD_ACTION):
        final_at = held_until(sale, final_after)
        if final_at > now:
            upcoming.append(final_at)
            continue
        jobs = sales_repository.jobs_by_ids(session, [step["job_id"] for step in sale.steps])
        for step in [s for s in sale.steps if s.get("phase") == "sale" and s["action"] == HOLD_ACTION]:
            job = jobs.get(step["job_id"])
            if job is None or job.status in ("cancelled", "failed"):
                continue  # never hidden: nothing to delete
            params: dict[str, object] = {"reason": "sale_final", "sale_id": sale.id, "alert_on_failure": True}
            _queue_step(session, tenant_id, sale, step["marketplace"], DELIST_ACTION, "final", params)
        sale.final_at = now
    return min(upcoming) if upcoming else None


def cancel_order(
    session: Session, tenant_id: int, sold_on: str, order_ref: str, *, now: datetime | None = None
) -> list[RestoreResult]:
    """The marketplace says the order was cancelled: each of its sales still standing is undone."""
    now = now or datetime.now(UTC)
    restored: list[RestoreResult] = []
    for sale in sales_repository.of_order(session, sold_on, order_ref[:128], lock=True):
        if sale.status in ("active", "oversold"):
            sale.cancelled_at = now
            restored.append(restore_sale(session, tenant_id, sale, now=now))
            sale.status = "cancelled"
    return restored
