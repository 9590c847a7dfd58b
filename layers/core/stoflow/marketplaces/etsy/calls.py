"""Etsy's limits hold for the whole app (one API key for every tenant): 10 requests a second and
10,000 a day. Every Etsy request of ours goes through `etsy_http`, whose transport

- spaces this container's requests so that every container that may call Etsy at once stays,
  together, under the per-second limit (`etsy_concurrent_callers` / `etsy_requests_per_s`
  between two requests of one container; an Etsy 429 is still retried after its Retry-After by
  stoflow.marketplaces.common.http, or handed back to the job system as retryable);
- counts them, every attempt included, and adds the count to the app's hourly record
  (public.marketplace_calls) once, when the client is closed at the end of its unit of work.

`pace` is the order checks' pace for the day's budget (stoflow.domain.call_budget), read from that
record at most once a minute per container. Seller actions are counted, never held back."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from stoflow import runtime
from stoflow.config import get_settings
from stoflow.domain import call_budget
from stoflow.domain.call_budget import ORDERS, SELLER, Limits, Pace
from stoflow.marketplaces.common import http as common_http

__all__ = ["PACER", "PACES", "CountingTransport", "Pacer", "etsy_http", "limits", "pace"]

log = logging.getLogger(__name__)

MARKETPLACE = "etsy"
# How long a container trusts the pace it read: the cadence needs no finer grain than the minute
# tick, and the read stays one small query a minute per container.
PACE_TTL_S = 60.0


def limits() -> Limits:
    settings = get_settings()
    return Limits(
        daily_limit=settings.etsy_daily_call_limit,
        share=settings.etsy_daily_call_share,
        seller_reserve=settings.etsy_seller_reserve_calls,
        deferred_check_s=settings.etsy_deferred_check_s,
    )


def pause(seconds: float) -> None:
    """The pacing's wait (tests replace it: nothing there ever waits). Not the retries' pause
    (stoflow.marketplaces.common.http.pause): a paced request is not a retried one."""
    time.sleep(seconds)


class Pacer:
    """This container's Etsy requests, at least `spacing_s` apart (thread-safe)."""

    def __init__(self, spacing_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.spacing_s = spacing_s
        self.clock = clock
        self._lock = threading.Lock()
        self._next_at = 0.0

    def wait(self) -> float:
        """Wait for this request's slot; how long it waited."""
        with self._lock:
            now = self.clock()
            start = max(now, self._next_at)
            self._next_at = start + self.spacing_s
        if start > now:
            pause(start - now)
        return start - now


def _pacer() -> Pacer:
    settings = get_settings()
    return Pacer(settings.etsy_concurrent_callers / settings.etsy_requests_per_s)


PACER: runtime.Part[Pacer] = runtime.Part("Etsy request pacing", _pacer)


class PaceCache:
    """The last pace read, trusted `PACE_TTL_S` (monotonic clock) for instants within as much of
    the one it was read for (a simulated clock is not served another moment's pace)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._read: tuple[float, datetime, Pace] | None = None

    def get(self, now: datetime, read: Callable[[], Pace]) -> Pace:
        with self._lock:
            if self._read is not None:
                read_at, read_for, value = self._read
                if self.clock() - read_at < PACE_TTL_S and abs((now - read_for).total_seconds()) < PACE_TTL_S:
                    return value
        value = read()
        self.put(now, value)
        return value

    def put(self, now: datetime, value: Pace) -> None:
        with self._lock:
            self._read = (self.clock(), now, value)


PACES: runtime.Part[PaceCache] = runtime.Part("Etsy order-check pace", PaceCache)


def _read_pace(session: Session, now: datetime) -> Pace:
    from stoflow.repositories import marketplace_calls

    buckets = marketplace_calls.between(session, MARKETPLACE, now - call_budget.DAY, now)
    return call_budget.pace(call_budget.usage_from(buckets, now), limits())


def pace(now: datetime, engine: Engine | None = None) -> Pace:
    """The order checks' pace at `now` (the descriptor's `call_budget`). Opens a shared session:
    call it while holding none."""
    from stoflow.db.tenancy import shared_session

    def read() -> Pace:
        with shared_session(engine=engine) as session:
            return _read_pace(session, now)

    return runtime.get(PACES).get(now, read)


def record(kind: str, calls: int, now: datetime) -> None:
    """Add `calls` of `kind` to the app's record, in one short shared unit of work; order checks
    also add their base calls (times the stretch in force, read in the same transaction)."""
    from stoflow.db.tenancy import shared_session
    from stoflow.repositories import marketplace_calls

    with shared_session() as session:
        base = 0.0
        if kind == ORDERS:
            current = _read_pace(session, now)
            runtime.get(PACES).put(now, current)
            base = calls * current.stretch
        marketplace_calls.add(session, MARKETPLACE, now, kind, calls, base)


class CountingTransport(httpx.BaseTransport):
    """Paces and counts the requests of one client (one unit of work) on the container's pool;
    closing it records the count and leaves the pool open."""

    # Errors raised before anything reached Etsy: not counted against its limit.
    NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

    def __init__(self, transport: httpx.BaseTransport, kind: str, clock: Callable[[], datetime] | None = None) -> None:
        self.transport = transport
        self.kind = kind
        self.clock = clock or (lambda: datetime.now(UTC))
        self.calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        runtime.get(PACER).wait()
        try:
            response = self.transport.handle_request(request)
        except self.NOT_SENT:
            raise
        except httpx.TransportError:
            self.calls += 1  # sent, no answer: Etsy may have counted it
            raise
        self.calls += 1
        return response

    def close(self) -> None:
        calls, self.calls = self.calls, 0
        if not calls:
            return
        try:
            record(self.kind, calls, self.clock())
        except SQLAlchemyError:
            # The database refused the count (down, a lock timeout): the calls were made and their
            # work is done; failing it now would retry a write Etsy already took. The count is lost,
            # and said. Anything else (a bug: a client closed inside a session) is raised.
            log.exception("etsy: %d %s calls could not be recorded", calls, self.kind)


def etsy_http(kind: str = SELLER) -> common_http.MarketplaceHttp:
    """An Etsy HTTP client whose requests are paced and counted as `kind` (call_budget's kinds).
    Close it when its unit of work ends, holding no database session: that records the count."""
    from stoflow.marketplaces.etsy.oauth import api_base_url

    transport = CountingTransport(runtime.get(common_http.TRANSPORT), kind)
    return common_http.MarketplaceHttp(MARKETPLACE, api_base_url(), transport=transport)
