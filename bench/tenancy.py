"""Tenancy figures: tenant creation vs its raw DDL, and a one-column migration fanned out over
1,000 tenant schemas vs the same ALTERs sent as plain SQL. Each pair is measured in one run."""

from __future__ import annotations

import itertools
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pg8000.dbapi
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import URL
from sqlalchemy.schema import CreateIndex, CreateTable

from bench.common import REPO, figure, scratch_database
from stoflow.db import migrations
from stoflow.db.provisioning import create_tenant
from stoflow.models.base import tenant_tables

CREATIONS = 40
FANOUT_TENANTS = 1000
WORKERS = 4

EXTRA_REVISION = '''"""bench: add products.note"""
import sqlalchemy as sa
from alembic import op

from stoflow.db.migrations import tenant_schema

revision = "tbench"
down_revision = {parent!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("products", sa.Column("note", sa.Text()), schema=tenant_schema())


def downgrade() -> None:
    op.drop_column("products", "note", schema=tenant_schema())
'''


def raw_connection(url: URL) -> pg8000.dbapi.Connection:
    kwargs: dict[str, object] = {"user": url.username or "postgres", "database": url.database}
    if url.query.get("unix_sock"):
        kwargs["unix_sock"] = url.query["unix_sock"]
    else:
        kwargs.update(host=url.host or "127.0.0.1", port=url.port or 5432)
    return pg8000.dbapi.connect(**kwargs)


def raw_ddl(schema: str) -> list[str]:
    """The DDL of one tenant schema as plain SQL strings (bench only: placeholder replaced textually)."""
    dialect = postgresql.dialect()
    statements = [f"CREATE SCHEMA {schema}"]
    statements.append(
        f"CREATE TABLE {schema}.alembic_version (version_num VARCHAR(32) NOT NULL, "
        f"CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
    )
    for table in tenant_tables():
        statements.append(str(CreateTable(table).compile(dialect=dialect)).replace("tenant.", f"{schema}."))
        for index in table.indexes:
            statements.append(str(CreateIndex(index).compile(dialect=dialect)).replace("tenant.", f"{schema}."))
    return statements


def bench_creation(
    engine, url: URL, ids: Iterator[int], label: str = f"tenant creation (median of {CREATIONS})"
) -> None:
    connection = raw_connection(url)
    head = migrations.head_revision("tenant")
    raw_samples, ours = [], []
    try:
        for _ in range(CREATIONS):
            tenant = next(ids)
            statements = raw_ddl(f"user_{tenant}")
            started = time.perf_counter()
            cursor = connection.cursor()
            for statement in statements:
                cursor.execute(statement)
            cursor.execute(f"INSERT INTO user_{tenant}.alembic_version VALUES ('{head}')")
            cursor.execute(f"INSERT INTO public.tenants (id, schema_name) VALUES ({tenant}, 'user_{tenant}')")
            connection.commit()
            raw_samples.append(time.perf_counter() - started)

            tenant = next(ids)
            started = time.perf_counter()
            create_tenant(tenant, engine=engine)
            ours.append(time.perf_counter() - started)
    finally:
        connection.close()
    figure(
        f"{label} (median of {CREATIONS})",
        statistics.median(ours),
        "raw DDL of the same tables",
        statistics.median(raw_samples),
        "<= 2x and < 50 ms",
    )


def bench_fanout(engine, url: URL, ids: itertools.count) -> None:
    tenants = [next(ids) for _ in range(FANOUT_TENANTS)]
    for tenant in tenants:
        create_tenant(tenant, engine=engine)
    fanout_figure(engine, url, tenants, budget="<= 10x and < 10 s")


def fanout_figure(engine, url: URL, tenants: list[int], *, budget: str, undo: bool = False) -> None:
    """A one-column tenant migration fanned out over `tenants` against the same ALTERs as plain SQL
    (with `undo`, migrated back down afterwards: the schemas are kept)."""
    workdir = Path(tempfile.mkdtemp(prefix="stoflow-bench-"))
    try:
        shutil.copytree(REPO / "migrations", workdir / "migrations", ignore=shutil.ignore_patterns("__pycache__"))
        parent = migrations.head_revision("tenant")
        (workdir / "migrations" / "tenant" / "versions" / "tbench.py").write_text(EXTRA_REVISION.format(parent=parent))
        connection = raw_connection(url)
        cursor = connection.cursor()
        started = time.perf_counter()
        for tenant in tenants:
            cursor.execute(f"ALTER TABLE user_{tenant}.products ADD COLUMN note text")
            connection.commit()
        plain = time.perf_counter() - started
        for tenant in tenants:
            cursor.execute(f"ALTER TABLE user_{tenant}.products DROP COLUMN note")
        connection.commit()
        connection.close()

        directory = workdir / "migrations"
        report = migrations.migrate_tenants(engine, tenant_ids=tenants, workers=WORKERS, migrations_dir=directory)
        assert report.ok, report.summary()
        figure(
            f"migration fan-out, {len(tenants)} schemas ({WORKERS} workers)",
            report.seconds,
            "the same ALTERs as plain SQL",
            plain,
            budget,
        )
        if undo:
            down = migrations.migrate_tenants(
                engine, "downgrade", parent or "base", tenant_ids=tenants, workers=WORKERS, migrations_dir=directory
            )
            assert down.ok, down.summary()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    with scratch_database(pool_size=WORKERS + 2) as (engine, url):
        migrations.migrate_shared(engine)
        ids = itertools.count(1)
        bench_creation(engine, url, ids)
        bench_fanout(engine, url, ids)


if __name__ == "__main__":
    main()
