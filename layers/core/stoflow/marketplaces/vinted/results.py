"""What the extension's answers change: wardrobe pages, orders, conversations, and each command's
final data. Every shape is validated strictly (extra fields refused) before anything is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from stoflow.errors import InvalidInput
from stoflow.jobs.handlers import JobOutcome
from stoflow.models.jobs import MarketplaceJob
from stoflow.models.products import Product
from stoflow.models.vinted import VintedConversation, VintedOrder, VintedProduct
from stoflow.repositories import order_checks

Id = int


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class WardrobeItem(_Strict):
    id: Id | None = None
    title: str | None = Field(default=None, max_length=200)
    price: str | None = Field(default=None, max_length=20)
    currency: str | None = Field(default=None, max_length=3)
    brand: str | None = Field(default=None, max_length=100)
    size: str | None = Field(default=None, max_length=50)
    status: str | None = Field(default=None, max_length=50)
    is_closed: bool = False
    is_hidden: bool = False
    is_reserved: bool = False
    is_draft: bool = False
    view_count: int | None = None
    favourite_count: int | None = None
    url: str | None = Field(default=None, max_length=500)
    photo_url: str | None = Field(default=None, max_length=1000)
    created_at: str | None = Field(default=None, max_length=40)


class OrderItem(_Strict):
    transaction_id: Id | None = None
    conversation_id: Id | None = None
    item_id: Id | None = None
    title: str | None = Field(default=None, max_length=200)
    price: str | None = Field(default=None, max_length=20)
    status: str | None = Field(default=None, max_length=100)
    transaction_user_status: str | None = Field(default=None, max_length=50)
    date: str | None = Field(default=None, max_length=40)
    buyer: str | None = Field(default=None, max_length=100)
    photo_url: str | None = Field(default=None, max_length=1000)


class ConversationItem(_Strict):
    id: Id | None = None
    item_count: int | None = None
    unread: bool = False
    is_deletion_restricted: bool = False
    description: str | None = Field(default=None, max_length=500)
    updated_at: str | None = Field(default=None, max_length=40)
    opposite_user: str | None = Field(default=None, max_length=100)
    opposite_user_id: Id | None = None


class MessageItem(_Strict):
    id: Id | None = None
    entity_type: str | None = Field(default=None, max_length=40)
    body: str | None = Field(default=None, max_length=2000)
    user_id: Id | None = None
    created_at: str | None = Field(default=None, max_length=40)


STAGES: dict[str, type[_Strict]] = {
    "items": WardrobeItem,
    "my_orders": OrderItem,
    "conversations": ConversationItem,
    "messages": MessageItem,
}
# Which stages each command may send.
COMMAND_STAGES = {
    "vinted.fetch_wardrobe": {"items"},
    "vinted.fetch_orders": {"my_orders"},
    "vinted.fetch_conversations": {"conversations", "messages"},
}


def parse_items(command: str, stage: str, items: list[dict[str, Any]]) -> list[Any]:
    if stage not in COMMAND_STAGES.get(command, set()):
        raise InvalidInput(f"{command} sends no {stage!r} pages", code="invalid_progress")
    model = STAGES[stage]
    try:
        return [model.model_validate(item) for item in items]
    except ValidationError as exc:
        message = f"a {stage} entry did not validate: {exc.errors()[0]['msg']}"
        raise InvalidInput(message, code="invalid_progress") from exc


def _price(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if Decimal(0) <= value < Decimal("10000000000") else None


def upsert_wardrobe(session: Session, items: list[WardrobeItem], now: datetime) -> int:
    stored = 0
    for item in items:
        if item.id is None:
            continue
        values = {
            "title": item.title,
            "price": _price(item.price),
            "currency": item.currency,
            "status": item.status,
            "url": item.url,
            "photo_url": item.photo_url,
            "is_closed": item.is_closed,
            "is_hidden": item.is_hidden,
            "is_reserved": item.is_reserved,
            "is_draft": item.is_draft,
            "view_count": item.view_count,
            "favourite_count": item.favourite_count,
            "last_synced_at": now,
            "deleted_at": None,
        }
        statement = insert(VintedProduct).values(vinted_item_id=item.id, **values)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[VintedProduct.vinted_item_id], set_={**values, "updated_at": func.now()}
            )
        )
        stored += 1
    return stored


def _when(value: str | None) -> datetime | None:
    """Vinted's order date (ISO 8601), None when absent or unreadable."""
    try:
        parsed = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    return parsed.replace(tzinfo=parsed.tzinfo or UTC) if parsed else None


