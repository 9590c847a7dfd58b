"""The tenant registry (public.tenants)."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, delete, insert, select

from stoflow.models.public import Tenant


class TenantRow(NamedTuple):
    id: int
    schema_name: str
    created_at: datetime


def register(connection: Connection, tenant_id: int, schema: str) -> None:
    connection.execute(insert(Tenant).values(id=tenant_id, schema_name=schema))


def unregister(connection: Connection, tenant_id: int) -> int:
    return connection.execute(delete(Tenant).where(Tenant.id == tenant_id)).rowcount


def get(connection: Connection, tenant_id: int) -> TenantRow | None:
    row = connection.execute(
        select(Tenant.id, Tenant.schema_name, Tenant.created_at).where(Tenant.id == tenant_id)
    ).first()
    return TenantRow(*row) if row else None


def list_all(connection: Connection) -> list[TenantRow]:
    rows = connection.execute(select(Tenant.id, Tenant.schema_name, Tenant.created_at).order_by(Tenant.id))
    return [TenantRow(*row) for row in rows]
