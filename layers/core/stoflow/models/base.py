"""Declarative bases. One MetaData for every schema so tenant tables may reference catalogues.

Tenant models declare `__table_args__ = {"schema": TENANT}`; the tenant session translates it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, MetaData, Table, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

TENANT = "tenant"
PUBLIC = "public"
CATALOG = "product_attributes"

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Base(DeclarativeBase):
    metadata = metadata


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


def tenant_tables() -> list[Table]:
    """The tables of one tenant schema, in dependency order."""
    from stoflow.models import load_all

    load_all()
    return [t for t in metadata.sorted_tables if t.schema == TENANT]
