"""Shared revision s0004 (ws_tickets, ws_connections) goes down and up again on a fresh database,
and the migrations (s0004, then s0007's device ids) match the models (columns, types, nullability,
indexes, checks)."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from stoflow.db.engine import build_engine
from stoflow.db.migrations import migrate_shared
from stoflow.models.realtime import WsConnection, WsTicket

TABLES = {"ws_tickets": WsTicket, "ws_connections": WsConnection}


@pytest.fixture
def fresh_engine(pg_admin_url):
    name = f"stoflow_ws_{secrets.token_hex(3)}"
    admin = create_engine(pg_admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = build_engine(pg_admin_url.set(database=name))
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def public_tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names(schema="public"))


def test_s0004_round_trip(fresh_engine):
    migrate_shared(fresh_engine, "upgrade", "s0004")
    assert set(TABLES) <= public_tables(fresh_engine)
    assert migrate_shared(fresh_engine, "downgrade", "s0003") == ("s0004", "s0003")
    assert not set(TABLES) & public_tables(fresh_engine)
    migrate_shared(fresh_engine, "upgrade", "s0004")
    assert set(TABLES) <= public_tables(fresh_engine)


def test_the_migration_matches_the_models(fresh_engine):
    migrate_shared(fresh_engine, "upgrade", "head")
    inspector = inspect(fresh_engine)
    for name, model in TABLES.items():
        columns = {c["name"]: c for c in inspector.get_columns(name, schema="public")}
        table = model.__table__
        assert set(columns) == {c.name for c in table.columns}, name
        for column in table.columns:
            assert columns[column.name]["nullable"] == column.nullable, (name, column.name)
            assert type(columns[column.name]["type"]).__name__.lower().startswith(
                column.type.compile(fresh_engine.dialect).split("(")[0].lower()[:4]
            ), (name, column.name)
        indexes = {i["name"] for i in inspector.get_indexes(name, schema="public")}
        assert {i.name for i in table.indexes} <= indexes, name
        checks = {c["name"] for c in inspector.get_check_constraints(name, schema="public")}
        assert f"ck_{name}_client" in checks


def test_a_client_kind_outside_the_protocol_is_refused_by_the_database(fresh_engine):
    from sqlalchemy.exc import DBAPIError

    migrate_shared(fresh_engine, "upgrade", "s0004")
    with pytest.raises(DBAPIError, match="ck_ws_connections_client"), fresh_engine.begin() as connection:
        user_id = connection.scalar(text(
            "INSERT INTO public.users (email, password_hash) VALUES ('x@example.com', 'h') RETURNING id"
        ))
        connection.execute(text(
            "INSERT INTO public.ws_connections (connection_id, user_id, tenant_id, client) "
            "VALUES ('c=', :u, :u, 'fridge')"
        ), {"u": user_id})


def test_s0007_device_ids_round_trip(fresh_engine):
    def device_columns() -> set[str]:
        inspector = inspect(fresh_engine)
        return {t for t in TABLES if "device_id" in {c["name"] for c in inspector.get_columns(t, schema="public")}}

    migrate_shared(fresh_engine, "upgrade", "s0007")
    assert device_columns() == set(TABLES)
    assert migrate_shared(fresh_engine, "downgrade", "s0006") == ("s0007", "s0006")
    assert device_columns() == set()
    migrate_shared(fresh_engine, "upgrade", "s0007")
    assert device_columns() == set(TABLES)
