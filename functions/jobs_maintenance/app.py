"""Scheduled (every minute): reap attempts whose worker died, send messages that never left."""

from __future__ import annotations

from typing import Any

from stoflow.observability import traced_handler
from stoflow.services.jobs import run_maintenance


@traced_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_maintenance()
