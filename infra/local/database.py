"""The database parts: the embedded PostgreSQL (when no DATABASE_URL is given) and the schema.

Functions find the database the way they do on AWS, through stoflow.config; the local cloud only
sets the environment they read (DATABASE_URL), which layers/ itself never touches.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from stoflow import runtime
from stoflow.config import get_settings
from stoflow.db.engine import ENGINE, engine_from_settings
from stoflow.db.migrations import migrate_shared, migrate_tenants

log = logging.getLogger("stoflow.local.db")

_DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def export_database_url(url: URL | str | None) -> None:
    """Point in-process functions at `url` (None: forget it) and reset what was built from the
    previous one."""
    if url is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = url if isinstance(url, str) else url.render_as_string(hide_password=False)
    runtime.reset()


class EmbeddedPostgres:
    """pgserver's PostgreSQL with its data in `data_dir`, kept across restarts, and a `database`
    in it created on first start."""

    name = "postgres"

    def __init__(self, data_dir: Path, database: str = "stoflow") -> None:
        if not _DATABASE_NAME.match(database):
            raise ValueError(f"not a plain database name: {database!r}")
        self.data_dir = Path(data_dir)
        self.database = database
        self.url: URL | None = None
        self._server: Any = None
        self._previous_url: str | None = None

    def start(self) -> None:
        from infra.local import embedded

        self._server = embedded.start(self.data_dir)
        admin_url = embedded.url(self._server)
        # CREATE DATABASE cannot run inside a transaction: AUTOCOMMIT, on the admin database only.
        admin = create_engine(admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                exists = connection.scalar(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": self.database}
                )
                if not exists:
                    connection.execute(text(f'CREATE DATABASE "{self.database}"'))
                    log.info("created database %s", self.database)
        finally:
            admin.dispose()
        self.url = embedded.url(self._server, self.database)
        self._previous_url = os.environ.get("DATABASE_URL")
        export_database_url(self.url)

    def stop(self) -> None:
        export_database_url(self._previous_url)
        if self._server is not None:
            # Stops the server unless another process of ours still uses the same data folder.
            self._server.cleanup()
            self._server = None

    def describe(self) -> list[str]:
        return [f"PostgreSQL   embedded, database {self.database}, data in {self.data_dir}"]


class Database:
    """Creates the database roles (stoflow.db.roles) as DATABASE_URL's user, migrates the database
    to head as the migrator role (shared schemas, then every tenant schema), then points the
    functions at the application role, as deployed: what runs locally may not run DDL either.
    Installs an engine (the application role) for the local cloud's own work (the demo user, the
    sandboxes). Functions do not use it: each of their containers has its own (functions.Containers).

    Locally the roles log in without a password (the embedded server trusts local connections);
    a DATABASE_URL given for another server must let them in the same way."""

    name = "database"

    def __init__(self, pool_size: int = 4) -> None:
        # Migrations fan out on a few threads; the functions' containers have their own engines.
        self.pool_size = pool_size
        self.engine: Engine | None = None
        self._previous_url: str | None = None

    def start(self) -> None:
        from stoflow.db.roles import APP_ROLE, MIGRATOR_ROLE, ensure_roles

        settings = get_settings()
        admin = engine_from_settings(settings)
        try:
            ensure_roles(admin)
            given = admin.url
        finally:
            admin.dispose()
        migrator = engine_from_settings(settings, pool_size=self.pool_size, user=MIGRATOR_ROLE)
        try:
            before, after = migrate_shared(migrator)
            log.info("shared schemas: %s -> %s", before or "base", after)
            report = migrate_tenants(migrator, workers=settings.migration_workers)
            log.info("%s", report.summary())
            if not report.ok:
                raise RuntimeError(f"tenant migrations failed: {report.summary()}")
        finally:
            migrator.dispose()
        self._previous_url = os.environ.get("DATABASE_URL")
        export_database_url(given.set(username=APP_ROLE, password=None))
        engine = engine_from_settings(get_settings(), pool_size=self.pool_size)
        runtime.provide(ENGINE, engine)
        self.engine = engine

    def stop(self) -> None:
        runtime.provide(ENGINE, None)
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
            export_database_url(self._previous_url)

    def describe(self) -> list[str]:
        url = self.engine.url.render_as_string(hide_password=True) if self.engine else "-"
        return [f"Database     {url} (migrated to head; functions log in as this role, rows only)"]
