"""$connect: the ticket from ?ticket= is checked and burnt, the connection stored. A refusal is a
non-2xx answer, which API Gateway turns into a refused handshake with that status."""

from __future__ import annotations

import logging
from typing import Any

import stoflow.cold_start  # noqa: F401  (first: no garbage collection while the function imports)
from stoflow.availability import unavailable_dependency
from stoflow.errors import StoflowError
from stoflow.observability import traced_handler
from stoflow.realtime.protocol import connection_id, query_parameter, response
from stoflow.services.ws import open_connection

log = logging.getLogger("stoflow.ws_connect")


@traced_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        open_connection(connection_id(event), query_parameter(event, "ticket"))
    except StoflowError as exc:
        if exc.status >= 500:
            log.exception("$connect failed")
            return response(500)
        log.info("$connect refused: %s", exc.code)
        return response(exc.status)
    except Exception as exc:
        # The database (or its proxy, or its secret) unavailable: the handshake is refused with
        # 503 and the client retries; anything else is a bug and raises.
        if unavailable_dependency(exc) is None:
            raise
        log.warning("$connect: %s unavailable: %s", unavailable_dependency(exc), type(exc).__name__)
        return response(503)
    return response(200)
