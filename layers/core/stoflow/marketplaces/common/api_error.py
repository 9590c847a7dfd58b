"""The error of a marketplace call, apart from the HTTP client that raises it: code that only
catches or classifies it (connections, schedules, readiness) does not import httpx, which only the
functions that call marketplaces need (about 65 ms of a cold start)."""

from __future__ import annotations

from typing import Any


class MarketplaceApiError(Exception):
    """A marketplace call that did not succeed. `kind` decides what the job system does with it:
    "retryable" (later), "permanent" (never), or "unknown" (a write that may have happened)."""

    def __init__(
        self,
        marketplace: str,
        message: str,
        *,
        kind: str,
        status: int | None = None,
        code: str | None = None,
        retry_after_s: float | None = None,
        errors: list[dict[str, Any]] | None = None,
        host: str | None = None,
    ) -> None:
        super().__init__(message)
        # Where the call went (scheme://host[:port]): said when nothing came back.
        self.host = host
        self.marketplace = marketplace
        self.message = message
        self.kind = kind
        self.status = status
        self.code = code or (f"http_{status}" if status else "transport_error")
        self.retry_after_s = retry_after_s
        self.errors = errors or []

    @property
    def retryable(self) -> bool:
        return self.kind == "retryable"
