"""s0002 (identity) upgrades and downgrades cleanly on its own, in a database of its own."""

from __future__ import annotations

from sqlalchemy import inspect, text

from stoflow.db.migrations import migrate_shared

IDENTITY_TABLES = {
    "subscription_quotas",
    "ai_credits",
    "auth_sessions",
    "refresh_tokens",
    "rate_limit_buckets",
    "email_verification_tokens",
}


def _public_state(engine) -> tuple[set[str], set[str]]:
    inspector = inspect(engine)
    tables = set(inspector.get_table_names(schema="public"))
    user_columns = {c["name"] for c in inspector.get_columns("users", schema="public")}
    return tables, user_columns


def test_s0002_round_trip(empty_engine):
    migrate_shared(empty_engine, target="s0001")
    tables_before, columns_before = _public_state(empty_engine)
    assert not IDENTITY_TABLES & tables_before

    migrate_shared(empty_engine, target="s0002")
    tables, columns = _public_state(empty_engine)
    assert tables >= IDENTITY_TABLES
    assert {"email_verified_at", "tier"} <= columns
    with empty_engine.connect() as connection, connection.begin():
        tiers = dict(connection.execute(text("SELECT tier, max_products FROM public.subscription_quotas")).all())
        assert tiers == {"FREE": 30, "STARTER": 200, "PRO": 500, "ENTERPRISE": None}
        connection.execute(text("INSERT INTO public.users (email, password_hash) VALUES ('a@b.c', 'x')"))
        assert connection.scalar(text("SELECT tier FROM public.users")) == "FREE"

    migrate_shared(empty_engine, direction="downgrade", target="s0001")
    assert _public_state(empty_engine) == (tables_before, columns_before)
    migrate_shared(empty_engine, target="s0002")
    assert _public_state(empty_engine)[0] >= IDENTITY_TABLES
