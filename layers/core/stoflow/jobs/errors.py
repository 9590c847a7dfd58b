"""How a job handler says what went wrong; the processor turns each into a job status.

- RetryableJobError: try again later (429, 5xx, timeouts before anything was written).
- PermanentJobError: retrying cannot help (validation refused by the marketplace, 4xx).
- UnknownOutcomeError: a write was sent and no answer came; never retried blindly, the job
  becomes `unknown_outcome` and is reconciled by a read.
- WaitingForExtension: a job parked until the tenant's browser extension is there.
- JobCancelled: the handler saw the cancel request before any side effect.
"""

from __future__ import annotations

from typing import Any


class JobError(Exception):
    code = "job_error"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details or {}


class RetryableJobError(JobError):
    code = "retryable"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        retry_after_s: float | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, code=code, details=details)
        self.retry_after_s = retry_after_s


class PermanentJobError(JobError):
    code = "permanent"


class UnknownOutcomeError(JobError):
    code = "unknown_outcome"


class WaitingForExtension(JobError):
    code = "waiting_extension"


class JobCancelled(JobError):
    code = "cancelled"
