"""Every client message ($default and the named routes): routed on `action` by the table in
stoflow.realtime.router, answered through the route response (the reply is the body)."""

from __future__ import annotations

from typing import Any

import stoflow.cold_start  # noqa: F401  (first: no garbage collection while the function imports)
from stoflow.observability import traced_handler
from stoflow.realtime.protocol import connection_id, message_body, request_id, response
from stoflow.services.ws import message_router

router = message_router()


@traced_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    reply = router.dispatch(connection_id(event), message_body(event), request_id(event))
    return response(200, reply)
