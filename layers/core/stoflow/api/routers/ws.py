"""/ws/tickets: what a dashboard or extension trades its bearer token for before connecting."""

from __future__ import annotations

from typing import Literal

from fastapi import status
from pydantic import ConfigDict

from stoflow.api.deps import CurrentReader
from stoflow.api.routing import api_router
from stoflow.api.schemas.model import ApiModel

router = api_router(prefix="/ws", tags=["websocket"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": "Problem (RFC 9457) with a stable `code`"}
    for code in (401, 403, 422)
}


class TicketIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    client: Literal["extension", "dashboard"] = "dashboard"


class TicketOut(ApiModel):
    ticket: str
    client: str
    expires_in: int


@router.post("/tickets", status_code=status.HTTP_201_CREATED, response_model=TicketOut, responses=_PROBLEMS)
async def create_ticket(principal: CurrentReader, body: TicketIn | None = None) -> TicketOut:
    """Connect within `expires_in` seconds to `wss://…?ticket=<ticket>`; the ticket works once."""
    from stoflow.services.ws import issue_ticket

    issued = issue_ticket(principal, (body or TicketIn()).client)
    return TicketOut(ticket=issued.ticket, client=issued.client, expires_in=issued.expires_in)
