"""Queries on sales (each sale's delist chain) and their jobs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from stoflow.models.jobs import MarketplaceJob
from stoflow.models.sales import Sale


def find(session: Session, sold_on: str, order_ref: str, product_id: int) -> Sale | None:
    return session.scalars(
        select(Sale).where(Sale.sold_on == sold_on, Sale.order_ref == order_ref, Sale.product_id == product_id)
    ).first()


def of_order(session: Session, sold_on: str, order_ref: str, *, lock: bool = False) -> list[Sale]:
    query = select(Sale).where(Sale.sold_on == sold_on, Sale.order_ref == order_ref).order_by(Sale.id)
    return list(session.scalars(query.with_for_update() if lock else query))


def active_of_product(session: Session, product_id: int) -> list[Sale]:
    return list(
        session.scalars(select(Sale).where(Sale.product_id == product_id, Sale.status == "active").order_by(Sale.id))
    )


def holding(session: Session, hold_action: str) -> list[Sale]:
    """Standing sales whose chain hid a listing, not final yet: locked, as a restore locks them."""
    query = (
        select(Sale)
        .where(Sale.status == "active", Sale.final_at.is_(None), Sale.steps.contains([{"action": hold_action}]))
        .order_by(Sale.id)
        .with_for_update()
    )
    return list(session.scalars(query))


def get(session: Session, sale_id: int, *, lock: bool = False) -> Sale | None:
    query = select(Sale).where(Sale.id == sale_id)
    return session.scalars(query.with_for_update() if lock else query).first()


def page(
    session: Session, *, product_id: int | None, status: str | None, limit: int, offset: int
) -> tuple[list[Sale], int]:
    query = select(Sale)
    if product_id is not None:
        query = query.where(Sale.product_id == product_id)
    if status is not None:
        query = query.where(Sale.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Sale.seen_at.desc(), Sale.id.desc()).limit(limit).offset(offset))
    return list(rows), int(total)


def jobs_by_ids(session: Session, job_ids: Sequence[int]) -> dict[int, MarketplaceJob]:
    if not job_ids:
        return {}
    rows = session.scalars(select(MarketplaceJob).where(MarketplaceJob.id.in_(list(job_ids))))
    return {job.id: job for job in rows}


def add(session: Session, **values: Any) -> Sale:
    sale = Sale(**values)
    session.add(sale)
    session.flush()
    return sale
