"""Shared pieces of the API marketplaces' job handlers (eBay, Etsy): API errors → job errors,
the cancel check between calls, and the handler base class."""

from __future__ import annotations

from typing import ClassVar

from stoflow.errors import MarketplaceNotConfigured
from stoflow.jobs.errors import JobCancelled, JobError, PermanentJobError, RetryableJobError, UnknownOutcomeError
from stoflow.jobs.handlers import JobContext, JobOutcome
from stoflow.marketplaces.common.api_error import MarketplaceApiError


def job_error(exc: MarketplaceApiError) -> JobError:
    details = {"status": exc.status, "errors": exc.errors} if exc.status else {}
    message = f"{exc.marketplace}: {exc.message}"
    if exc.kind == "retryable":
        return RetryableJobError(message, code=exc.code, retry_after_s=exc.retry_after_s, details=details)
    if exc.kind == "unknown":
        return UnknownOutcomeError(message, code=exc.code, details=details)
    return PermanentJobError(message, code=exc.code, details=details)


def check_cancel(context: JobContext, marketplace: str) -> None:
    """Called before each marketplace call: a cancel request stops the job before its next effect."""
    if context.cancel_requested():
        raise JobCancelled(f"cancelled before the next {marketplace} call")


class ApiJobHandler:
    """A job on a marketplace with an HTTP API: subclasses implement `execute`; API failures come
    out as the job errors the processor understands."""

    marketplace: ClassVar[str] = ""
    action: ClassVar[str] = ""
    idempotent: ClassVar[bool] = True
    needs_product: ClassVar[bool] = True
    timeout_s: ClassVar[int] = 180

    def run(self, context: JobContext) -> JobOutcome:
        try:
            return self.execute(context)
        except MarketplaceApiError as exc:
            raise job_error(exc) from None
        except MarketplaceNotConfigured as exc:  # no app keys on this server: retrying cannot help
            raise PermanentJobError(exc.detail, code=exc.code) from None

    def execute(self, context: JobContext) -> JobOutcome:
        raise NotImplementedError

    def reconcile(self, context: JobContext) -> JobOutcome | None:
        """After an unknown outcome. None: nothing found, run the write again (safe where every
        step converges when repeated); subclasses with a cheaper or stricter read override it."""
        return None
