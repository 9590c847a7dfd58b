"""/vinted: the seller's Vinted conversations (read, reply), the wardrobe items not yet linked
to a product (list, link), and the Vinted lane (its pacing and pause; the seller's resume). What
is shown is what the extension last synced (jobs `messages` and `sync`); a reply is sent by the
extension, as a Vinted job.

Routes are `async def` like the dependencies (stoflow.api.deps): one request at a time per
container, so the blocking queries cost nothing on the loop, and no worker-thread hop."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Response, status
from pydantic import ConfigDict, Field, StringConstraints

from stoflow.api.deps import CurrentPrincipal, TenantDb, require_role
from stoflow.api.edge import Id
from stoflow.api.pagination import Page, PageParams, page_params
from stoflow.api.routing import api_router
from stoflow.api.schemas.model import ApiModel

router = api_router(prefix="/vinted", tags=["vinted"])

RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]
_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": "Problem (RFC 9457) with a stable `code`"}
    for code in (401, 403, 404, 409, 422)
}


class ConversationOut(ApiModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    conversation_id: int = Field(description="The conversation's id on Vinted.")
    opposite_user: str | None = Field(description="The buyer's Vinted login.")
    opposite_user_id: int | None
    unread: bool
    description: str | None = Field(description="Vinted's one-line summary (usually the item or the last message).")
    last_message_at: str | None = Field(description="As Vinted reported it.")
    message_count: int = Field(description="Messages synced so far (the latest 200 at most).")
    updated_at: datetime = Field(description="When StoFlow last synced this conversation.")


class MessageOut(ApiModel):
    id: int | None = Field(description="The message's id on Vinted.")
    entity_type: str | None = Field(description="Vinted's kind of entry, e.g. `message` or `status_message`.")
    body: str | None
    user_id: int | None = Field(description="The Vinted user who wrote it (yours or the buyer's).")
    created_at: str | None


class ConversationDetailOut(ConversationOut):
    messages: list[MessageOut] = Field(description="Oldest first.")


class ReplyIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=r"^[^\x00]*$")]


class ReplyOut(ApiModel):
    job_id: int = Field(description="Follow it with GET /jobs/{job_id}.")
    batch_id: int | None
    status: str


class WardrobeItemOut(ApiModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    vinted_item_id: int = Field(description="The item's id on Vinted.")
    product_id: int | None = Field(description="The product this item stands for, once linked.")
    title: str | None
    price: Decimal | None
    currency: str | None
    status: str | None
    url: str | None
    photo_url: str | None
    is_closed: bool
    is_hidden: bool
    is_reserved: bool
    is_draft: bool
    view_count: int | None
    favourite_count: int | None
    published_at: datetime | None
    sold_at: datetime | None
    last_synced_at: datetime | None


class LinkIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    product_id: Annotated[Id, Field(description="A live product of yours.")]


class InFlightOut(ApiModel):
    job_id: int
    command: str = Field(description="The protocol command, e.g. `vinted.publish`.")
    deadline_at: datetime | None


class LaneOut(ApiModel):
    """Your Vinted account's lane: StoFlow drives Vinted like a careful person (writes 20-50 s
    apart, capped per hour and per day; reads paced apart) and stops at the first sign of trouble."""

    queued: int = Field(description="Vinted commands waiting their turn (the one in flight included).")
    in_flight: InFlightOut | None = Field(description="The command your browser is running now.")
    next_command_at: datetime | None = Field(
        description="When the next queued command may go (null: nothing queued, or paused)."
    )
    writes_this_hour: int
    writes_today: int
    reads_this_hour: int
    writes_per_hour: int
    writes_per_day: int
    reads_per_hour: int
    paused: bool = Field(description="No Vinted call at all while true.")
    pause_reason: str | None = Field(description="`datadome`, `captcha`, `forbidden` (403) or `rate_limited` (429).")
    paused_until: datetime | None = Field(description="The pause runs at least until then.")
    resume_required: bool = Field(
        description="The pause also waits for you to confirm that your Vinted session is fine "
        "(POST /vinted/lane/resume)."
    )
    can_resume: bool
    logged_in: bool | None = Field(description="What the extension last reported of your Vinted session.")
    extension_online: bool


def _message(entry: Any) -> MessageOut:
    entry = entry if isinstance(entry, dict) else {}
    return MessageOut(**{key: entry.get(key) for key in MessageOut.model_fields})


@router.get("/conversations", response_model=Page[ConversationOut], responses=_PROBLEMS)
async def list_conversations(
    db: TenantDb,
    page: Annotated[PageParams, Depends(page_params)],
    unread: Annotated[bool | None, Query(description="only unread (true) or read (false) conversations")] = None,
) -> Page[ConversationOut]:
    """Your Vinted conversations, most recently synced first. Queue a `messages` job on Vinted
    (POST /jobs) to refresh them."""
    from stoflow.marketplaces.vinted import inbox

    rows, total = inbox.conversations(db, page.limit, page.offset, unread=unread)
    return Page[ConversationOut](
        items=[ConversationOut.model_validate(row) for row in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/conversations/{conversation_id}", response_model=ConversationDetailOut, responses=_PROBLEMS)
async def get_conversation(conversation_id: RowId, db: TenantDb) -> ConversationDetailOut:
    """One conversation with its synced messages (oldest first)."""
    from stoflow.marketplaces.vinted import inbox

    found = inbox.conversation(db, conversation_id)
    messages = [_message(entry) for entry in found.messages or []]
    return ConversationDetailOut(
        **ConversationOut.model_validate({**_columns(found), "message_count": len(messages)}).model_dump(),
        messages=messages,
    )


def _columns(row: Any) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


@router.post(
    "/conversations/{conversation_id}/messages",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ReplyOut,
    responses=_PROBLEMS,
)
async def reply(
    conversation_id: RowId, body: ReplyIn, db: TenantDb, principal: CurrentPrincipal, response: Response
) -> ReplyOut:
    """Reply in a conversation: 202 with the Vinted job that will send it through the extension.
    409 `marketplace_not_connected` when no extension has reported a Vinted session."""
    from stoflow.marketplaces.vinted import inbox

    job = inbox.queue_reply(db, principal.tenant_id, conversation_id, body.body, principal.user_id)
    response.headers["Location"] = f"/jobs/{job.id}"
    return ReplyOut(job_id=job.id, batch_id=job.batch_id, status=job.status)


@router.get("/wardrobe/unlinked", response_model=Page[WardrobeItemOut], responses=_PROBLEMS)
async def unlinked_items(db: TenantDb, page: Annotated[PageParams, Depends(page_params)]) -> Page[WardrobeItemOut]:
    """Items of your Vinted wardrobe (as last synced) that no StoFlow product stands for yet."""
    from stoflow.marketplaces.vinted import inbox

    rows, total = inbox.unlinked_items(db, page.limit, page.offset)
    return Page[WardrobeItemOut](
        items=[WardrobeItemOut.model_validate(row) for row in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.post("/wardrobe/{item_id}/link", response_model=WardrobeItemOut, responses=_PROBLEMS)
async def link_item(item_id: RowId, body: LinkIn, db: TenantDb) -> WardrobeItemOut:
    """Link a wardrobe item to one of your products: the product then shows as on Vinted, and
    later syncs and sales of the item apply to it. Linking again to the same product is a no-op."""
    from stoflow.marketplaces.vinted import inbox

    return WardrobeItemOut.model_validate(inbox.link_item(db, item_id, body.product_id))


@router.get("/lane", response_model=LaneOut, responses=_PROBLEMS)
async def lane(db: TenantDb) -> LaneOut:
    """Your Vinted lane: what is queued, what runs, when the next command may go, the writes used
    against the hourly and daily caps, and any pause with its reason and end."""
    from stoflow.marketplaces.vinted import lane_view

    return LaneOut.model_validate(lane_view.state(db))


@router.post(
    "/lane/resume",
    response_model=LaneOut,
    responses=_PROBLEMS,
    dependencies=[Depends(require_role("user", "admin"))],
)
async def resume_lane(db: TenantDb) -> LaneOut:
    """Confirm that your Vinted session is fine after a pause (you opened Vinted and it works).
    Vinted work starts again once the pause has also run out, whichever is later. Idempotent."""
    from stoflow.marketplaces.vinted import lane_view

    return LaneOut.model_validate(lane_view.resume(db))
