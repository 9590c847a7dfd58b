"""SQS FIFO trigger: run the jobs the messages point at (partial batch failures reported)."""

from __future__ import annotations

from typing import Any

import stoflow.cold_start  # noqa: F401  (first: no garbage collection while the function imports)
from stoflow.observability import traced_handler
from stoflow.services.jobs import handle_batch


@traced_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_batch(event, context)
