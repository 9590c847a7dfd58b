"""$disconnect: the connection's row is deleted. API Gateway sends it best-effort (a purge catches
the ones it misses) and ignores the answer."""

from __future__ import annotations

from typing import Any

from stoflow.realtime.protocol import connection_id, response
from stoflow.services.ws import close_connection


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    close_connection(connection_id(event))
    return response(200)
