"""Health: is the database reachable from this container?"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import literal, select

from stoflow.db.engine import get_engine

log = logging.getLogger(__name__)


@dataclass
class Health:
    database: bool

    def as_http_response(self) -> dict[str, Any]:
        headers = {"content-type": "application/json", "cache-control": "no-store"}
        if self.database:
            body = {"status": "ok", "database": "ok"}
            return {"statusCode": 200, "headers": headers, "body": json.dumps(body), "isBase64Encoded": False}
        from stoflow.availability import RETRY_AFTER_S

        body = {"status": "degraded", "database": "down", "code": "service_unavailable"}
        return {
            "statusCode": 503,
            "headers": {**headers, "retry-after": str(RETRY_AFTER_S)},
            "body": json.dumps(body),
            "isBase64Encoded": False,
        }


def check() -> Health:
    """Down only when the database (or its proxy, or the secret naming it) is unavailable; any
    other failure is a bug and raises."""
    from stoflow.availability import unavailable_dependency

    try:
        with get_engine().connect() as connection, connection.begin():
            connection.execute(select(literal(1)))
    except Exception as exc:
        dependency = unavailable_dependency(exc)
        if dependency is None:
            raise
        log.warning("health: %s unavailable: %s: %s", dependency, type(exc).__name__, exc)
        return Health(database=False)
    return Health(database=True)
