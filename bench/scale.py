"""A persistent database of many tenant schemas for the scale figures.

Creating 10,000 tenant schemas takes most of an hour on a small machine (about 100 catalog
relations each), so the scale database is built once, grown on demand, and kept between runs:
`stoflow_bench_scale`, next to the scratch databases. Each run brings it to the current heads (the
shared tree once; the tenant tree fanned out, which is itself a figure) and leaves it as it found
it: the benchmarks delete the rows they add.

`python -m bench.scale 10000` builds (or grows) it alone, reporting progress.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from bench.common import admin_url
from stoflow.db import migrations
from stoflow.db.engine import build_engine
from stoflow.db.provisioning import create_tenant
from stoflow.db.roles import ensure_roles
from stoflow.models.public import Tenant

DATABASE = "stoflow_bench_scale"


def _ensure_database(base: URL) -> URL:
    admin = create_engine(base, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": DATABASE})
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    finally:
        admin.dispose()
    return base.set(database=DATABASE)


def registered(engine: Engine) -> int:
    with engine.connect() as connection, connection.begin():
        return int(connection.scalar(select(func.count()).select_from(Tenant)) or 0)


def tenant_ids(engine: Engine) -> list[int]:
    with engine.connect() as connection, connection.begin():
        return list(connection.scalars(select(Tenant.id).order_by(Tenant.id)))


def missing(engine: Engine, first: int, last: int) -> list[int]:
    with engine.connect() as connection, connection.begin():
        present = set(connection.scalars(select(Tenant.id).where(Tenant.id.between(first, last))))
    return [tenant_id for tenant_id in range(first, last + 1) if tenant_id not in present]


def grow(engine: Engine, tenants: int, *, first: int = 1, report_every: int = 250) -> list[float]:
    """Create the missing tenants of ids first..tenants; returns the creation times of this run, in
    order (the last ones are the creation time at that size)."""
    samples: list[float] = []
    for tenant_id in missing(engine, first, tenants):
        started = time.perf_counter()
        create_tenant(tenant_id, engine=engine)
        samples.append(time.perf_counter() - started)
        if tenant_id % report_every == 0:
            recent = statistics.median(samples[-report_every:]) * 1000
            print(f"  {tenant_id:6d} tenants, creation {recent:.0f} ms (median of the last {report_every})", flush=True)
    return samples


@contextmanager
def scale_database(tenants: int, *, pool_size: int = 6, build: bool = True) -> Iterator[tuple[Engine, URL]]:
    """The scale database with at least `tenants` tenants (ids 1..tenants; as it is, without
    `build`), shared and tenant trees at head."""
    url = _ensure_database(admin_url())
    engine = build_engine(url, pool_size=pool_size, max_overflow=pool_size)
    try:
        ensure_roles(engine)  # the shared migrations grant rights to the application role
        migrations.migrate_shared(engine)
        behind = migrations.migrate_tenants(engine, workers=4)
        if any(o.before != o.after for o in behind.outcomes):
            print(f"  scale database: {behind.summary()}")
        if build:
            grow(engine, tenants)
        yield engine, url
    finally:
        engine.dispose()


def main(argv: list[str]) -> int:
    tenants = int(argv[1]) if len(argv) > 1 else 10_000
    if len(argv) > 2:  # a slice of ids, to build in several processes: `python -m bench.scale LAST FIRST`
        url = _ensure_database(admin_url())
        engine = build_engine(url, pool_size=1, max_overflow=0)
        grow(engine, tenants, first=int(argv[2]))
        engine.dispose()
        return 0
    with scale_database(tenants) as (engine, _):
        print(f"scale database {DATABASE}: {registered(engine)} tenants")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
