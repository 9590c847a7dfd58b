"""The nested-checkout guard refuses a thread's second connection from one pool, at once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, text

from stoflow.db import checkout_guard
from stoflow.db.checkout_guard import GuardedQueuePool, NestedCheckout


@pytest.fixture
def pool_of_one():
    checkout_guard.install()
    # SQLite in memory: a real pool of one, no server needed for the guard's logic.
    engine = create_engine(
        "sqlite://",
        poolclass=GuardedQueuePool,
        pool_size=1,
        max_overflow=0,
        pool_timeout=30,
        connect_args={"check_same_thread": False},
    )
    yield engine
    engine.dispose()


def test_a_second_checkout_in_the_same_thread_fails_at_once(pool_of_one):
    with pool_of_one.connect() as first:
        first.execute(text("SELECT 1"))
        # NestedCheckout, not the pool's TimeoutError after its 30 s: refused before waiting.
        with pytest.raises(NestedCheckout, match="pass the session down"):
            pool_of_one.connect()
    with pool_of_one.connect() as again:  # released: the thread may check out again
        assert again.execute(text("SELECT 1")).scalar() == 1


def test_other_threads_and_sequential_use_are_not_refused(pool_of_one):
    results = []
    with pool_of_one.connect() as held:
        held.execute(text("SELECT 1"))
    for _ in range(3):
        with pool_of_one.connect() as connection:
            results.append(connection.execute(text("SELECT 1")).scalar())

    def other() -> None:
        with pool_of_one.connect() as connection:
            results.append(connection.execute(text("SELECT 2")).scalar())

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert results == [1, 1, 1, 2]
