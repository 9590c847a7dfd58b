"""Embedded PostgreSQL (the `pgserver` wheel) for `make run` and tests when no server is given.

Its data lives in a folder of the project's, so a restart keeps it. Only the local cloud and the
test suite import this module; no function does.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL

log = logging.getLogger(__name__)

_servers: dict[Path, Any] = {}


def start(data_dir: Path) -> Any:
    """Start (or join) the embedded server whose data is in `data_dir`."""
    data_dir = Path(data_dir).resolve()
    if data_dir not in _servers:
        try:
            import pgserver
        except ImportError as exc:  # pragma: no cover - a dev dependency
            raise RuntimeError(
                "embedded PostgreSQL needs the 'pgserver' package: run `make install`, or set DATABASE_URL"
            ) from exc
        data_dir.mkdir(parents=True, exist_ok=True)
        _servers[data_dir] = pgserver.get_server(data_dir, cleanup_mode="stop")
        log.info("embedded PostgreSQL running with data in %s", data_dir)
    return _servers[data_dir]


def url(server: Any, database: str = "postgres") -> URL:
    """A pg8000 URL reaching the embedded server through its unix socket."""
    socket_dir = Path(server.get_uri().split("host=", 1)[1].split("&", 1)[0])
    return URL.create(
        "postgresql+pg8000",
        username="postgres",
        database=database,
        query={"unix_sock": str(socket_dir / ".s.PGSQL.5432")},
    )
