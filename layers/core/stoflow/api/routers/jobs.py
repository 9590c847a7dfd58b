"""/jobs and /batches: queue marketplace work, follow it, cancel it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Header, Path, Query, Response, status
from pydantic import ConfigDict, Field

from stoflow.api.deps import CurrentPrincipal, TenantDb
from stoflow.api.edge import JobParams, id_of, text
from stoflow.api.pagination import Page, PageParams, page_params
from stoflow.api.routing import api_router
from stoflow.api.schemas.model import ApiModel
from stoflow.api.schemas.readiness import IssueOut
from stoflow.jobs import service
from stoflow.marketplaces.registry import NAMES
from stoflow.models.jobs import JOB_STATUSES, MarketplaceBatch, MarketplaceJob
from stoflow.repositories.jobs import JobFilters

router = api_router(tags=["jobs"])

# The registry's marketplaces, as an enum in the OpenAPI document.
Marketplace = Literal[NAMES]  # type: ignore[valid-type]
JobId = Annotated[id_of(MarketplaceJob.id), Path()]
BatchId = Annotated[id_of(MarketplaceBatch.id), Path()]


class JobCreate(ApiModel):
    model_config = ConfigDict(extra="forbid")

    marketplace: Marketplace
    action: str = Field(min_length=1, max_length=40, pattern=r"^[a-z_]+$")
    product_ids: list[id_of(MarketplaceJob.product_id)] = Field(default_factory=lambda: [], max_length=500)
    params: JobParams = Field(default_factory=lambda: {})
    priority: int = Field(default=0, ge=-10, le=10)
    ready_only: bool = Field(
        default=False,
        description="queue the products that are ready and list the others in `skipped` (422 only when none is)",
    )


class JobOut(ApiModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    batch_id: int | None
    marketplace: str
    action: str
    product_id: int | None
    status: str
    priority: int
    attempts: int
    max_attempts: int
    next_attempt_at: datetime | None
    expires_at: datetime | None
    input: dict[str, Any]
    result: dict[str, Any] | None
    error_code: str | None
    error_message: str | None
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class SkippedProduct(ApiModel):
    product_id: int
    issues: list[IssueOut]


class BatchOut(ApiModel):
    id: int
    marketplace: str
    action: str
    total: int
    completed: int
    failed: int
    cancelled: int
    pending: int
    progress: float
    done: bool
    created_at: datetime
    jobs: list[JobOut]
    skipped: list[SkippedProduct] = Field(default_factory=lambda: [], description="left out by `ready_only`")

    @classmethod
    def of(
        cls, batch: MarketplaceBatch, jobs: list[MarketplaceJob], skipped: list[dict[str, Any]] | None = None
    ) -> BatchOut:
        finished = batch.completed + batch.failed + batch.cancelled
        return cls(
            id=batch.id,
            marketplace=batch.marketplace,
            action=batch.action,
            total=batch.total,
            completed=batch.completed,
            failed=batch.failed,
            cancelled=batch.cancelled,
            pending=batch.total - finished,
            progress=round(finished / batch.total, 4) if batch.total else 1.0,
            done=finished >= batch.total,
            created_at=batch.created_at,
            jobs=[JobOut.model_validate(job) for job in jobs],
            skipped=[SkippedProduct.model_validate(item) for item in skipped or []],
        )


@router.post("/jobs", status_code=status.HTTP_202_ACCEPTED, response_model=BatchOut)
async def create_jobs(
    body: JobCreate,
    db: TenantDb,
    principal: CurrentPrincipal,
    response: Response,
    idempotency_key: Annotated[text(128, min_length=1) | None, Header(alias="Idempotency-Key")] = None,
) -> BatchOut:
    """Queue one job per product (or one job with params): 202 with the batch; a replay of the
    same Idempotency-Key answers 200 with the batch it created first."""
    from stoflow.services.jobs import submit

    enqueued, skipped = submit(
        db,
        principal.tenant_id,
        service.JobRequest(body.marketplace, body.action, body.product_ids, body.params, body.priority),
        user_id=principal.user_id,
        idempotency_key=idempotency_key,
        ready_only=body.ready_only,
    )
    if not enqueued.created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/batches/{enqueued.batch.id}"
    return BatchOut.of(enqueued.batch, enqueued.jobs, skipped)


@router.get("/jobs", response_model=Page[JobOut])
async def list_jobs(
    db: TenantDb,
    page: Annotated[PageParams, Depends(page_params)],
    status_: Annotated[Literal[JOB_STATUSES] | None, Query(alias="status")] = None,  # type: ignore[valid-type]
    marketplace: Marketplace | None = None,
    action: Annotated[text(40) | None, Query()] = None,
    batch_id: Annotated[id_of(MarketplaceJob.batch_id) | None, Query()] = None,
    product_id: Annotated[id_of(MarketplaceJob.product_id) | None, Query()] = None,
) -> Page[JobOut]:
    filters = JobFilters(status_, marketplace, action, batch_id, product_id)
    jobs, total = service.list_jobs(db, filters, page.limit, page.offset)
    return Page[JobOut](
        items=[JobOut.model_validate(job) for job in jobs], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/jobs/{job_id}", response_model=JobOut)
async def get_job(job_id: JobId, db: TenantDb) -> JobOut:
    return JobOut.model_validate(service.get_job(db, job_id))


@router.post("/jobs/{job_id}/cancel", response_model=JobOut)
async def cancel_job(job_id: JobId, db: TenantDb, principal: CurrentPrincipal) -> JobOut:
    """Cancelled at once if it has not started; a running attempt is asked to stop (it stops
    before its next side effect, or completes if it was already done)."""
    return JobOut.model_validate(service.cancel_job(db, principal.tenant_id, job_id))


@router.get("/batches/{batch_id}", response_model=BatchOut)
async def get_batch(batch_id: BatchId, db: TenantDb) -> BatchOut:
    batch, jobs = service.get_batch(db, batch_id)
    return BatchOut.of(batch, jobs)
