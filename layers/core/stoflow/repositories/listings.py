"""Queries on where a product is listed: its per-marketplace listing state and publication history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Row, exists, func, select
from sqlalchemy.orm import Session

from stoflow.models.jobs import MarketplaceJob, PublicationHistory
from stoflow.models.listings import MarketplaceListing
from stoflow.models.products import Product

__all__ = ["history_page", "listed_on", "listings_of", "not_listed_on"]


def listings_of(session: Session, product_id: int) -> list[Row[Any]]:
    """The product's listing rows, one per marketplace it was ever sent to, by marketplace name,
    each with the status, action and end of the job that last touched it (one statement)."""
    return list(
        session.execute(
            select(
                *MarketplaceListing.__table__.columns,
                MarketplaceJob.action.label("last_job_action"),
                MarketplaceJob.status.label("last_job_status"),
                MarketplaceJob.finished_at.label("last_job_finished_at"),
            )
            .outerjoin(MarketplaceJob, MarketplaceJob.id == MarketplaceListing.last_job_id)
            .where(MarketplaceListing.product_id == product_id)
            .order_by(MarketplaceListing.marketplace)
        ).all()
    )


def history_page(session: Session, product_id: int, limit: int, offset: int) -> tuple[list[Row[Any]], int]:
    """The product's publication history, newest first, with the total (one statement)."""
    rows = session.execute(
        select(*PublicationHistory.__table__.columns, func.count().over().label("total"))
        .where(PublicationHistory.product_id == product_id)
        .order_by(PublicationHistory.created_at.desc(), PublicationHistory.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    if rows:
        return list(rows), int(rows[0].total)
    if offset == 0:
        return [], 0
    total = session.scalar(
        select(func.count()).select_from(PublicationHistory).where(PublicationHistory.product_id == product_id)
    )
    return [], int(total or 0)


def _listed(marketplace: str) -> ColumnElement[bool]:
    return exists().where(
        MarketplaceListing.product_id == Product.id,
        MarketplaceListing.marketplace == marketplace,
        MarketplaceListing.status == "listed",
    )


def listed_on(marketplace: str) -> ColumnElement[bool]:
    """A condition on products: live on this marketplace as far as our jobs know (a correlated
    EXISTS, so a product list filtered this way stays one statement)."""
    return _listed(marketplace)


def not_listed_on(marketplace: str) -> ColumnElement[bool]:
    """A condition on products: not live on this marketplace (never sent, delisted, sold or in error)."""
    return ~_listed(marketplace)