@dataclass(frozen=True)
class VintedSale:
    """One order of a linked product: a sale, or a cancelled one to undo."""

    product_id: int
    transaction_id: str
    ordered_at: datetime | None
    cancelled: bool


def upsert_orders(session: Session, tenant_id: int, orders: list[OrderItem]) -> list[VintedSale]:
    """Stores the orders; returns those of our products (linked through vinted_products)."""
    sold: list[VintedSale] = []
    for order in orders:
        if order.transaction_id is None:
            continue
        product_id = None
        if order.item_id is not None:
            product_id = session.scalar(
                select(VintedProduct.product_id).where(VintedProduct.vinted_item_id == order.item_id)
            )
        values = {
            "conversation_id": order.conversation_id,
            "vinted_item_id": order.item_id,
            "product_id": product_id,
            "title": order.title,
            "price": _price(order.price),
            "status": order.status,
            "buyer": order.buyer,
            "ordered_at": order.date,
            "raw": order.model_dump(),
        }
        statement = insert(VintedOrder).values(transaction_id=order.transaction_id, **values)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[VintedOrder.transaction_id], set_={**values, "updated_at": func.now()}
            )
        )
        cancelled = (order.status or "").lower().startswith(("cancel", "annul"))
        if product_id is not None:
            sold.append(VintedSale(product_id, str(order.transaction_id), _when(order.date), cancelled))
    return sold


def upsert_conversations(session: Session, conversations: list[ConversationItem]) -> None:
    for conv in conversations:
        if conv.id is None:
            continue
        values = {
            "opposite_user": conv.opposite_user,
            "opposite_user_id": conv.opposite_user_id,
            "unread": conv.unread,
            "description": conv.description,
            "last_message_at": conv.updated_at,
        }
        statement = insert(VintedConversation).values(conversation_id=conv.id, **values)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[VintedConversation.conversation_id], set_={**values, "updated_at": func.now()}
            )
        )


def store_messages(session: Session, conversation_id: int, messages: list[MessageItem]) -> None:
    dumped = [m.model_dump() for m in messages][-200:]
    statement = insert(VintedConversation).values(conversation_id=conversation_id, messages=dumped)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[VintedConversation.conversation_id], set_={"messages": dumped, "updated_at": func.now()}
        )
    )


def link_unlinked_by_title(session: Session) -> int:
    """Wardrobe items with no product get the live product of exactly the same title, when only one
    product has that title and it is linked to no other Vinted item."""
    linked = 0
    rows = session.scalars(
        select(VintedProduct).where(VintedProduct.product_id.is_(None), VintedProduct.deleted_at.is_(None))
    ).all()
    for row in rows:
        if not row.title:
            continue
        candidates = session.scalars(
            select(Product.id).where(func.lower(Product.title) == row.title.lower(), Product.deleted_at.is_(None))
        ).all()
        if len(candidates) != 1:
            continue
        taken = session.scalar(select(VintedProduct.id).where(VintedProduct.product_id == candidates[0]))
        if taken is None:
            row.product_id = candidates[0]
            linked += 1
    session.flush()
    return linked


def sold_in_wardrobe(session: Session) -> list[int]:
    """Linked products whose Vinted item is closed (sold) while the product is not sold yet."""
    return list(
        session.scalars(
            select(VintedProduct.product_id)
            .join(Product, Product.id == VintedProduct.product_id)
            .where(VintedProduct.is_closed.is_(True), VintedProduct.deleted_at.is_(None), Product.status != "sold")
        )
    )


class PublishData(_Strict):
    item_id: Id = Field(ge=1)
    url: str | None = Field(default=None, max_length=500)
    photo_ids: list[int] = Field(default_factory=lambda: [], max_length=20)
    product_id: Id | None = None
    progress_messages: int = 0


class ItemData(_Strict):
    item_id: Id = Field(ge=1)
    photo_ids: list[int] = Field(default_factory=lambda: [], max_length=20)
    deleted: bool = False
    hidden: bool | None = None
    already_gone: bool = False
    exists: bool | None = None
    item: dict[str, Any] | None = None
    progress_messages: int = 0


class ListData(_Strict):
    user_id: Id | None = None
    conversation_id: Id | None = None
    pages: int = 0
    count: int = 0
    complete: bool = False
    progress_messages: int = 0


