"""The job system bound to the marketplaces: the one place that gives stoflow.jobs (which knows
no marketplace) the marketplace registry's handlers and connection checks.

Entry points use these instead of the bare stoflow.jobs functions: `submit` for POST /jobs,
`handle_batch` for the SQS worker, `run_maintenance` for the every-minute schedule."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from stoflow import runtime
from stoflow.jobs import service
from stoflow.jobs.handlers import HandlerRegistry
from stoflow.jobs.service import Enqueued, JobRequest

if TYPE_CHECKING:
    from stoflow.jobs.processor import MarketplaceJobProcessor

__all__ = ["PROCESSOR", "Enqueued", "JobRequest", "enqueue", "handle_batch", "registry", "run_maintenance", "submit"]


def registry() -> HandlerRegistry:
    """The marketplaces' job handlers (stoflow.marketplaces.registry.JOB_HANDLERS, which tests
    may provide)."""
    from stoflow.marketplaces.registry import job_handlers

    return job_handlers()


def _processor_from_settings() -> MarketplaceJobProcessor:
    from stoflow.config import get_settings
    from stoflow.jobs.processor import MarketplaceJobProcessor, RetryPolicy

    settings = get_settings()
    return MarketplaceJobProcessor(
        registry(),
        retry=RetryPolicy(settings.jobs_backoff_base_s, settings.jobs_backoff_max_s),
        attempt_timeout_s=settings.jobs_attempt_timeout_s,
    )


PROCESSOR: runtime.Part[MarketplaceJobProcessor] = runtime.Part("job processor", _processor_from_settings)


def submit(
    session: Session,
    tenant_id: int,
    request: JobRequest,
    *,
    user_id: int | None = None,
    idempotency_key: str | None = None,
    ready_only: bool = False,
) -> tuple[Enqueued, list[dict[str, Any]]]:
    """POST /jobs in the request's transaction, validated against the marketplaces' handlers; a
    product that is not ready for a handler that needs it ready is refused before any job exists.
    With `ready_only`, the ready products are queued and the others come back with their issues
    (the batch is refused only when none is ready). Returns (the batch, the products left out)."""
    handlers = registry()
    handler = handlers.get(request.marketplace, request.action)
    skipped: list[dict[str, Any]] = []
    live: set[int] | None = None
    # Not connected: the job system's own 409 says so (readiness would only repeat it, as a 422).
    if (
        getattr(handler, "requires_ready", False)
        and request.product_ids
        and handlers.is_connected(session, request.marketplace)
    ):
        from stoflow.services.readiness import require_ready

        asked = list(dict.fromkeys(request.product_ids))
        skipped, live = require_ready(session, request.marketplace, asked, request.params, some=ready_only)
        if skipped:
            left_out = {item["product_id"] for item in skipped}
            request = replace(request, product_ids=[i for i in asked if i not in left_out])
    enqueued = service.submit(
        session,
        tenant_id,
        request,
        user_id=user_id,
        idempotency_key=idempotency_key,
        handlers=handlers,
        live_products=live,
    )
    return enqueued, skipped


def enqueue(
    tenant_id: int, request: JobRequest, *, user_id: int | None = None, idempotency_key: str | None = None
) -> Enqueued:
    """`submit` in a transaction of its own."""
    return service.enqueue(tenant_id, request, user_id=user_id, idempotency_key=idempotency_key, handlers=registry())


def handle_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from stoflow.jobs import worker
    from stoflow.services.scheduled_work import VISITS  # a scheduled run may hand due work over

    return worker.handle_batch(event, context, runtime.get(PROCESSOR), runtime.get(VISITS))


def run_maintenance() -> dict[str, Any]:
    """The every-minute job maintenance, over the tenants whose jobs are due (kind "jobs"), and the
    sweep of alert emails still due (kind "alerts"), handed to the job workers, which send email."""
    from stoflow.services.scheduled_work import run

    return {**run("jobs"), "alerts": run("alerts", fan_out_over=0)}
