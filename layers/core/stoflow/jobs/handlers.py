"""Job handlers and their registry: MarketplaceJobProcessor looks handlers up by (marketplace, action).

A handler is a small class per marketplace and action (each marketplace's `jobs` module
registers its own). It receives a JobContext and returns a JobOutcome, or raises one of
stoflow.jobs.errors. It never changes the job row itself: job state changes only in stoflow.jobs.transitions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class JobSnapshot:
    """What a handler may know of its job (a copy: the row belongs to the processor)."""

    id: int
    tenant_id: int
    marketplace: str
    action: str
    product_id: int | None
    batch_id: int | None
    attempt: int
    max_attempts: int
    input: dict[str, Any]
    deadline: datetime | None
    # An earlier attempt's write has an unknown outcome: ReconcilingHandler.reconcile runs first.
    needs_reconcile: bool = False


@dataclass
class JobContext:
    job: JobSnapshot
    # A unit of work in the job's tenant schema (commits at block end): handlers read and write
    # their marketplace tables through it, in short transactions, never across a network call.
    session: Callable[[], AbstractContextManager[Session]]
    # True once someone asked to cancel: handlers check it before each side effect.
    cancel_requested: Callable[[], bool]


@dataclass
class JobOutcome:
    """A finished job: its result, and what to record of it."""

    result: dict[str, Any] = field(default_factory=dict)
    # For publication_history and the product's listing state (publish/update/delete actions).
    external_id: str | None = None
    listing_url: str | None = None
    listing_status: str | None = None  # "listed", "delisted", "sold" or None when unchanged


class JobHandler(Protocol):
    marketplace: ClassVar[str]
    action: ClassVar[str]
    # May this action run again safely after a crash mid-way (reads, or writes keyed so that a
    # repeat replaces rather than duplicates)? Decides what the reaper does with a stuck job.
    idempotent: ClassVar[bool]
    # Does the action need a product id?
    needs_product: ClassVar[bool]
    # How long one attempt may run: the worker enforces it (stoflow.jobs.deadline) and claims a
    # job only with this much time left; the reaper takes an attempt older than the attempt timeout.
    timeout_s: ClassVar[int]

    def run(self, context: JobContext) -> JobOutcome: ...


class ReconcilingHandler(JobHandler, Protocol):
    """A handler that can find out, by a read, whether an earlier write reached the marketplace.

    After an unknown outcome the job is retried with reconciliation first: `reconcile` returns
    the outcome of the earlier write if it happened (the job completes without writing again),
    or None if it did not (the write is then safe to run)."""

    def reconcile(self, context: JobContext) -> JobOutcome | None: ...


ConnectionCheck = Callable[[Session], bool]
HandlerLoader = Callable[["HandlerRegistry"], None]


class HandlerRegistry:
    """Handlers by (marketplace, action), and each marketplace's "is it connected?" check.

    The job system knows no marketplace: the registry it works with is given to it (the
    marketplace registry builds one from its descriptors, tests build their own). `loaders` add a
    marketplace's handlers on the first lookup of that marketplace, so a process that runs one
    marketplace's jobs never imports another marketplace's handler module."""

    def __init__(
        self,
        *,
        loaders: Mapping[str, HandlerLoader] | None = None,
        connection_checks: Mapping[str, ConnectionCheck] | None = None,
    ) -> None:
        self._handlers: dict[tuple[str, str], JobHandler] = {}
        self._loaders = dict(loaders or {})
        self._checks: dict[str, ConnectionCheck] = dict(connection_checks or {})
        self._loading: set[str] = set()

    @property
    def marketplaces(self) -> tuple[str, ...]:
        """The marketplaces this registry knows (loaded or not)."""
        return tuple(dict.fromkeys([*self._loaders, *(m for m, _ in self._handlers), *self._checks]))

    def _load(self, marketplace: str) -> None:
        loader = self._loaders.pop(marketplace, None)
        if loader is not None:
            self._loading.add(marketplace)
            try:
                loader(self)
            finally:
                self._loading.discard(marketplace)

    def register(self, handler: JobHandler) -> JobHandler:
        key = (handler.marketplace, handler.action)
        if handler.marketplace in self._loaders and handler.marketplace not in self._loading:
            self._load(handler.marketplace)  # the marketplace's own handlers first, then this one
        if key in self._handlers:
            if handler.marketplace in self._loading:
                return self._handlers[key]  # put in place before its marketplace loaded: it stays
            raise ValueError(f"a handler for {key} is already registered")
        self._handlers[key] = handler
        return handler

    def set_connection_check(self, marketplace: str, check: ConnectionCheck) -> None:
        self._checks[marketplace] = check

    def get(self, marketplace: str, action: str) -> JobHandler | None:
        self._load(marketplace)
        return self._handlers.get((marketplace, action))

    def longest_timeout_s(self, marketplace: str) -> int:
        """The longest attempt any of this marketplace's handlers may take (0: none registered):
        what the worker must have left before it claims a job of that marketplace."""
        return max((h.timeout_s for (m, _), h in self._handlers.items() if m == marketplace), default=0)

    def actions(self, marketplace: str) -> list[str]:
        self._load(marketplace)
        return sorted(action for (m, action) in self._handlers if m == marketplace)

    def is_connected(self, session: Session, marketplace: str) -> bool:
        check = self._checks.get(marketplace)
        return check is not None and check(session)

    def __iter__(self) -> Iterator[JobHandler]:
        for marketplace in list(self._loaders):
            self._load(marketplace)
        return iter(list(self._handlers.values()))
