"""Shared helpers for marketplace job handlers: API errors → job errors."""

from __future__ import annotations

from stoflow.jobs.errors import JobError, PermanentJobError, RetryableJobError, UnknownOutcomeError
from stoflow.marketplaces.common.http import MarketplaceApiError


def job_error(exc: MarketplaceApiError) -> JobError:
    details = {"status": exc.status, "errors": exc.errors} if exc.status else {}
    message = f"{exc.marketplace}: {exc.message}"
    if exc.kind == "retryable":
        return RetryableJobError(message, code=exc.code, retry_after_s=exc.retry_after_s, details=details)
    if exc.kind == "unknown":
        return UnknownOutcomeError(message, code=exc.code, details=details)
    return PermanentJobError(message, code=exc.code, details=details)
