"""An OAuth marketplace's connection status for GET /marketplaces, from its credentials row alone.

Apart from the connector (stoflow.marketplaces.common.connector) and each marketplace's connect
flow (OAuth states, the code exchange, account owners): a first GET /marketplaces loads none of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def oauth_status(name: str, row: Any, account: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """`row` is the marketplace's credentials row (None: never connected); `account` says what the
    marketplace adds to a row's status (account name, settings...)."""
    if row is None:
        return {"marketplace": name, "status": "disconnected", "connected": False}
    return {
        "marketplace": name,
        "status": row.status,
        "connected": row.status == "connected",
        "connected_at": row.connected_at,
        "access_expires_at": row.access_expires_at,
        "refresh_expires_at": row.refresh_expires_at,
        "orders_synced_at": row.orders_synced_at,
        "last_error": row.last_error,
        **account(row),
    }
