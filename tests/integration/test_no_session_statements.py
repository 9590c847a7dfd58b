"""No SET of any kind, no search_path, and never a statement outside a transaction.

Recorded at the wire (pg8000's protocol layer), so statements SQLAlchemy sends while initialising
a dialect, pinging the pool or running migrations are seen too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pg8000 import core
from sqlalchemy import select

from stoflow.db import migrations
from stoflow.db.engine import build_engine
from stoflow.db.provisioning import create_tenant, drop_tenant
from stoflow.db.tenancy import tenant_session
from stoflow.models import Product
from stoflow.services import health

REPO = Path(__file__).resolve().parents[2]
SESSION_STATEMENT = re.compile(r"^\s*(SET|RESET|DISCARD)\b|search_path", re.IGNORECASE)
TRANSACTION_CONTROL = re.compile(r"^\s*(begin|start transaction|commit|rollback)\b", re.IGNORECASE)


@pytest.fixture
def wire(monkeypatch):
    sent: list[tuple[str, bool]] = []

    def recording(original):
        def send(self, statement, *args, **kwargs):
            # A BEGIN waiting to leave in the same packet as this statement counts (pg8000_wire).
            in_tx = self._transaction_status in (core.IN_TRANSACTION, core.IN_FAILED_TRANSACTION) or bool(
                getattr(self, "_stoflow_begin_pending", False)
            )
            sent.append((statement, in_tx))
            return original(self, statement, *args, **kwargs)

        return send

    monkeypatch.setattr(core.CoreConnection, "execute_simple", recording(core.CoreConnection.execute_simple))
    monkeypatch.setattr(core.CoreConnection, "execute_unnamed", recording(core.CoreConnection.execute_unnamed))
    return sent


def test_the_whole_lifecycle_sends_no_session_statement(wire, database_url, engine, monkeypatch):
    fresh = build_engine(database_url, pool_size=2)
    from stoflow import runtime
    from stoflow.db.engine import ENGINE

    previous = runtime.provide(ENGINE, fresh)
    try:
        tenant = 990001
        create_tenant(tenant, engine=fresh)
        with tenant_session(tenant, engine=fresh) as session:
            session.add(Product(title="wire"))
            session.flush()
            session.scalars(select(Product)).all()
        migrations.migrate_tenants(fresh, "downgrade", "base", tenant_ids=[tenant])
        migrations.migrate_tenants(fresh, "upgrade", "head", tenant_ids=[tenant])
        migrations.migrate_shared(fresh)
        migrations.status(fresh)
        assert health.check().database
        drop_tenant(tenant, confirm=f"user_{tenant}", engine=fresh)
    finally:
        runtime.provide(ENGINE, previous)
        fresh.dispose()

    statements = [s for s, _ in wire]
    assert len(statements) > 20, "the recorder saw the traffic"
    assert [s for s in statements if SESSION_STATEMENT.search(s)] == []
    outside = [s for s, in_tx in wire if not in_tx and not TRANSACTION_CONTROL.match(s)]
    assert outside == [], f"statements run outside a transaction: {outside[:5]}"
