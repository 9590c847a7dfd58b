"""HTTP to marketplaces: timeouts, retries with backoff on 429 and 5xx honouring Retry-After, and
every failure classified for the job system (retryable, permanent, or outcome unknown).

Nothing here logs a header, a body, or a query string: tokens travel in headers and form bodies,
and the only thing logged about a call is its method, path, status and attempt.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from stoflow import runtime
from stoflow.config import get_settings
from stoflow.marketplaces.common.api_error import MarketplaceApiError
from stoflow.observability import subsegment

log = logging.getLogger(__name__)

# Methods a repeat cannot turn into a second write (PUT on eBay is createOrReplace).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
# Statuses meaning "not processed, try again": the request did not change anything.
RETRY_STATUSES = frozenset({429, 502, 503, 504})


def pause(seconds: float) -> None:
    """The wait between two attempts (tests replace it: nothing here ever waits in a test)."""
    time.sleep(seconds)


class _SharedTransport(httpx.BaseTransport):
    """The container's connection pool, lent to each client: closing a client (at the end of a
    job) leaves the pool and its kept-alive TLS connections to the next one."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self.transport = transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.transport.handle_request(request)

    def close(self) -> None:
        pass  # the pool is the container's, closed by stoflow.runtime.reset()


def _close_shared(shared: _SharedTransport) -> None:
    shared.transport.close()


# One connection pool (and one TLS context: ~10 ms to build) per container for every marketplace
# client, instead of one per client.
TRANSPORT: runtime.Part[_SharedTransport] = runtime.Part(
    "marketplace HTTP connections", lambda: _SharedTransport(httpx.HTTPTransport()), _close_shared
)


@contextmanager
def use_transport(transport: httpx.BaseTransport) -> Iterator[None]:
    """Route every marketplace client built inside the block through `transport` (tests: fakes)."""
    with runtime.provided(TRANSPORT, _SharedTransport(transport)):
        yield


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date; None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _error_summary(response: httpx.Response) -> tuple[str | None, str, list[dict[str, Any]]]:
    """(code, message, errors) from an eBay {"errors": [...]} or Etsy {"error": "..."} body.

    Only fields the marketplaces define for errors are kept: a body is never logged whole."""
    try:
        body = response.json()
    except ValueError:
        return None, f"HTTP {response.status_code}", []
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        errors = [
            {k: e.get(k) for k in ("errorId", "domain", "category", "message", "longMessage", "parameters") if k in e}
            for e in body["errors"]
            if isinstance(e, dict)
        ]
        first = errors[0] if errors else {}
        code = str(first.get("errorId")) if first.get("errorId") is not None else None
        return code, str(first.get("message") or f"HTTP {response.status_code}"), errors
    if isinstance(body, dict) and "error" in body:
        code = str(body.get("error"))[:64]
        message = str(body.get("error_description") or body.get("error"))
        return code, message[:500], []
    return None, f"HTTP {response.status_code}", []


def _origin(request: httpx.Request) -> str:
    """scheme://host[:port] of a request: never its path or query (they may carry secrets)."""
    url = request.url
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"


@dataclass
class RetrySettings:
    max_retries: int
    backoff_base_s: float
    retry_after_max_s: float


