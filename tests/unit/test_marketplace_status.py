"""GET /marketplaces reads each connection's status from its row alone: it must not load the connect
flows (OAuth states, code exchange, account owners) nor the listing and order tables, which a
function's first request would otherwise pay for at cold start. And the status it reads is the one
a connection change answers. Nor does the per-request check (stoflow.services.principals) load
login's services or the identity tables it does not read."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.api import REPO


class RowSession:
    """Answers every read with `row` (None: nothing stored), as a tenant session would."""

    def __init__(self, row: Any = None) -> None:
        self.row = row
        self.info: dict[str, Any] = {}

    def scalars(self, statement: Any) -> Any:
        return SimpleNamespace(first=lambda: self.row)

    def __contains__(self, instance: Any) -> bool:
        return instance is self.row

    def scalar(self, statement: Any) -> Any:
        return None


def test_reading_every_status_loads_no_connect_flow_and_no_listing_or_order_table():
    code = f"""
import sys
sys.path.insert(0, {str(REPO)!r})
from tests.unit.test_marketplace_status import RowSession
from stoflow.services.marketplace_connections import list_connections
import stoflow.services.principals
statuses = list_connections(RowSession())
print(sorted((s["marketplace"], s["status"]) for s in statuses))
heavy = ["stoflow.marketplaces.ebay.connect", "stoflow.marketplaces.etsy.connect",
         "stoflow.marketplaces.common.connector", "stoflow.marketplaces.common.oauth_state",
         "stoflow.repositories.account_owners", "stoflow.repositories.due_work",
         "stoflow.models.ebay", "stoflow.models.etsy", "stoflow.models.vinted", "stoflow.services.auth",
         "stoflow.models.identity"]
print([name for name in heavy if name in sys.modules])
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["[('ebay', 'disconnected'), ('etsy', 'disconnected'), ('vinted', 'disconnected')]", "[]"]


def _ebay_row() -> SimpleNamespace:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    return SimpleNamespace(
        status="connected",
        connected_at=now,
        access_expires_at=now,
        refresh_expires_at=now,
        orders_synced_at=None,
        last_error=None,
        environment="sandbox",
        marketplace_id="EBAY_FR",
        username="seller",
        sale_notices=None,
        fulfillment_policy_id="F",
        payment_policy_id="P",
        return_policy_id="R",
        default_category_id=None,
        location={"country": "FR"},
        merchant_location_key=None,
    )


def _etsy_row() -> SimpleNamespace:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    return SimpleNamespace(
        status="needs_reauth",
        connected_at=now,
        access_expires_at=now,
        refresh_expires_at=None,
        orders_synced_at=now,
        last_error="refresh refused",
        shop_name="shop",
        shop_id=7,
        shipping_profile_id=1,
        return_policy_id=None,
        default_taxonomy_id=None,
        readiness_state_id=2,
    )


@pytest.mark.parametrize(("name", "row"), [("ebay", _ebay_row()), ("etsy", _etsy_row()), ("ebay", None)])
def test_the_status_read_is_the_status_a_connection_change_answers(name: str, row: Any):
    from stoflow.marketplaces import registry

    marketplace = registry.get(name)
    assert marketplace is not None
    read = marketplace.load("status")(RowSession(row))
    assert read == marketplace.load("connector")().status(row)
    assert read["marketplace"] == name
    assert read["connected"] is (row is not None and row.status == "connected")
    if row is not None:
        assert read["account"] in ("seller", "shop") and "settings" in read
