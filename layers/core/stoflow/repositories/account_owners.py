"""Which tenants a marketplace account belongs to (public.marketplace_account_owners)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from stoflow.models.account_owners import MarketplaceAccountOwner as Owner


def claim(session: Session, marketplace: str, account_id: str, tenant_id: int) -> None:
    """The tenant holds this account, and no other account of the marketplace (a reconnect with
    another account replaces the old one)."""
    session.execute(
        delete(Owner).where(
            Owner.marketplace == marketplace, Owner.tenant_id == tenant_id, Owner.account_id != account_id
        )
    )
    statement = insert(Owner).values(marketplace=marketplace, account_id=account_id, tenant_id=tenant_id)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[Owner.marketplace, Owner.account_id, Owner.tenant_id], set_={"updated_at": func.now()}
        )
    )


def release(session: Session, marketplace: str, tenant_id: int) -> None:
    session.execute(delete(Owner).where(Owner.marketplace == marketplace, Owner.tenant_id == tenant_id))


def tenants_of(session: Session, marketplace: str, account_id: str) -> list[int]:
    query = select(Owner.tenant_id).where(Owner.marketplace == marketplace, Owner.account_id == account_id)
    return sorted(session.scalars(query))


def forget_tenant(connection: Connection, tenant_id: int) -> None:
    """A dropped tenant holds no account."""
    connection.execute(delete(Owner).where(Owner.tenant_id == tenant_id))