class SentData(_Strict):
    conversation_id: Id
    message_id: Id | None = None
    progress_messages: int = 0


def _validated(model: type[_Strict], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        message = f"job_result data did not validate: {exc.errors()[0]['msg']}"
        raise InvalidInput(message, code="invalid_result") from exc


def apply_success(
    session: Session, tenant_id: int, job: MarketplaceJob, command: str, data: dict[str, Any], now: datetime
) -> JobOutcome:
    """The job's outcome from the extension's data (same transaction as the job's completion)."""
    from stoflow.domain.sales import record_sale
    from stoflow.marketplaces.registry import listings, quantity_marketplaces

    if command == "vinted.publish":
        published = _validated(PublishData, data)
        values = {"product_id": job.product_id, "url": published.url, "published_at": now, "deleted_at": None}
        statement = insert(VintedProduct).values(vinted_item_id=published.item_id, **values)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[VintedProduct.vinted_item_id], set_={**values, "updated_at": func.now()}
            )
        )
        return JobOutcome(
            result={"item_id": published.item_id, "url": published.url},
            external_id=str(published.item_id),
            listing_url=published.url,
            listing_status="listed",
        )
    if command == "vinted.update":
        updated = _validated(ItemData, data)
        session.execute(
            update(VintedProduct)
            .where(VintedProduct.vinted_item_id == updated.item_id)
            .values(last_synced_at=now, updated_at=now)
        )
        return JobOutcome(
            result={"item_id": updated.item_id}, external_id=str(updated.item_id), listing_status="listed"
        )
    if command == "vinted.delete":
        deleted = _validated(ItemData, data)
        session.execute(
            update(VintedProduct)
            .where(VintedProduct.vinted_item_id == deleted.item_id)
            .values(deleted_at=now, updated_at=now)
        )
        return JobOutcome(
            result={"item_id": deleted.item_id, "already_gone": deleted.already_gone},
            external_id=str(deleted.item_id),
            listing_status="delisted",
        )
    if command == "vinted.hide":
        shown = _validated(ItemData, data)
        hidden = bool(shown.hidden)
        values: dict[str, Any] = {"is_hidden": hidden, "updated_at": now}
        if shown.already_gone:  # hidden from buyers all the same: gone from the wardrobe
            values["deleted_at"] = now
        session.execute(update(VintedProduct).where(VintedProduct.vinted_item_id == shown.item_id).values(**values))
        return JobOutcome(
            result={"item_id": shown.item_id, "hidden": hidden, "already_gone": shown.already_gone},
            external_id=str(shown.item_id),
            listing_status="delisted" if hidden or shown.already_gone else "listed",
        )
    if command == "vinted.get_item":
        got = _validated(ItemData, data)
        if job.action == "link":
            if not got.exists:
                from stoflow.jobs.errors import PermanentJobError

                raise PermanentJobError(f"Vinted item {got.item_id} does not exist", code="vinted_item_not_found")
            statement = insert(VintedProduct).values(vinted_item_id=got.item_id, product_id=job.product_id)
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=[VintedProduct.vinted_item_id],
                    set_={"product_id": job.product_id, "deleted_at": None, "updated_at": func.now()},
                )
            )
            return JobOutcome(
                result={"item_id": got.item_id, "linked": True}, external_id=str(got.item_id), listing_status="listed"
            )
        return JobOutcome(result={"item_id": got.item_id, "exists": got.exists})
    if command == "vinted.send_message":
        sent = _validated(SentData, data)
        return JobOutcome(result={"conversation_id": sent.conversation_id, "message_id": sent.message_id})
    listed = _validated(ListData, data)
    result: dict[str, Any] = listed.model_dump(exclude={"progress_messages"})
    if command == "vinted.fetch_orders":
        # The dashboard says when Vinted's sales were last looked at.
        order_checks.mark_checked(session, "vinted", now)
    if command == "vinted.fetch_wardrobe" and job.action == "sync":
        result["linked"] = link_unlinked_by_title(session)
        sold = sold_in_wardrobe(session)
        if sold:
            sale = record_sale(
                session,
                tenant_id,
                "vinted",
                sold,
                listings=listings(),
                order_ref="vinted-wardrobe",
                now=now,
                quantity_marketplaces=quantity_marketplaces(),
            )
            result["sold_product_ids"] = sale.sold_product_ids
            result["delist_job_ids"] = sale.delist_job_ids
    return JobOutcome(result=result)