class MarketplaceHttp:
    """One marketplace's HTTP client. `sleep` is injectable so tests never wait."""

    def __init__(
        self,
        marketplace: str,
        base_url: str,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        settings = get_settings()
        self.marketplace = marketplace
        self.retry = RetrySettings(
            settings.marketplace_max_retries,
            settings.marketplace_backoff_base_s,
            settings.marketplace_retry_after_max_s,
        )
        self._sleep = sleep or (lambda seconds: pause(seconds))
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not security)
        self._client = httpx.Client(
            base_url=base_url,
            transport=transport or runtime.get(TRANSPORT),
            timeout=httpx.Timeout(settings.marketplace_read_timeout_s, connect=settings.marketplace_connect_timeout_s),
            follow_redirects=False,
        )

    def close(self) -> None:
        self._client.close()

    def _timeout_within_deadline(self, method: str, path: str) -> Any:
        """The client's timeouts, shortened to what the job attempt has left (stoflow.jobs.deadline);
        no call starts once nothing is left: it could only be cut off half-way."""
        from stoflow.jobs.deadline import remaining_s

        left = remaining_s()
        if left is None:
            return httpx.USE_CLIENT_DEFAULT  # not inside a job: the client's own timeouts
        if left <= 0:
            log.warning("%s %s %s: the job's deadline has passed; not sent", self.marketplace, method, path)
            raise MarketplaceApiError(
                self.marketplace, "the job ran out of time before this call", kind="retryable", code="deadline"
            )
        configured = self._client.timeout
        return httpx.Timeout(
            min(configured.read or left, left),
            connect=min(configured.connect or left, left),
            write=min(configured.write or left, left),
            pool=min(configured.pool or left, left),
        )

    def _pause_within_deadline(self, seconds: float) -> bool:
        """Pause before a retry, unless the pause alone would outlast the job's deadline."""
        from stoflow.jobs.deadline import remaining_s

        left = remaining_s()
        if left is not None and seconds >= left:
            return False
        self._sleep(seconds)
        return True

    def _backoff(self, attempt: int) -> float:
        return self.retry.backoff_base_s * 2**attempt * self._rng.uniform(0.5, 1.0)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        idempotent: bool | None = None,
        allow_statuses: frozenset[int] = frozenset(),
    ) -> httpx.Response:
        """Send with retries; return a 2xx response (or one in `allow_statuses`), else raise
        MarketplaceApiError classified for the job system."""
        method = method.upper()
        safe_to_repeat = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        attempt = 0
        while True:
            request = self._client.build_request(
                method,
                path,
                params=params,
                json=json,
                data=data,
                files=files,
                headers=headers,
                timeout=self._timeout_within_deadline(method, path),
            )
            try:
                with subsegment(f"{self.marketplace}.http", method=method):
                    response = self._client.send(request, auth=auth) if auth else self._client.send(request)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # Nothing reached the marketplace: always safe to try again.
                log.warning(
                    "%s %s %s: %s (attempt %d)",
                    self.marketplace,
                    method,
                    request.url.path,
                    type(exc).__name__,
                    attempt + 1,
                )
                if attempt < self.retry.max_retries and self._pause_within_deadline(self._backoff(attempt)):
                    attempt += 1
                    continue
                raise MarketplaceApiError(
                    self.marketplace,
                    f"cannot reach {self.marketplace} at {_origin(request)}",
                    kind="retryable",
                    code="unreachable",
                    host=_origin(request),
                ) from None
            except httpx.TransportError as exc:
                # Sent, and no answer: a read may be repeated, a write may already have happened.
                log.warning(
                    "%s %s %s: %s (attempt %d)",
                    self.marketplace,
                    method,
                    request.url.path,
                    type(exc).__name__,
                    attempt + 1,
                )
                if not safe_to_repeat:
                    raise MarketplaceApiError(
                        self.marketplace,
                        f"no answer from {self.marketplace} at {_origin(request)} to a write",
                        kind="unknown",
                        code="no_answer",
                        host=_origin(request),
                    ) from None
                if attempt < self.retry.max_retries and self._pause_within_deadline(self._backoff(attempt)):
                    attempt += 1
                    continue
                raise MarketplaceApiError(
                    self.marketplace,
                    f"no answer from {self.marketplace} at {_origin(request)}",
                    kind="retryable",
                    code="no_answer",
                    host=_origin(request),
                ) from None

            status = response.status_code
            log.info("%s %s %s -> %d (attempt %d)", self.marketplace, method, request.url.path, status, attempt + 1)
            if status < 400 or status in allow_statuses:
                return response
            code, message, errors = _error_summary(response)
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            if status in RETRY_STATUSES or (status >= 500 and safe_to_repeat):
                wait = retry_after if retry_after is not None else self._backoff(attempt)
                if (
                    attempt < self.retry.max_retries
                    and (retry_after or 0) <= self.retry.retry_after_max_s
                    and self._pause_within_deadline(wait)
                ):
                    attempt += 1
                    continue
                raise MarketplaceApiError(
                    self.marketplace,
                    message,
                    kind="retryable",
                    status=status,
                    code=code,
                    retry_after_s=retry_after,
                    errors=errors,
                )
            if status >= 500:
                # A 500 on a write: the marketplace may have done it before failing.
                raise MarketplaceApiError(
                    self.marketplace, message, kind="unknown", status=status, code=code, errors=errors
                )
            raise MarketplaceApiError(
                self.marketplace, message, kind="permanent", status=status, code=code, errors=errors
            )
