"""GET /health: the function answers and the database answers."""

from __future__ import annotations

from typing import Any

from stoflow.observability import traced_handler
from stoflow.services.health import check


@traced_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return check().as_http_response()
