"""Reads of the shared catalogues (product_attributes)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from stoflow.models.base import Base


def rows(session: Session, model: type[Base]) -> list[dict[str, Any]]:
    columns = list(inspect(model).columns)
    order = [c for c in columns if c.key == "sort_order"] or [c for c in columns if c.key == "name"]
    result = session.execute(select(*columns).order_by(*order, columns[0]))
    return [dict(row._mapping) for row in result]


def missing_ids(session: Session, model: type[Base], ids: Iterable[int]) -> set[int]:
    wanted = set(ids)
    if not wanted:
        return set()
    id_column = inspect(model).columns["id"]
    found = set(session.scalars(select(id_column).where(id_column.in_(sorted(wanted)))))
    return wanted - found
