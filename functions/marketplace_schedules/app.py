"""Scheduled marketplace work, one task per schedule (the template's Input says which):
order sync fan-out, token refresh ahead of expiry, expired OAuth states."""

from __future__ import annotations

from typing import Any

from stoflow.services import marketplace_schedules as schedules


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    task = (event or {}).get("task")
    if task == "sync_orders":
        return schedules.fan_out_order_syncs().as_dict()
    if task == "refresh_tokens":
        return schedules.refresh_expiring_tokens().as_dict()
    if task == "purge_oauth_states":
        return {"purged": schedules.purge_oauth_states()}
    raise ValueError(f"unknown marketplace schedule task {task!r}")
