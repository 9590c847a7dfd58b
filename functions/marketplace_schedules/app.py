"""Scheduled work, one task per schedule (the template's Input says which): order sync fan-out,
marketplace token refresh ahead of expiry, the daily refresh of the marketplaces' category
requirements, and the hourly purge of what expired (OAuth states, identity tokens, rate-limit
windows, abandoned image uploads) with the marketplaces' account deletion notices."""

from __future__ import annotations

from typing import Any

import stoflow.cold_start  # noqa: F401  (first: no garbage collection while the function imports)
from stoflow.observability import traced_handler
from stoflow.services import marketplace_schedules as schedules


@traced_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    task = (event or {}).get("task")
    if task == "sync_orders":
        return schedules.fan_out_order_syncs()
    if task == "refresh_tokens":
        return schedules.refresh_expiring_tokens()
    if task == "purge_oauth_states":
        return {"purged": schedules.purge_oauth_states()}
    if task == "refresh_requirements":
        from stoflow.services.requirements import refresh_requirements

        return refresh_requirements()
    if task == "purge_expired":
        from stoflow.services.deletion_notices import process_pending
        from stoflow.services.housekeeping import purge_expired

        return {**purge_expired(), "account_deletions": process_pending()}
    raise ValueError(f"unknown marketplace schedule task {task!r}")
