"""GET /health: the function answers and the database answers."""

from __future__ import annotations

from typing import Any

import stoflow.cold_start  # noqa: F401  (first: no garbage collection while the function imports)
from stoflow.observability import traced_handler
from stoflow.services.health import check


@traced_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return check().as_http_response()
