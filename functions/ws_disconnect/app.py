"""$disconnect: the connection's row is deleted. API Gateway sends it best-effort and ignores the
answer, so the same function also runs on a schedule ({"task": "purge_ws"}, template.yaml) to
drop expired tickets and connections whose $disconnect never came."""

from __future__ import annotations

from typing import Any

import stoflow.cold_start  # noqa: F401  (first: no garbage collection while the function imports)
from stoflow.observability import traced_handler
from stoflow.realtime.protocol import connection_id, response
from stoflow.services.ws import close_connection, purge

PURGE_TASK = "purge_ws"


@traced_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("task") == PURGE_TASK:
        tickets, connections = purge()
        return {"task": PURGE_TASK, "tickets_deleted": tickets, "connections_deleted": connections}
    close_connection(connection_id(event))
    return response(200)
