"""Test doubles for the job system: a queue that records, handlers that behave on cue, a clock."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from sqlalchemy import select

from stoflow import runtime
from stoflow.jobs.errors import JobCancelled, PermanentJobError, RetryableJobError, UnknownOutcomeError
from stoflow.jobs.handlers import HandlerRegistry, JobContext, JobOutcome
from stoflow.jobs.messages import JobMessage
from stoflow.jobs.queue import QUEUE
from stoflow.marketplaces.registry import JOB_HANDLERS
from stoflow.models import Product


class FakeQueue:
    def __init__(self) -> None:
        self.sent: list[tuple[JobMessage, str]] = []
        self.broken = False
        self.lock = threading.Lock()

    def send(self, messages: Sequence[tuple[JobMessage, str]]) -> list[JobMessage]:
        if self.broken:
            raise ConnectionError("queue unreachable")
        with self.lock:
            self.sent.extend(messages)
        return []

    def take(self) -> list[JobMessage]:
        with self.lock:
            taken = [message for message, _ in self.sent]
            self.sent.clear()
        return taken


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class ScriptedHandler:
    """A handler whose successive runs follow a script: "ok", "retry", "permanent", "unknown",
    "cancel", or a callable(context) -> JobOutcome."""

    marketplace: ClassVar[str] = "ebay"
    idempotent: ClassVar[bool] = True
    needs_product: ClassVar[bool] = True
    timeout_s: ClassVar[int] = 60

    def __init__(
        self,
        action: str,
        script: list[Any] | None = None,
        *,
        marketplace: str = "ebay",
        idempotent: bool = True,
        needs_product: bool = True,
    ) -> None:
        self.action = action  # type: ignore[misc]
        self.marketplace = marketplace  # type: ignore[misc]
        self.idempotent = idempotent  # type: ignore[misc]
        self.needs_product = needs_product  # type: ignore[misc]
        self.script = list(script or [])
        self.calls: list[JobContext] = []
        self.lock = threading.Lock()

    def run(self, context: JobContext) -> JobOutcome:
        with self.lock:
            self.calls.append(context)
            step = self.script.pop(0) if self.script else "ok"
        if callable(step):
            return step(context)
        if step == "retry":
            raise RetryableJobError("marketplace answered 503", code="http_503")
        if step == "retry_after":
            raise RetryableJobError("rate limited", code="http_429", retry_after_s=600)
        if step == "permanent":
            raise PermanentJobError("marketplace refused the listing", code="listing_refused")
        if step == "unknown":
            raise UnknownOutcomeError("no answer after the write", code="timeout_after_write")
        if step == "cancel":
            raise JobCancelled("stopped before writing")
        if step == "boom":
            raise ZeroDivisionError("handler bug")
        return JobOutcome(
            result={"echo": context.job.input, "tenant": context.job.tenant_id},
            external_id=f"ext-{context.job.product_id}",
            listing_url=f"https://marketplace.example/{context.job.product_id}",
            listing_status="listed" if self.action == "publish" else None,
        )


@dataclass
class JobsWorld:
    queue: FakeQueue
    registry: HandlerRegistry
    handlers: dict[str, ScriptedHandler]
    connected: dict[str, bool]


@pytest.fixture
def jobs_world(engine) -> Iterator[JobsWorld]:
    """Registry of scripted eBay handlers (publish, update, delete, sync_orders), eBay and Etsy
    connected, Vinted not, and a recording queue."""
    registry = HandlerRegistry()
    handlers = {
        "publish": ScriptedHandler("publish"),
        "update": ScriptedHandler("update"),
        "delete": ScriptedHandler("delete", idempotent=False),
        "sync_orders": ScriptedHandler("sync_orders", needs_product=False),
        "etsy_publish": ScriptedHandler("publish", marketplace="etsy"),
    }
    for handler in handlers.values():
        registry.register(handler)
    connected = {"ebay": True, "etsy": True, "vinted": False}
    for marketplace in connected:
        registry.set_connection_check(marketplace, lambda _s, m=marketplace: connected[m])
    queue = FakeQueue()
    with runtime.provided(JOB_HANDLERS, registry), runtime.provided(QUEUE, queue):
        yield JobsWorld(queue, registry, handlers, connected)


def add_products(tenant_id: int, count: int, prefix: str | None = None) -> list[int]:
    from stoflow.db.tenancy import tenant_session

    with tenant_session(tenant_id) as session:
        products = [Product(title=f"{prefix or tenant_id}: item {i}") for i in range(count)]
        session.add_all(products)
        session.flush()
        return [p.id for p in products]


def product_title(context: JobContext) -> str:
    with context.session() as session:
        return session.scalar(select(Product.title).where(Product.id == context.job.product_id)) or ""
