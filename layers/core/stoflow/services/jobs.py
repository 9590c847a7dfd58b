"""The job system bound to the marketplaces: the one place that gives stoflow.jobs (which knows
no marketplace) the marketplace registry's handlers and connection checks.

Entry points use these instead of the bare stoflow.jobs functions: `submit` for POST /jobs,
`handle_batch` for the SQS worker, `run_maintenance` for the every-minute schedule."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from stoflow.jobs import service
from stoflow.jobs.handlers import HandlerRegistry
from stoflow.jobs.service import Enqueued, JobRequest

__all__ = ["Enqueued", "JobRequest", "enqueue", "handle_batch", "registry", "run_maintenance", "submit"]


def registry() -> HandlerRegistry:
    """The handler registry the job system uses in this process (the marketplaces' unless a test
    set its own through stoflow.jobs.service.set_registry)."""
    if service._registry is None:
        from stoflow.marketplaces.registry import job_handlers

        service.set_registry(job_handlers())
    return service.registry()


def submit(
    session: Session,
    tenant_id: int,
    request: JobRequest,
    *,
    user_id: int | None = None,
    idempotency_key: str | None = None,
) -> Enqueued:
    """POST /jobs in the request's transaction, validated against the marketplaces' handlers."""
    return service.submit(
        session, tenant_id, request, user_id=user_id, idempotency_key=idempotency_key, handlers=registry()
    )


def enqueue(
    tenant_id: int, request: JobRequest, *, user_id: int | None = None, idempotency_key: str | None = None
) -> Enqueued:
    """`submit` in a transaction of its own."""
    return service.enqueue(tenant_id, request, user_id=user_id, idempotency_key=idempotency_key, handlers=registry())


def handle_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from stoflow.jobs import worker

    registry()
    return worker.handle_batch(event, context)


def run_maintenance() -> dict[str, Any]:
    from stoflow.jobs.maintenance import run_all

    return run_all(registry())
