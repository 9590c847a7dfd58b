"""The migrator function runs the CLI's fan-out on AWS: invoked with an event, answers JSON."""

from __future__ import annotations

import pytest

from stoflow.config import get_settings
from stoflow.db.engine import build_engine
from stoflow.db.provisioning import create_tenant
from tests.conftest import url_string
from tests.support.api import load_function


@pytest.fixture
def migrator(empty_database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", url_string(empty_database_url))
    get_settings.cache_clear()
    yield load_function("migrator").handler, empty_database_url
    get_settings.cache_clear()


def test_upgrade_then_status_then_downgrade(migrator):
    handler, url = migrator
    first = handler({"action": "upgrade"}, None)
    assert first["ok"] and first["shared"][1] is not None
    engine = build_engine(url)
    try:
        for tenant in (11, 12):
            create_tenant(tenant, engine=engine)
    finally:
        engine.dispose()

    status = handler({"action": "status"}, None)
    assert status["ok"] and status["tenants_by_revision"] == {status["tenant_head"]: 2}

    down = handler({"action": "downgrade", "tenants": "base", "workers": 2}, None)
    assert down["ok"] and "2 ok" in down["tenants"]["summary"]
    status = handler({"action": "status"}, None)
    assert status["tenants_by_revision"] == {None: 2}

    again = handler({"action": "upgrade", "continue": True}, None)
    assert again["ok"] and again["tenants"]["failed"] == []


def test_an_unknown_action_is_refused(migrator):
    from stoflow.errors import InvalidInput

    handler, _ = migrator
    with pytest.raises(InvalidInput):
        handler({"action": "explode"}, None)
