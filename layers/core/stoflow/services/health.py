"""Health: is the database reachable from this container?"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import literal, select
from sqlalchemy.exc import SQLAlchemyError

from stoflow.db.engine import get_engine

log = logging.getLogger(__name__)


@dataclass
class Health:
    database: bool

    def as_http_response(self) -> dict[str, Any]:
        body = {"status": "ok" if self.database else "degraded", "database": "ok" if self.database else "down"}
        return {
            "statusCode": 200 if self.database else 503,
            "headers": {"content-type": "application/json", "cache-control": "no-store"},
            "body": json.dumps(body),
        }


def check() -> Health:
    try:
        with get_engine().connect() as connection, connection.begin():
            connection.execute(select(literal(1)))
    except (SQLAlchemyError, OSError, RuntimeError):
        log.exception("health: database unreachable")
        return Health(database=False)
    return Health(database=True)
