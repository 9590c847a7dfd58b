"""Tenant migrations fanned out over many schemas: round trips, failures, re-runs, heads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text

from stoflow import cli
from stoflow.db import migrations
from stoflow.errors import MigrationError
from tests.conftest import new_tenant_id

REPO = Path(__file__).resolve().parents[2]
EXTRA_REVISION = '''"""add products.note

Revision ID: t9001
Revises: {parent}
"""
import sqlalchemy as sa
from alembic import op

from stoflow.db.migrations import tenant_schema

revision = "t9001"
down_revision = {parent!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("products", sa.Column("note", sa.Text()), schema=tenant_schema())


def downgrade() -> None:
    op.drop_column("products", "note", schema=tenant_schema())
'''


@pytest.fixture
def migrations_with_extra(tmp_path: Path) -> tuple[Path, str]:
    """A copy of the real trees plus one tenant revision on top of the real head."""
    copy = tmp_path / "migrations"
    shutil.copytree(REPO / "migrations", copy, ignore=shutil.ignore_patterns("__pycache__"))
    parent = migrations.head_revision("tenant")
    (copy / "tenant" / "versions" / "t9001_note.py").write_text(EXTRA_REVISION.format(parent=parent))
    return copy, parent


@pytest.fixture
def throwaway_tenants(engine):
    """Tenants that may be left at a revision only this test knows: dropped afterwards."""
    from stoflow.db.provisioning import create_tenant, drop_tenant

    created: list[int] = []

    def make(count: int) -> list[int]:
        for _ in range(count):
            tenant = new_tenant_id()
            create_tenant(tenant, engine=engine)
            created.append(tenant)
        return created[-count:]

    yield make
    for tenant in created:
        drop_tenant(tenant, confirm=f"user_{tenant}", engine=engine)


def columns(engine: Engine, tenant: int) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("products", schema=f"user_{tenant}")}


def has_products(engine: Engine, tenant: int) -> bool:
    return inspect(engine).has_table("products", schema=f"user_{tenant}")


def test_downgrade_and_upgrade_round_trip_over_fifty_tenants(engine, make_tenant):
    tenants = [make_tenant() for _ in range(50)]
    head = migrations.head_revision("tenant")
    seen: list[int] = []

    down = migrations.migrate_tenants(
        engine, "downgrade", "base", tenant_ids=tenants, workers=4, progress=lambda done, total: seen.append(done)
    )
    assert down.ok and len(down.succeeded) == 50
    assert {(o.before, o.after) for o in down.outcomes} == {(head, None)}
    assert not any(has_products(engine, t) for t in tenants)
    assert seen[-1] == -1 and max(seen) == 50  # progress went up to 50, then closed

    up = migrations.migrate_tenants(engine, "upgrade", "head", tenant_ids=tenants, workers=4)
    assert up.ok and {(o.before, o.after) for o in up.outcomes} == {(None, head)}
    assert all(has_products(engine, t) for t in tenants)


def test_a_new_revision_fans_out_and_back(engine, throwaway_tenants, migrations_with_extra):
    location, parent = migrations_with_extra
    tenants = throwaway_tenants(10)
    up = migrations.migrate_tenants(engine, tenant_ids=tenants, workers=3, migrations_dir=location)
    assert up.ok and {o.after for o in up.outcomes} == {"t9001"}
    assert all("note" in columns(engine, t) for t in tenants)
    down = migrations.migrate_tenants(engine, "downgrade", parent, tenant_ids=tenants, migrations_dir=location)
    assert down.ok and not any("note" in columns(engine, t) for t in tenants)


def _break(engine: Engine, tenant: int) -> None:
    # Test-side DDL, outside any tenant session: the column the revision will try to add.
    with engine.begin() as connection:
        connection.execute(text(f"ALTER TABLE user_{tenant}.products ADD COLUMN note integer"))


def _mend(engine: Engine, tenant: int) -> None:
    with engine.begin() as connection:
        connection.execute(text(f"ALTER TABLE user_{tenant}.products DROP COLUMN note"))


def test_one_broken_tenant_stops_the_fanout_by_default(engine, throwaway_tenants, migrations_with_extra):
    location, parent = migrations_with_extra
    tenants = throwaway_tenants(12)
    broken = tenants[5]
    _break(engine, broken)

    report = migrations.migrate_tenants(engine, tenant_ids=tenants, workers=1, migrations_dir=location)
    assert not report.ok
    assert [o.tenant_id for o in report.failed] == [broken]
    assert "DuplicateColumn" in report.failed[0].error or "already exists" in report.failed[0].error
    assert [o.tenant_id for o in report.succeeded] == tenants[:5]
    assert report.skipped == 6
    assert "not attempted" in report.summary()
    # The failing schema rolled back whole: still at the old revision.
    assert migrations.status(engine).tenants_by_revision.get(parent, 0) >= 7


def test_continue_carries_on_and_a_rerun_after_the_fix_completes(engine, throwaway_tenants, migrations_with_extra):
    location, _parent = migrations_with_extra
    tenants = throwaway_tenants(12)
    broken = tenants[3]
    _break(engine, broken)

    report = migrations.migrate_tenants(
        engine, tenant_ids=tenants, workers=4, continue_on_error=True, migrations_dir=location
    )
    assert [o.tenant_id for o in report.failed] == [broken]
    assert len(report.succeeded) == 11 and report.skipped == 0

    _mend(engine, broken)
    rerun = migrations.migrate_tenants(engine, tenant_ids=tenants, workers=4, migrations_dir=location)
    assert rerun.ok
    by_tenant = {o.tenant_id: (o.before, o.after) for o in rerun.outcomes}
    assert by_tenant[broken][1] == "t9001" and by_tenant[broken][0] != "t9001"
    assert all(by_tenant[t] == ("t9001", "t9001") for t in tenants if t != broken)  # nothing redone


def test_multiple_heads_are_refused_before_any_schema_is_touched(engine, throwaway_tenants, migrations_with_extra):
    location, _parent = migrations_with_extra
    second = (location / "tenant" / "versions" / "t9001_note.py").read_text()
    second = second.replace('"t9001"', '"t9002"').replace("note", "other")
    (location / "tenant" / "versions" / "t9002_other.py").write_text(second)
    (tenant,) = throwaway_tenants(1)
    with pytest.raises(MigrationError) as caught:
        migrations.migrate_tenants(engine, tenant_ids=[tenant], migrations_dir=location)
    assert caught.value.code == "multiple_heads"
    assert "t9001" in caught.value.detail and "t9002" in caught.value.detail and "merge" in caught.value.detail
    assert "note" not in columns(engine, tenant)


@pytest.fixture
def own_engine(empty_database_url, monkeypatch):
    """A database of this test's own, shared schemas migrated, set as the configured database:
    registry-wide fan-outs must not meet the odd tenants other tests leave in the shared one."""
    from stoflow.config import get_settings
    from stoflow.db.engine import build_engine
    from stoflow.db.roles import MIGRATOR_ROLE
    from tests.conftest import as_role, url_string

    # As the migrator, the role that owns the schema (the CLI migrates as it too).
    engine = build_engine(as_role(empty_database_url, MIGRATOR_ROLE), pool_size=4)
    migrations.migrate_shared(engine)
    monkeypatch.setenv("DATABASE_URL", url_string(empty_database_url))
    get_settings.cache_clear()
    yield engine
    engine.dispose()
    get_settings.cache_clear()


def test_default_fanout_covers_every_registered_tenant(own_engine):
    from stoflow.db.provisioning import create_tenant

    mine = {5, 6, 7}
    for tenant in mine:
        create_tenant(tenant, engine=own_engine)
    report = migrations.migrate_tenants(own_engine)
    assert report.ok
    assert {o.tenant_id for o in report.outcomes} == mine
    assert report.total == len(migrations.registered_tenants(own_engine)) == 3


def test_cli_status_and_tenant_commands(own_engine, capsys):
    engine = own_engine
    assert cli.main(["db", "upgrade", "--workers", "2"]) == 0
    assert cli.main(["db", "status"]) == 0
    assert "shared: at" in capsys.readouterr().out

    assert cli.main(["tenants", "create", "777001"]) == 0
    assert cli.main(["tenants", "create", "777001"]) == 1
    assert "tenant_exists" in capsys.readouterr().err
    assert cli.main(["tenants", "list"]) == 0
    assert "user_777001" in capsys.readouterr().out
    assert cli.main(["tenants", "drop", "777001"]) == 1
    assert "not_confirmed" in capsys.readouterr().err
    assert has_products(engine, 777001)
    assert cli.main(["tenants", "drop", "777001", "--confirm", "user_777001"]) == 0
    assert not inspect(engine).has_schema("user_777001")
    assert cli.main(["tenants", "create", "not-a-number"]) == 1
