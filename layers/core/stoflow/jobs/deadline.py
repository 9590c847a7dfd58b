"""The running job attempt's deadline, enforced where a handler spends its time.

A handler declares `timeout_s`; the worker runs it inside `running_until(...)`, at most that long
and never past what the Lambda invocation has left. Python cannot stop a thread from outside,
and a signal could cut a database transaction or a marketplace write in half, so the deadline
is cooperative and enforced at the only places a handler waits: each marketplace HTTP call gets
at most the time that is left, and no call (or retry pause) starts once it has run out. A write
cut short by the deadline is an unknown outcome, reconciled by a read like any other.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["remaining_s", "running_until"]

_deadline: ContextVar[float | None] = ContextVar("stoflow_job_deadline", default=None)


@contextmanager
def running_until(seconds_from_now: float) -> Iterator[None]:
    """Run the block with a deadline `seconds_from_now` (monotonic clock)."""
    token = _deadline.set(time.monotonic() + seconds_from_now)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining_s() -> float | None:
    """Seconds left before the current attempt's deadline (may be negative), or None outside one."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()
