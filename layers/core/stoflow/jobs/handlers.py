"""Job handlers and their registry: MarketplaceJobProcessor looks handlers up by (marketplace, action).

A handler is a small class per marketplace and action (VintedPublishJobHandler,
EbayPublishJobHandler, ...). It receives a JobContext and returns a JobOutcome, or raises one of
stoflow.jobs.errors. It never changes the job row itself: the processor owns job state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from sqlalchemy.orm import Session

MARKETPLACES = ("vinted", "ebay", "etsy")


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


class HandlerRegistry:
    def __init__(self) -> None:
        self._handlers: dict[tuple[str, str], JobHandler] = {}

    def register(self, handler: JobHandler) -> JobHandler:
        key = (handler.marketplace, handler.action)
        if handler.marketplace not in MARKETPLACES:
            raise ValueError(f"unknown marketplace {handler.marketplace!r}")
        if key in self._handlers:
            raise ValueError(f"a handler for {key} is already registered")
        self._handlers[key] = handler
        return handler

    def get(self, marketplace: str, action: str) -> JobHandler | None:
        return self._handlers.get((marketplace, action))

    def longest_timeout_s(self, marketplace: str) -> int:
        """The longest attempt any of this marketplace's handlers may take (0: none registered):
        what the worker must have left before it claims a job of that marketplace."""
        return max((h.timeout_s for (m, _), h in self._handlers.items() if m == marketplace), default=0)

    def actions(self, marketplace: str) -> list[str]:
        return sorted(action for (m, action) in self._handlers if m == marketplace)

    def __iter__(self) -> Iterator[JobHandler]:
        return iter(self._handlers.values())


def _marketplace_module(marketplace: str, name: str) -> Any | None:
    """stoflow.marketplaces.<marketplace>.<name> if that marketplace has it (not built yet: None).
    A module that exists but fails to import raises: a broken marketplace is not a missing one."""
    import importlib
    import importlib.util

    qualified = f"stoflow.marketplaces.{marketplace}.{name}"
    try:
        if importlib.util.find_spec(qualified) is None:
            return None
    except ModuleNotFoundError:  # the marketplace package itself does not exist
        return None
    return importlib.import_module(qualified)


def default_registry() -> HandlerRegistry:
    """Every marketplace's handlers: each marketplace's `jobs` module has `register(registry)`."""
    registry = HandlerRegistry()
    for marketplace in MARKETPLACES:
        module = _marketplace_module(marketplace, "jobs")
        if module is not None:
            module.register(registry)
    return registry
