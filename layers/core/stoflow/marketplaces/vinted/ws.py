"""The extension's routes of the WebSocket protocol, added to ws_message's route table:

    job_progress           {job_id, attempt, seq, stage, page, items}   a page of a long read
    job_result             {job_id, attempt, ok, data | error}          completes the job, once
    vinted_session_update  {logged_in, vinted_user_id, domain}
    datadome_detected      {domain, url}                                pauses the tenant's lane

Each is validated strictly (unknown fields refused) and accepted only from an `extension`
connection; the tenant is the connection's own (from its ticket), so a job id of another tenant
is simply not found. The extension's hello and heartbeats also drive the lane: parked jobs are
sent when it says hello, and the next command goes out on a heartbeat once the gap has passed.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from stoflow.realtime.protocol import ClientMessage
from stoflow.realtime.router import MessageContext, MessageRouter, Reply

log = logging.getLogger(__name__)

EXTENSION = ("extension",)
VINTED_DOMAIN = r"^www\.vinted\.(fr|be|de|es|it|nl|pl|pt|at|lu|co\.uk|com)$"


class JobProgress(ClientMessage):
    action: Literal["job_progress"]
    job_id: int = Field(ge=1)
    attempt: int = Field(ge=1, le=100)
    seq: int = Field(ge=1, le=100_000)
    stage: Literal["items", "my_orders", "conversations", "messages"]
    page: int = Field(ge=1, le=10_000)
    items: list[dict[str, Any]] = Field(max_length=1000)


class ResultError(BaseModel):
    """job_result's `error`: {code, message, retry_after}."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z_]+$")
    message: str = Field(max_length=500)
    retry_after: int | None = Field(default=None, ge=0, le=7 * 24 * 3600)


class JobResult(ClientMessage):
    action: Literal["job_result"]
    job_id: int = Field(ge=1)
    attempt: int = Field(ge=1, le=100)
    ok: bool
    data: dict[str, Any] | None = None
    error: ResultError | None = None

    @model_validator(mode="after")
    def _one_of(self) -> JobResult:
        if self.ok and (self.data is None or self.error is not None):
            raise ValueError("a successful result carries data and no error")
        if not self.ok and (self.error is None or self.data is not None):
            raise ValueError("a failed result carries an error and no data")
        return self


class VintedSessionUpdate(ClientMessage):
    action: Literal["vinted_session_update"]
    logged_in: bool
    vinted_user_id: int | None = Field(default=None, ge=1)
    domain: str = Field(pattern=VINTED_DOMAIN)


class DatadomeDetected(ClientMessage):
    action: Literal["datadome_detected"]
    domain: str = Field(pattern=VINTED_DOMAIN)
    url: str | None = Field(default=None, max_length=200)


def _lane(context: MessageContext) -> Any:
    from stoflow.marketplaces.vinted.lane import VintedLane

    return VintedLane(context.tenant_id)


def _check_orders_if_due(context: MessageContext) -> None:
    """While the seller's browser is open, its heartbeats check Vinted's sales when due (the
    cadence of stoflow.domain.order_checks, at most every `min_order_check_s`): the check is an
    `orders` job the lane sends like any command, within the read budget."""
    from datetime import UTC, datetime

    from stoflow.db.tenancy import tenant_session
    from stoflow.domain.order_checks import queue_if_due
    from stoflow.marketplaces.vinted import MARKETPLACE

    assert MARKETPLACE.sync_action is not None
    with tenant_session(context.tenant_id) as session:
        queue_if_due(
            session,
            context.tenant_id,
            MARKETPLACE.name,
            MARKETPLACE.sync_action,
            datetime.now(UTC),
            at_least_s=MARKETPLACE.min_order_check_s,
        )


def _dispatch_quietly(context: MessageContext) -> None:
    try:
        _check_orders_if_due(context)
        _lane(context).dispatch()
    except Exception:  # the message itself was handled; the next heartbeat or tick tries again
        log.exception("vinted lane dispatch failed for tenant %s", context.tenant_id)


