"""Job action -> the protocol command and its request, built when the command is sent (presigned
photo URLs are fresh, the product as it is now)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from stoflow.jobs.errors import PermanentJobError
from stoflow.models.jobs import MarketplaceJob
from stoflow.models.vinted import VintedProduct

READ_COMMANDS = frozenset(
    {
        "vinted.fetch_wardrobe",
        "vinted.fetch_orders",
        "vinted.fetch_conversations",
        "vinted.get_item",
    }
)
# Writes that may run twice safely (a full replace, a delete of what is already gone): a missed
# deadline retries them. Any other write becomes unknown_outcome and is reconciled by a read.
REPEATABLE_WRITES = frozenset({"vinted.update", "vinted.delete", "vinted.hide"})


def _positive_int(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise PermanentJobError(f"{name} must be a positive integer", code="invalid_params")
    return value


def listed_item(session: Session, product_id: int | None) -> VintedProduct | None:
    if product_id is None:
        return None
    return session.scalars(
        select(VintedProduct)
        .where(VintedProduct.product_id == product_id, VintedProduct.deleted_at.is_(None))
        .order_by(VintedProduct.id.desc())
    ).first()


def _item_id(session: Session, job: MarketplaceJob) -> int:
    if "item_id" in (job.input or {}):
        return _positive_int(job.input["item_id"], "item_id")
    row = listed_item(session, job.product_id)
    if row is None:
        raise PermanentJobError("the product is not listed on Vinted", code="vinted_not_listed")
    return row.vinted_item_id


def _reconcile(session: Session, job: MarketplaceJob) -> tuple[str, dict[str, Any]]:
    target_id = _positive_int((job.input or {}).get("job_id"), "job_id")
    target = session.get(MarketplaceJob, target_id)
    if target is None or target.marketplace != "vinted":
        raise PermanentJobError("nothing to reconcile", code="invalid_params")
    if target.action == "publish":
        return "vinted.fetch_wardrobe", {"per_page": 20, "max_pages": 1}
    if target.action == "send_message":
        return "vinted.fetch_conversations", {
            "conversation_id": _positive_int(target.input.get("conversation_id"), "conversation_id")
        }
    raise PermanentJobError(f"{target.action} needs no reconciliation", code="invalid_params")


def build_command(session: Session, job: MarketplaceJob) -> tuple[str, dict[str, Any]]:
    """(command, request) for a Vinted job; PermanentJobError when it cannot be built."""
    # Here rather than at the top: the minute tick imports this module through the lane, and a
    # tick with nothing due builds no command (the converter and readiness are a fifth of its start).
    from stoflow.marketplaces.common.readiness import ready_facts
    from stoflow.marketplaces.vinted.converter import item_for_product, live_product, photos_for_product

    params = dict(job.input or {})
    action = job.action
    if action == "publish":
        product = live_product(session, job.product_id)
        if listed_item(session, product.id) is not None:
            raise PermanentJobError("the product is already listed on Vinted", code="vinted_already_listed")
        ready_facts(session, "vinted", product.id, params)
        return "vinted.publish", {
            "product_id": product.id,
            "item": item_for_product(session, product.id, params),
            "photos": photos_for_product(session, product.id),
        }
    if action == "update":
        product = live_product(session, job.product_id)
        ready_facts(session, "vinted", product.id, params)
        return "vinted.update", {
            "product_id": product.id,
            "item_id": _item_id(session, job),
            "item": item_for_product(session, product.id, params),
            "photos": photos_for_product(session, product.id),
        }
    if action == "delete":
        request: dict[str, Any] = {"item_id": _item_id(session, job)}
        if job.product_id is not None:
            request["product_id"] = job.product_id
        return "vinted.delete", request
    if action in ("hide", "unhide"):
        # Vinted's own web client: PUT /api/v2/items/{id}/is_hidden, {"is_hidden": true | false}.
        shown: dict[str, Any] = {"item_id": _item_id(session, job), "hidden": action == "hide"}
        if job.product_id is not None:
            shown["product_id"] = job.product_id
        return "vinted.hide", shown
    if action == "sync":
        return "vinted.fetch_wardrobe", {"per_page": 48, "max_pages": 50}
    if action == "orders":
        return "vinted.fetch_orders", {"type": "sold", "status": "all", "per_page": 20, "max_pages": 10}
    if action == "messages":
        if "conversation_id" in params:
            return "vinted.fetch_conversations", {
                "conversation_id": _positive_int(params["conversation_id"], "conversation_id")
            }
        return "vinted.fetch_conversations", {"per_page": 20, "max_pages": 5}
    if action == "send_message":
        body = params.get("body")
        if not isinstance(body, str) or not 1 <= len(body.strip()) <= 2000:
            raise PermanentJobError("body must be 1 to 2000 characters", code="invalid_params")
        return "vinted.send_message", {
            "conversation_id": _positive_int(params.get("conversation_id"), "conversation_id"),
            "body": body.strip(),
        }
    if action == "link":
        live_product(session, job.product_id)
        return "vinted.get_item", {"item_id": _positive_int(params.get("vinted_item_id"), "vinted_item_id")}
    if action == "reconcile":
        return _reconcile(session, job)
    raise PermanentJobError(f"no Vinted command for {action!r}", code="no_handler")


def is_read(command: str) -> bool:
    return command in READ_COMMANDS


def may_repeat(command: str) -> bool:
    return command in READ_COMMANDS or command in REPEATABLE_WRITES
