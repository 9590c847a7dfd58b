"""The seeds' six isolation scenarios, run directly and through PgBouncer (transaction pooling).

Every final check reads PostgreSQL directly, schema by schema, outside any tenant session.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, column, func, select, table, text
from sqlalchemy.exc import ProgrammingError

from stoflow.db.tenancy import tenant_session
from stoflow.errors import TenantIsolationViolation
from stoflow.models import Product


def titles_in_schema(engine: Engine, tenant_id: int) -> list[str]:
    products = table("products", column("title"), schema=f"user_{tenant_id}")
    with engine.connect() as connection, connection.begin():
        return sorted(connection.scalars(select(products.c.title)))


def test_models_use_the_tenant_schema_from_the_first_statement(route_engine, engine, make_tenant):
    a, b = make_tenant(), make_tenant()
    with tenant_session(a, engine=route_engine) as session:
        session.add(Product(title="a-1"))
    assert titles_in_schema(engine, a) == ["a-1"]
    assert titles_in_schema(engine, b) == []


def test_schema_holds_after_commit(route_engine, engine, make_tenant):
    a, b = make_tenant(), make_tenant()
    with tenant_session(a, engine=route_engine) as session:
        session.add(Product(title="before-commit"))
        session.commit()
        session.add(Product(title="after-commit"))
        session.commit()
        assert sorted(session.scalars(select(Product.title))) == ["after-commit", "before-commit"]
    assert titles_in_schema(engine, a) == ["after-commit", "before-commit"]
    assert titles_in_schema(engine, b) == []


def test_schema_holds_after_rollback(route_engine, engine, make_tenant):
    a, b = make_tenant(), make_tenant()
    with tenant_session(a, engine=route_engine) as session:
        session.add(Product(title="rolled-back"))
        session.flush()
        session.rollback()
        session.add(Product(title="after-rollback"))
    with pytest.raises(RuntimeError), tenant_session(a, engine=route_engine) as session:
        session.add(Product(title="failed-block"))
        session.flush()
        raise RuntimeError("the block fails: its work is rolled back")
    assert titles_in_schema(engine, a) == ["after-rollback"]
    assert titles_in_schema(engine, b) == []


def test_tenants_working_at_the_same_time_stay_apart(route_engine, engine, make_tenant):
    tenants = [make_tenant() for _ in range(4)]
    rounds = 25
    crossed: list[str] = []
    barrier = threading.Barrier(16)

    def work(worker: int) -> None:
        tenant = tenants[worker % len(tenants)]
        barrier.wait()
        for i in range(rounds):
            with tenant_session(tenant, engine=route_engine) as session:
                session.add(Product(title=f"t{tenant}-w{worker}-{i}"))
                session.flush()
                for title in session.scalars(select(Product.title)):
                    if not title.startswith(f"t{tenant}-"):
                        crossed.append(f"tenant {tenant} saw {title}")

    # 16 threads: more than PgBouncer's pool of 4 server connections.
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(work, range(16)))

    assert crossed == []
    for tenant in tenants:
        titles = titles_in_schema(engine, tenant)
        assert len(titles) == rounds * 4
        assert all(title.startswith(f"t{tenant}-") for title in titles)


def test_raw_sql_cannot_reach_another_tenant(route_engine, engine, make_tenant):
    a, b = make_tenant(), make_tenant()
    with tenant_session(b, engine=route_engine) as session:
        session.add(Product(title="b-secret"))
    with pytest.raises(TenantIsolationViolation), tenant_session(a, engine=route_engine) as session:
        session.execute(text(f"SELECT title FROM user_{b}.products"))
    with pytest.raises(TenantIsolationViolation), tenant_session(a, engine=route_engine) as session:
        session.execute(text('SELECT title FROM "tenant"."products"'))
    # Unqualified raw SQL finds no tenant table on the default path: it fails, it does not leak.
    with pytest.raises(ProgrammingError), tenant_session(a, engine=route_engine) as session:
        session.execute(text("SELECT title FROM products"))
    assert titles_in_schema(engine, b) == ["b-secret"]


def test_a_pooled_connection_carries_no_tenant_into_the_next_request(route, engine, make_tenant):
    from stoflow.db.engine import build_engine

    single = build_engine(route, pool_size=1, max_overflow=0)
    a, b = make_tenant(), make_tenant()
    try:
        for i in range(10):
            for tenant in (a, b):
                with tenant_session(tenant, engine=single) as session:
                    session.add(Product(title=f"{tenant}-{i}"))
                    session.flush()
                    seen = set(session.scalars(select(Product.title)))
                    assert all(title.startswith(f"{tenant}-") for title in seen)
        assert single.pool.checkedin() == 1  # one connection did all forty units of work
    finally:
        single.dispose()
    assert len(titles_in_schema(engine, a)) == 10
    assert len(titles_in_schema(engine, b)) == 10


def test_identities_are_kept_apart_per_tenant(engine, database_url, make_tenant):
    from stoflow.db.engine import build_engine

    a, b = make_tenant(), make_tenant()
    for tenant in (a, b):
        with tenant_session(tenant) as session:
            session.add(Product(title=f"first of {tenant}"))
    # Two sessions open at once in one thread: two engines, as a thread holds one connection per pool.
    other = build_engine(database_url)
    with tenant_session(a) as session_a, tenant_session(b, engine=other) as session_b:
        first_a = session_a.scalars(select(Product).order_by(Product.id)).first()
        first_b = session_b.scalars(select(Product).order_by(Product.id)).first()
        assert first_a.id == first_b.id  # same primary key in two schemas...
        assert first_a.title == f"first of {a}"  # ...two different rows
        assert first_b.title == f"first of {b}"
        assert session_a.get(Product, first_a.id) is first_a
    other.dispose()


def test_flush_lands_in_the_tenant_schema_through_pgbouncer(pgbouncer_url, engine, make_tenant):
    """An INSERT via the unit of work through PgBouncer: counted schema by schema in PostgreSQL."""
    from stoflow.db.engine import build_engine

    bouncer = build_engine(pgbouncer_url, pool_size=8)
    tenants = [make_tenant() for _ in range(3)]
    try:

        def insert(i: int) -> None:
            tenant = tenants[i % 3]
            with tenant_session(tenant, engine=bouncer) as session:
                session.add_all([Product(title=f"{tenant}:{i}:{k}") for k in range(3)])

        with ThreadPoolExecutor(max_workers=12) as pool:
            list(pool.map(insert, range(60)))
    finally:
        bouncer.dispose()
    for tenant in tenants:
        titles = titles_in_schema(engine, tenant)
        assert len(titles) == 60
        assert {t.split(":")[0] for t in titles} == {str(tenant)}
    with engine.connect() as connection, connection.begin():
        total = sum(
            connection.scalar(select(func.count()).select_from(table("products", schema=f"user_{t}"))) for t in tenants
        )
    assert total == 180
