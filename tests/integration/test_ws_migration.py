"""Shared revision s0004 (ws_tickets, ws_connections) goes down and up again on a fresh database,
and the migrations (s0004, then s0007's device ids) match the models (columns, types, nullability,
indexes, checks)."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from stoflow.db.migrations import migrate_shared
from stoflow.models.realtime import WsConnection, WsTicket

TABLES = {"ws_tickets": WsTicket, "ws_connections": WsConnection}


def public_tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names(schema="public"))


def test_s0004_round_trip(empty_engine):
    migrate_shared(empty_engine, "upgrade", "s0004")
    assert set(TABLES) <= public_tables(empty_engine)
    assert migrate_shared(empty_engine, "downgrade", "s0003") == ("s0004", "s0003")
    assert not set(TABLES) & public_tables(empty_engine)
    migrate_shared(empty_engine, "upgrade", "s0004")
    assert set(TABLES) <= public_tables(empty_engine)


def test_the_migration_matches_the_models(empty_engine):
    migrate_shared(empty_engine, "upgrade", "head")
    inspector = inspect(empty_engine)
    for name, model in TABLES.items():
        columns = {c["name"]: c for c in inspector.get_columns(name, schema="public")}
        table = model.__table__
        assert set(columns) == {c.name for c in table.columns}, name
        for column in table.columns:
            assert columns[column.name]["nullable"] == column.nullable, (name, column.name)
            assert (
                type(columns[column.name]["type"])
                .__name__.lower()
                .startswith(column.type.compile(empty_engine.dialect).split("(")[0].lower()[:4])
            ), (name, column.name)
        indexes = {i["name"] for i in inspector.get_indexes(name, schema="public")}
        assert {i.name for i in table.indexes} <= indexes, name
        checks = {c["name"] for c in inspector.get_check_constraints(name, schema="public")}
        assert f"ck_{name}_client" in checks


def test_a_client_kind_outside_the_protocol_is_refused_by_the_database(empty_engine):
    from sqlalchemy.exc import DBAPIError

    migrate_shared(empty_engine, "upgrade", "s0004")
    with pytest.raises(DBAPIError, match="ck_ws_connections_client"), empty_engine.begin() as connection:
        user_id = connection.scalar(
            text("INSERT INTO public.users (email, password_hash) VALUES ('x@example.com', 'h') RETURNING id")
        )
        connection.execute(
            text(
                "INSERT INTO public.ws_connections (connection_id, user_id, tenant_id, client) "
                "VALUES ('c=', :u, :u, 'fridge')"
            ),
            {"u": user_id},
        )


def test_s0007_device_ids_round_trip(empty_engine):
    def device_columns() -> set[str]:
        inspector = inspect(empty_engine)
        return {t for t in TABLES if "device_id" in {c["name"] for c in inspector.get_columns(t, schema="public")}}

    migrate_shared(empty_engine, "upgrade", "s0007")
    assert device_columns() == set(TABLES)
    assert migrate_shared(empty_engine, "downgrade", "s0006") == ("s0007", "s0006")
    assert device_columns() == set()
    migrate_shared(empty_engine, "upgrade", "s0007")
    assert device_columns() == set(TABLES)
