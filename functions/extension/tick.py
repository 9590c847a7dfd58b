"""Every minute: the Vinted lanes that are due (missed deadlines, commands whose gap or pause
has ended, expiries), never every tenant."""

from __future__ import annotations

from typing import Any

import stoflow.cold_start  # noqa: F401  (first: no garbage collection while the function imports)
from stoflow.marketplaces.vinted.lane_schedule import tick
from stoflow.observability import traced_handler


@traced_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"task": "vinted_tick", **tick()}
