"""A connection that failed mid-protocol is never reused: faults injected at each protocol step.

Each test breaks one unit of work on a pool of ONE connection (as deployed: one per container),
then checks that the next units of work, for two tenants in turn, read exactly their own rows. A
desynchronised connection would hand one statement's replies to the next statement: another
user's rows, or spurious errors. Run directly and through PgBouncer in transaction pooling mode.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from stoflow.db.engine import build_engine
from stoflow.db.tenancy import tenant_session
from stoflow.models import Product


class Cancelled(BaseException):
    """What a cancel or an interrupt looks like from inside the driver (as asyncio's CancelledError)."""


class InterruptedReads:
    """A socket file whose reads are interrupted after `allowed` of them: mid-reply."""

    def __init__(self, inner: Any, allowed: int) -> None:
        self._inner = inner
        self._allowed = allowed

    def read(self, size: int) -> bytes:
        if self._allowed == 0:
            raise Cancelled("interrupted while reading the server's replies")
        self._allowed -= 1
        return self._inner.read(size)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.fixture
def pool_of_one(route: URL) -> Iterator[Engine]:
    eng = build_engine(route, pool_size=1, max_overflow=0, connect_timeout_s=2)
    yield eng
    eng.dispose()


@pytest.fixture
def two_tenants(engine: Engine, make_tenant: Any) -> tuple[int, int]:
    a, b = make_tenant(), make_tenant()
    for tenant in (a, b):
        with tenant_session(tenant, engine=engine) as session:
            session.add_all([Product(title=f"t{tenant}-first"), Product(title=f"t{tenant}-second")])
    return a, b


def assert_next_units_of_work_are_right(eng: Engine, a: int, b: int) -> None:
    """B, then A, then B again: each reads its own two rows, writes one and reads it back."""
    for tenant in (b, a, b):
        with tenant_session(tenant, engine=eng) as session:
            titles = sorted(session.scalars(select(Product.title)))
            assert {f"t{tenant}-first", f"t{tenant}-second"} <= set(titles), titles
            assert all(title.startswith(f"t{tenant}-") for title in titles), titles
            product = Product(title=f"t{tenant}-after-fault")
            session.add(product)
            session.flush()
            assert session.scalar(select(Product.title).where(Product.id == product.id)) == f"t{tenant}-after-fault"
            assert session.scalar(select(func.count()).select_from(Product)) == len(titles) + 1
    assert eng.pool.checkedout() == 0


def dbapi_connection_of(session: Any) -> Any:
    return session.connection().connection.dbapi_connection


def test_a_parameter_that_cannot_be_converted(pool_of_one, two_tenants):
    a, b = two_tenants
    # Year 1 at +14:00 is before year 1 in UTC: the driver cannot convert it (the /orders probe).
    impossible = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))
    with pytest.raises(OverflowError), tenant_session(a, engine=pool_of_one) as session:
        session.scalars(select(Product.title)).all()
        session.execute(select(Product.id).where(Product.created_at < impossible))
    assert_next_units_of_work_are_right(pool_of_one, a, b)


def test_a_result_row_that_cannot_be_converted_mid_result(pool_of_one, two_tenants):
    a, b = two_tenants
    # PostgreSQL's intervals go beyond Python's timedelta: the second of three rows fails.
    rows = "SELECT i FROM (VALUES ('1 day'::interval), ('2147483647 days'::interval), ('2 days'::interval)) AS v(i)"
    with pytest.raises(OverflowError), tenant_session(a, engine=pool_of_one) as session:
        connection = dbapi_connection_of(session)
        session.execute(text(rows))
    assert connection._usock is None, "the connection that failed mid-result was closed, not pooled"
    assert_next_units_of_work_are_right(pool_of_one, a, b)


def test_a_socket_timeout_while_the_server_is_still_working(route, two_tenants):
    a, b = two_tenants
    eng = build_engine(route, pool_size=1, max_overflow=0, socket_timeout_s=0.2)
    try:
        with pytest.raises(DBAPIError), tenant_session(a, engine=eng) as session:
            session.execute(text("SELECT pg_sleep(1)"))
        assert_next_units_of_work_are_right(eng, a, b)
    finally:
        eng.dispose()


