"""Shared revision s0003 (catalogues and their seed data) goes down and up again on a fresh database."""

from __future__ import annotations

from sqlalchemy import func, select, text

from stoflow.db.migrations import migrate_shared
from stoflow.models import Brand, Category, Condition, Size


def counts(engine) -> tuple[int, ...]:
    with engine.connect() as connection, connection.begin():
        return tuple(connection.scalar(select(func.count()).select_from(m)) for m in (Brand, Category, Condition, Size))


def test_s0003_round_trip(empty_engine) -> None:
    engine = empty_engine
    migrate_shared(engine, "upgrade", "s0003")
    seeded = counts(engine)
    assert seeded[0] >= 150 and all(seeded)

    assert migrate_shared(engine, "downgrade", "s0002") == ("s0003", "s0002")
    with engine.connect() as connection, connection.begin():
        tables = set(
            connection.scalars(
                text("SELECT table_name FROM information_schema.tables WHERE table_schema = 'product_attributes'")
            )
        )
        assert tables == {"brands"}
        assert connection.scalar(select(func.count()).select_from(Brand)) == 0

    migrate_shared(engine, "upgrade", "s0003")
    assert counts(engine) == seeded
