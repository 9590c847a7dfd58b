"""Job use cases: enqueue (a batch of jobs), read, cancel.

`enqueue_in_session` is for callers already inside a tenant transaction (an order sync queueing
delist jobs); the messages leave after that transaction commits. `enqueue` is the HTTP entry:
its own transaction, Idempotency-Key handling, then the messages.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stoflow.db.tenancy import tenant_session
from stoflow.errors import Conflict, InvalidInput, NotFound
from stoflow.jobs import transitions
from stoflow.jobs.dispatch import send_after_commit
from stoflow.jobs.handlers import HandlerRegistry
from stoflow.jobs.notifier import notify
from stoflow.jobs.processor import record_final, status_event
from stoflow.models.jobs import FINAL_STATUSES, MarketplaceBatch, MarketplaceJob
from stoflow.repositories import jobs as repository
from stoflow.repositories.jobs import JobFilters

MAX_PRODUCTS_PER_BATCH = 500


@dataclass(frozen=True)
class JobRequest:
    marketplace: str
    action: str
    product_ids: Sequence[int] = ()
    params: dict[str, Any] = field(default_factory=dict)
    priority: int = 0
    max_attempts: int | None = None
    expires_in_s: int | None = None

    def fingerprint(self) -> str:
        body = {
            "marketplace": self.marketplace,
            "action": self.action,
            "product_ids": sorted(self.product_ids),
            "params": self.params,
            "priority": self.priority,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class Enqueued:
    batch: MarketplaceBatch
    jobs: list[MarketplaceJob]
    created: bool


def _validate(
    session: Session, request: JobRequest, handlers: HandlerRegistry, live_products: Collection[int] | None
) -> list[int]:
    if request.marketplace not in handlers.marketplaces:
        raise InvalidInput(f"unknown marketplace {request.marketplace!r}", code="unknown_marketplace")
    handler = handlers.get(request.marketplace, request.action)
    if handler is None:
        known = ", ".join(handlers.actions(request.marketplace)) or "none yet"
        raise InvalidInput(
            f"{request.marketplace} has no action {request.action!r} (known: {known})", code="unknown_action"
        )
    product_ids = list(dict.fromkeys(request.product_ids))
    if handler.needs_product and not product_ids:
        raise InvalidInput(f"{request.action} on {request.marketplace} needs product_ids", code="products_required")
    if len(product_ids) > MAX_PRODUCTS_PER_BATCH:
        raise InvalidInput(f"at most {MAX_PRODUCTS_PER_BATCH} products per batch", code="too_many_products")
    if product_ids:
        live = repository.live_product_ids(session, product_ids) if live_products is None else live_products
        missing = sorted(set(product_ids).difference(live))
        if missing:
            # Another tenant's ids look exactly like ids that do not exist.
            raise NotFound(f"no such products: {missing[:20]}", code="product_not_found", product_ids=missing)
    if not handlers.is_connected(session, request.marketplace):
        raise Conflict(
            f"{request.marketplace} is not connected: connect it before queueing jobs",
            code="marketplace_not_connected",
        )
    return product_ids or [None]  # type: ignore[list-item]  # one job without product


def enqueue_in_session(
    session: Session,
    tenant_id: int,
    request: JobRequest,
    *,
    batch_key: str | None = None,
    job_keys: Sequence[str] | None = None,
    user_id: int | None = None,
    handlers: HandlerRegistry | None = None,
    validate: bool = True,
    live_products: Collection[int] | None = None,
) -> Enqueued:
    """Create a batch and its jobs in the caller's transaction; messages leave after it commits.

    `job_keys` (one per product) make internal enqueues idempotent: a job whose key exists is
    returned instead of created (an order seen twice queues its delists once). `live_products`:
    the products the caller read as live in this transaction, if it did (not read again)."""
    if validate:
        if handlers is None:
            raise TypeError("a job request is validated against a handler registry: pass handlers= or validate=False")
        product_ids = _validate(session, request, handlers, live_products)
    else:
        product_ids = list(request.product_ids) or [None]  # type: ignore[list-item]
    from stoflow.config import get_settings

    settings = get_settings()
    now = datetime.now(UTC)
    existing = repository.jobs_by_keys(session, list(job_keys)) if job_keys else {}
    keys = list(job_keys) if job_keys else [None] * len(product_ids)
    fresh = [(product_id, key) for product_id, key in zip(product_ids, keys, strict=True) if key not in existing]
    batch = repository.insert_batch(
        session,
        {
            "marketplace": request.marketplace,
            "action": request.action,
            "idempotency_key": batch_key,
            "request_hash": request.fingerprint(),
            "total": len(fresh),
            "created_by": user_id,
        },
    )
    created = repository.insert_jobs(
        session,
        [
            transitions.new_job(
                batch_id=batch.id,
                marketplace=request.marketplace,
                action=request.action,
                product_id=product_id,
                priority=request.priority,
                max_attempts=request.max_attempts or settings.jobs_default_max_attempts,
                expires_at=now + timedelta(seconds=request.expires_in_s or settings.jobs_default_expiry_s),
                idempotency_key=key,
                input=dict(request.params),
                # Stamped sent with its INSERT, not by an UPDATE after it (see stoflow.jobs.dispatch).
                message_sent_at=now,
            )
            for product_id, key in fresh
        ],
    )
    made = iter(created)
    jobs = [existing[key] if key in existing else next(made) for key in keys]
    if created:
        # Looked at by the maintenance schedule once the send had time to happen (or failed).
        transitions.due(session, "pending", now + timedelta(seconds=settings.jobs_resend_grace_s))
    send_after_commit(session, tenant_id, created, now)
    return Enqueued(batch, jobs, created=bool(created))


def submit(
    session: Session,
    tenant_id: int,
    request: JobRequest,
    *,
    user_id: int | None = None,
    idempotency_key: str | None = None,
    handlers: HandlerRegistry,
    live_products: Collection[int] | None = None,
) -> Enqueued:
    """POST /jobs in the caller's transaction (the request's one): a batch and its jobs, whose
    messages leave once it commits.

    The same Idempotency-Key with the same body returns the first batch; with another body it is
    a 409 (a client bug we must not paper over)."""
    if idempotency_key is None:
        return enqueue_in_session(
            session, tenant_id, request, user_id=user_id, handlers=handlers, live_products=live_products
        )
    if not (1 <= len(idempotency_key) <= 128):
        raise InvalidInput("Idempotency-Key must be 1 to 128 characters", code="invalid_idempotency_key")
    found = _replay(session, idempotency_key, request)
    if found is not None:
        return found
    try:
        # A savepoint only when a key is given: the loser of a race on one key reads the winner's batch.
        with session.begin_nested():
            return enqueue_in_session(
                session,
                tenant_id,
                request,
                batch_key=idempotency_key,
                user_id=user_id,
                handlers=handlers,
                live_products=live_products,
            )
    except IntegrityError as exc:
        if "idempotency_key" not in str(exc.orig):
            raise
    found = _replay(session, idempotency_key, request)
    if found is None:
        raise Conflict("concurrent request with this Idempotency-Key", code="idempotency_conflict")
    return found


def enqueue(
    tenant_id: int,
    request: JobRequest,
    *,
    user_id: int | None = None,
    idempotency_key: str | None = None,
    handlers: HandlerRegistry,
) -> Enqueued:
    """`submit` in a transaction of its own (scheduled work, tests)."""
    with tenant_session(tenant_id) as session:
        return submit(session, tenant_id, request, user_id=user_id, idempotency_key=idempotency_key, handlers=handlers)


def _replay(session: Session, key: str, request: JobRequest) -> Enqueued | None:
    batch = repository.batch_by_key(session, key)
    if batch is None:
        return None
    if batch.request_hash != request.fingerprint():
        raise Conflict("this Idempotency-Key was used for a different request", code="idempotency_key_reused")
    return Enqueued(batch, repository.batch_jobs(session, batch.id), created=False)


def list_jobs(session: Session, filters: JobFilters, limit: int, offset: int) -> tuple[list[Row[Any]], int]:
    return repository.page(session, filters, limit, offset)


def get_job(session: Session, job_id: int) -> MarketplaceJob:
    job = repository.get_job(session, job_id)
    if job is None:
        raise NotFound(f"no job {job_id}", code="job_not_found")
    return job


def get_batch(session: Session, batch_id: int) -> tuple[MarketplaceBatch, list[MarketplaceJob]]:
    batch = repository.get_batch(session, batch_id)
    if batch is None:
        raise NotFound(f"no batch {batch_id}", code="batch_not_found")
    return batch, repository.batch_jobs(session, batch_id)


def cancel_job(session: Session, tenant_id: int, job_id: int) -> MarketplaceJob:
    """Cancel now if the job has not started (or waits); ask the running attempt to stop otherwise."""
    job = repository.get_job(session, job_id, for_update=True)
    if job is None:
        raise NotFound(f"no job {job_id}", code="job_not_found")
    if job.status in FINAL_STATUSES:
        raise Conflict(f"job {job_id} is already {job.status}", code="job_finished")
    now = datetime.now(UTC)
    if job.status == "running":
        transitions.request_cancel(job)
        session.flush()
        return job
    settled = transitions.settle(
        session,
        job_id,
        ["pending", "waiting_extension", "unknown_outcome"],
        {
            "status": "cancelled",
            "cancel_requested": True,
            "finished_at": now,
            "updated_at": now,
            "error_code": "cancelled",
            "error_message": "cancelled by the user",
        },
    )
    assert settled is not None  # locked above, and not final
    record_final(session, settled)
    notify(session, status_event(tenant_id, settled))
    return settled
