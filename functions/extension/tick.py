"""Every minute: the Vinted lanes' missed deadlines, and commands whose gap or pause has ended."""

from __future__ import annotations

from typing import Any

from stoflow.marketplaces.vinted.lane import tick
from stoflow.observability import traced_handler


@traced_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"task": "vinted_tick", **tick()}
