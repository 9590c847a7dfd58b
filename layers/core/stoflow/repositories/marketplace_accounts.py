"""Queries on the tenant's marketplace connection rows (ebay_credentials, etsy_credentials).

Each is a singleton (id = 1). `lock=True` reads it FOR UPDATE: token refreshes serialise on it."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from stoflow.models.ebay import EbayCredentials
from stoflow.models.etsy import EtsyCredentials
from stoflow.models.vinted import VintedConnection

Account = TypeVar("Account", EbayCredentials, EtsyCredentials)
MODELS: dict[str, type[EbayCredentials] | type[EtsyCredentials]] = {
    "ebay": EbayCredentials,
    "etsy": EtsyCredentials,
}


def get(session: Session, model: type[Account], *, lock: bool = False) -> Account | None:
    query = select(model).where(model.id == 1)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def vinted_session(session: Session) -> VintedConnection | None:
    """What the extension last reported about the tenant's Vinted session (read only here)."""
    return session.scalars(select(VintedConnection).where(VintedConnection.id == 1)).first()


def upsert(session: Session, model: type[Account], values: dict[str, Any]) -> Account:
    """Insert the connection row, or overwrite the given columns of the existing one."""
    statement = insert(model).values(id=1, **values)
    statement = statement.on_conflict_do_update(index_elements=[model.id], set_={**values, "updated_at": func.now()})
    session.execute(statement)
    row = get(session, model)
    assert row is not None
    session.refresh(row)
    return row
