"""Queries on synced orders (each marketplace's orders table, given by its adapter) and the one
list over all marketplaces (each gives a select of its orders in one row shape)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, union_all
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session


def existing_ids(session: Session, model: Any, key: str, external_ids: Sequence[Any]) -> set[Any]:
    column = getattr(model, key)
    return set(session.scalars(select(column).where(column.in_(list(external_ids))))) if external_ids else set()


def upsert(session: Session, model: Any, key: str, rows: Sequence[dict[str, Any]]) -> None:
    for row in rows:
        statement = insert(model).values(**row)
        changes = {k: v for k, v in row.items() if k != key}
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[getattr(model, key)], set_={**changes, "updated_at": func.now()}
            )
        )


@dataclass(frozen=True)
class OrderFilters:
    marketplaces: tuple[str, ...] = ()
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    include_cancelled: bool = True


def page(
    session: Session,
    sources: Mapping[str, Callable[[], Select[Any]]],
    filters: OrderFilters,
    limit: int,
    offset: int,
) -> tuple[list[Any], int]:
    """One page of the union of `sources` (marketplace name -> a select of its orders with the
    columns marketplace, external_id, status, cancelled, buyer, total, currency, ordered_at,
    line_items)."""
    if not sources:
        return [], 0
    combined = union_all(*(select_() for select_ in sources.values())).subquery("orders")
    conditions = []
    if filters.status is not None:
        conditions.append(combined.c.status == filters.status)
    if filters.since is not None:
        conditions.append(combined.c.ordered_at >= filters.since)
    if filters.until is not None:
        conditions.append(combined.c.ordered_at < filters.until)
    if not filters.include_cancelled:
        conditions.append(combined.c.cancelled.is_(False))
    total = session.scalar(select(func.count()).select_from(combined).where(*conditions)) or 0
    rows = session.execute(
        select(combined)
        .where(*conditions)
        .order_by(combined.c.ordered_at.desc(), combined.c.marketplace, combined.c.external_id)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)
