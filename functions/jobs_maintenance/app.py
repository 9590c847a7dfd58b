"""Scheduled (every minute): reap attempts whose worker died, send messages that never left."""

from __future__ import annotations

from typing import Any

import stoflow.cold_start  # noqa: F401  (first: no garbage collection while the function imports)
from stoflow.observability import traced_handler
from stoflow.services.jobs import run_maintenance


@traced_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_maintenance()