def test_a_server_error_in_the_middle_of_a_result_keeps_the_connection(pool_of_one, two_tenants):
    a, b = two_tenants
    with pytest.raises(DBAPIError) as raised, tenant_session(a, engine=pool_of_one) as session:
        connection = dbapi_connection_of(session)
        session.execute(text("SELECT 1 / (3 - x) FROM generate_series(1, 5) AS x"))
    assert "division by zero" in str(raised.value)
    # Read through ReadyForQuery: in step, so the pool keeps it (no reconnect per bad request).
    assert connection._usock is not None
    assert_next_units_of_work_are_right(pool_of_one, a, b)


def test_a_cancel_while_reading_the_replies(pool_of_one, two_tenants):
    a, b = two_tenants
    with pytest.raises(Cancelled), tenant_session(a, engine=pool_of_one) as session:
        connection = dbapi_connection_of(session)
        connection._sock = InterruptedReads(connection._sock, allowed=3)
        session.execute(select(Product.title))
    assert connection._usock is None
    assert_next_units_of_work_are_right(pool_of_one, a, b)


def test_a_reply_cut_short_by_the_end_of_the_stream(pool_of_one, two_tenants):
    a, b = two_tenants

    class EndsMidMessage(InterruptedReads):
        def read(self, size: int) -> bytes:
            if self._allowed == 0:
                return self._inner.read(size)[: size // 2]  # what a buffered read gives at the end
            self._allowed -= 1
            return self._inner.read(size)

    with pytest.raises(DBAPIError, match="network error"), tenant_session(a, engine=pool_of_one) as session:
        connection = dbapi_connection_of(session)
        connection._sock = EndsMidMessage(connection._sock, allowed=5)
        session.execute(select(Product.title))
    assert connection._usock is None
    assert_next_units_of_work_are_right(pool_of_one, a, b)


def test_a_result_shape_is_parsed_once_per_connection(pool_of_one, two_tenants, monkeypatch):
    from pg8000 import core

    a, b = two_tenants
    parsed = []
    original = core.CoreConnection.handle_ROW_DESCRIPTION

    def counting(self: Any, data: bytes, context: Any) -> None:
        parsed.append(data)
        original(self, data, context)

    monkeypatch.setattr(core.CoreConnection, "handle_ROW_DESCRIPTION", counting)
    for tenant in (a, b, a, b):
        with tenant_session(tenant, engine=pool_of_one) as session:
            rows = session.execute(select(Product.title, Product.created_at).order_by(Product.id)).all()
            assert [title for title, _ in rows] == [f"t{tenant}-first", f"t{tenant}-second"]
            assert all(isinstance(created, datetime) for _, created in rows)
    # Never the same shape twice; each tenant's table is a table of its own (its oid is in the
    # description), so the products' shape is parsed once per tenant.
    assert len(parsed) == len(set(parsed))
    assert len([shape for shape in parsed if b"created_at" in shape]) == 2
    with tenant_session(a, engine=pool_of_one) as session:
        titles = select(Product.title).order_by(Product.id)
        assert session.scalars(titles).all() == [f"t{a}-first", f"t{a}-second"]
        shape = parsed[-1]
        dbapi_connection_of(session).register_in_adapter(1043, str.upper)  # varchar read anew
        assert session.scalars(titles).all() == [f"T{a}-FIRST", f"T{a}-SECOND"]
    assert parsed.count(shape) == 2


def test_a_cancel_while_sending(pool_of_one, two_tenants):
    a, b = two_tenants

    class InterruptedWrites(InterruptedReads):
        def write(self, data: bytes) -> int:
            self._inner.write(data[: len(data) // 2])
            raise Cancelled("interrupted half way through a packet")

    with pytest.raises(Cancelled), tenant_session(a, engine=pool_of_one) as session:
        session.scalars(select(Product.title)).all()
        connection = dbapi_connection_of(session)
        connection._sock = InterruptedWrites(connection._sock, allowed=-1)
        session.execute(select(Product.id).where(Product.title == "half a packet"))
    assert_next_units_of_work_are_right(pool_of_one, a, b)


def test_a_statement_is_one_round_trip_and_begin_travels_with_the_first(pool_of_one, two_tenants):
    a, _ = two_tenants
    with tenant_session(a, engine=pool_of_one) as session:
        connection = dbapi_connection_of(session)
        counted = CountingFlushes(connection._sock)
        connection._sock = counted
        session.scalars(select(Product.title).where(Product.title != "x")).all()
        session.scalars(select(Product.id).where(Product.title != "y")).all()
        connection._sock = counted._inner
    # Two statements, two packets: the BEGIN went with the first, nothing waited for a reply in between.
    assert counted.flushes == 2


class CountingFlushes:
    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        self._inner.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