def job_progress(context: MessageContext, message: JobProgress) -> Reply:
    from stoflow.errors import InvalidInput
    from stoflow.marketplaces.vinted import results

    def apply(session: Any, command: str) -> None:
        from datetime import UTC, datetime

        items = results.parse_items(command, message.stage, message.items)
        now = datetime.now(UTC)
        if message.stage == "items":
            results.upsert_wardrobe(session, items, now)
        elif message.stage == "my_orders":
            from stoflow.domain.sales import cancel_order, record_sale
            from stoflow.marketplaces.registry import listings, quantity_marketplaces

            for sale in results.upsert_orders(session, context.tenant_id, items):
                if sale.cancelled:
                    cancel_order(session, context.tenant_id, "vinted", sale.transaction_id, now=now)
                    continue
                record_sale(
                    session,
                    context.tenant_id,
                    "vinted",
                    [sale.product_id],
                    listings=listings(),
                    order_ref=sale.transaction_id,
                    now=now,
                    sold_at=sale.ordered_at,
                    quantity_marketplaces=quantity_marketplaces(),
                )
        elif message.stage == "conversations":
            results.upsert_conversations(session, items)
        else:
            from stoflow.jobs.errors import PermanentJobError
            from stoflow.repositories import jobs as jobs_repository

            job = jobs_repository.get_job(session, message.job_id)
            conversation_id = None
            if job is not None:
                conversation_id = job.input.get("conversation_id")
                if job.action == "reconcile":
                    target = jobs_repository.get_job(session, int(job.input["job_id"]))
                    conversation_id = target.input.get("conversation_id") if target else None
            if not isinstance(conversation_id, int):
                raise InvalidInput("messages for a job without a conversation", code="invalid_progress")
            try:
                results.store_messages(session, conversation_id, items)
            except PermanentJobError as exc:  # pragma: no cover (store_messages raises none today)
                raise InvalidInput(exc.message, code="invalid_progress") from exc

    if not _lane(context).progress(message.job_id, message.attempt, apply):
        from stoflow.realtime.protocol import error_message

        return error_message(
            "not_in_flight", "this job attempt is not the command in flight", action="job_progress", reply_to=message.id
        )
    return None


def job_result(context: MessageContext, message: JobResult) -> Reply:
    error = message.error.model_dump() if message.error is not None else None
    completion = _lane(context).complete(message.job_id, message.attempt, message.ok, message.data, error)
    log.info(
        "job_result for job %s attempt %s of tenant %s: %s",
        message.job_id,
        message.attempt,
        context.tenant_id,
        completion.status,
    )
    _dispatch_quietly(context)
    return None


def vinted_session_update(context: MessageContext, message: VintedSessionUpdate) -> Reply:
    _lane(context).session_update(message.logged_in, message.vinted_user_id, message.domain)
    if message.logged_in:
        _dispatch_quietly(context)
    return None


def datadome_detected(context: MessageContext, message: DatadomeDetected) -> Reply:
    until = _lane(context).datadome()
    log.warning("DataDome on %s for tenant %s: Vinted paused until %s", message.domain, context.tenant_id, until)
    return None


def _on_hello(context: MessageContext) -> None:
    lane = _lane(context)
    lane.hello()
    lane.dispatch()


def register(router: MessageRouter) -> None:
    router.add("job_progress", JobProgress, job_progress, clients=EXTENSION)
    router.add("job_result", JobResult, job_result, clients=EXTENSION)
    router.add("vinted_session_update", VintedSessionUpdate, vinted_session_update, clients=EXTENSION)
    router.add("datadome_detected", DatadomeDetected, datadome_detected, clients=EXTENSION)
    router.after("hello", _on_hello, clients=EXTENSION)
    router.after("heartbeat", _dispatch_quietly, clients=EXTENSION)
