"""The nested-checkout guard: a thread that holds a pooled connection may not check out another.

A Lambda container has one connection (pool of one, no overflow). Code that opens a second session
while its first is open waits for itself: `QueuePool limit of size 1 overflow 0 reached` after the
pool timeout, on every request, in production only, since tests and the local cloud had bigger
pools. With this guard installed, the second checkout fails at once, whatever the pool size, with
a message that says what to do instead. The tests and the local cloud install it for every pool.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event
from sqlalchemy.pool import ConnectionPoolEntry, Pool, QueuePool

from stoflow.errors import StoflowError


class NestedCheckout(StoflowError):
    """A programming error: never mapped to a client problem."""


_lock = threading.Lock()
_holders: set[tuple[int, int]] = set()  # (thread, pool) pairs holding a connection now
_installed = False


def _refuse(holder: tuple[int, int]) -> None:
    if holder in _holders:
        raise NestedCheckout(
            "a thread that holds a database connection asked for a second one from the same pool: on "
            "AWS (one connection per container) this waits for itself and fails. Run the statement in "
            "the open session (pass the session down), or after the first one is closed."
        )


class GuardedQueuePool(QueuePool):
    """The engines' pool: with the guard installed, a nested checkout is refused before it waits
    for a free connection (with a pool of one it would wait the whole pool timeout, then fail
    with a message about pool limits). Without the guard, exactly QueuePool."""

    def _do_get(self) -> ConnectionPoolEntry:
        if _installed:
            with _lock:
                _refuse((threading.get_ident(), id(self)))
        return super()._do_get()


def _on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    holder = (threading.get_ident(), id(proxy._pool))
    with _lock:
        _refuse(holder)
        _holders.add(holder)
    record.info["stoflow_holder"] = holder


def _on_checkin(dbapi_connection: Any, record: Any) -> None:
    # Keyed by the record, not the current thread: a connection may be returned by another thread.
    holder = record.info.pop("stoflow_holder", None)
    if holder is not None:
        with _lock:
            _holders.discard(holder)


def install() -> None:
    """Guard every pool of the process (idempotent)."""
    global _installed
    if _installed:
        return
    event.listen(Pool, "checkout", _on_checkout)
    event.listen(Pool, "checkin", _on_checkin)
    _installed = True
