"""The seller's Vinted inbox and wardrobe as synced by the extension: conversations and their
messages (read; a reply is queued as a Vinted job), and wardrobe items not yet linked to a product
(with the link action).

Everything here runs in the caller's tenant session; an id that is not the caller's is a 404.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.orm import Session

from stoflow.errors import Conflict, NotFound
from stoflow.models.jobs import MarketplaceJob
from stoflow.models.products import Product
from stoflow.models.vinted import VintedConversation, VintedProduct

__all__ = ["conversation", "conversations", "link_item", "queue_reply", "unlinked_items"]


def _paged(session: Session, query: Any, limit: int, offset: int) -> tuple[list[Row[Any]], int]:
    rows = session.execute(query.add_columns(func.count().over().label("total")).limit(limit).offset(offset)).all()
    if rows:
        return list(rows), int(rows[0].total)
    if offset == 0:
        return [], 0
    return [], int(session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)


def conversations(
    session: Session, limit: int, offset: int, *, unread: bool | None = None
) -> tuple[list[Row[Any]], int]:
    """Conversations, most recently active first; the messages stay out (GET one for them)."""
    columns = [c for c in VintedConversation.__table__.columns if c.key != "messages"]
    query = select(*columns, func.jsonb_array_length(VintedConversation.messages).label("message_count"))
    if unread is not None:
        query = query.where(VintedConversation.unread.is_(unread))
    query = query.order_by(VintedConversation.updated_at.desc(), VintedConversation.id.desc())
    return _paged(session, query, limit, offset)


def conversation(session: Session, conversation_id: int) -> VintedConversation:
    found = session.get(VintedConversation, conversation_id)
    if found is None:
        raise NotFound(f"no such conversation: {conversation_id}", code="conversation_not_found")
    return found


def queue_reply(session: Session, tenant_id: int, conversation_id: int, body: str, user_id: int) -> MarketplaceJob:
    """A `send_message` Vinted job for this conversation, in the caller's transaction (its message
    leaves after the commit). The extension sends it when the seller's Vinted tab is available."""
    from stoflow.jobs.service import JobRequest, enqueue_in_session
    from stoflow.marketplaces.registry import job_handlers

    target = conversation(session, conversation_id)
    request = JobRequest(
        "vinted", "send_message", params={"conversation_id": target.conversation_id, "body": body.strip()}
    )
    # Validated against the marketplaces' handlers (the job system itself knows no marketplace).
    return enqueue_in_session(session, tenant_id, request, user_id=user_id, handlers=job_handlers()).jobs[0]


def unlinked_items(session: Session, limit: int, offset: int) -> tuple[list[Row[Any]], int]:
    """Wardrobe items synced from Vinted that no product of ours stands for, newest first."""
    query = (
        select(*VintedProduct.__table__.columns)
        .where(VintedProduct.product_id.is_(None), VintedProduct.deleted_at.is_(None))
        .order_by(VintedProduct.published_at.desc().nulls_last(), VintedProduct.id.desc())
    )
    return _paged(session, query, limit, offset)


def link_item(session: Session, item_id: int, product_id: int) -> VintedProduct:
    """Say that wardrobe item `item_id` is product `product_id` on Vinted (the product's Vinted
    listing state follows the item: listed, delisted when closed or hidden, sold). 404 for an item or a
    product that is not the caller's (or deleted); 409 if the item is already linked to another
    product, or the product already has a live Vinted item."""
    item = session.scalars(
        select(VintedProduct).where(VintedProduct.id == item_id, VintedProduct.deleted_at.is_(None)).with_for_update()
    ).first()
    if item is None:
        raise NotFound(f"no such wardrobe item: {item_id}", code="wardrobe_item_not_found")
    live = session.scalar(
        select(Product.id).where(Product.id == product_id, Product.deleted_at.is_(None)).with_for_update()
    )
    if live is None:
        raise NotFound(f"no such product: {product_id}", code="product_not_found")
    if item.product_id == product_id:
        return item
    if item.product_id is not None:
        raise Conflict(
            f"wardrobe item {item_id} is already linked to product {item.product_id}", code="wardrobe_item_linked"
        )
    other = session.scalar(
        select(VintedProduct.id).where(
            VintedProduct.product_id == product_id, VintedProduct.deleted_at.is_(None), VintedProduct.id != item_id
        )
    )
    if other is not None:
        raise Conflict(
            f"product {product_id} is already linked to wardrobe item {other}", code="product_already_on_vinted"
        )
    session.execute(
        update(VintedProduct)
        .where(VintedProduct.id == item_id)
        .values(product_id=product_id, updated_at=func.now())
        .execution_options(synchronize_session=False)
    )
    session.refresh(item)
    # The listing state follows: the product now shows as on Vinted (filters, /listings).
    from stoflow.repositories.jobs import upsert_listing

    status = "sold" if item.sold_at is not None else "delisted" if item.is_closed or item.is_hidden else "listed"
    upsert_listing(
        session,
        product_id,
        "vinted",
        status=status,
        external_id=str(item.vinted_item_id),
        url=item.url,
        last_error=None,
    )
    return item
