"""Etsy job handlers: publish (draft listing → photos in order, label never among them →
activate), update, delete (deactivate, or with {"purge": true} delete), sync_orders (receipts).

A draft listing is recorded as soon as Etsy creates it and each uploaded photo right after its
upload, so a retried publish resumes where it stopped instead of creating a second listing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from stoflow.config import get_settings
from stoflow.domain.call_budget import ORDERS
from stoflow.domain.orders import store_orders
from stoflow.domain.readiness import load_facts
from stoflow.jobs.errors import PermanentJobError
from stoflow.jobs.handlers import HandlerRegistry, JobContext, JobOutcome
from stoflow.marketplaces import registry
from stoflow.marketplaces.common.api_error import MarketplaceApiError
from stoflow.marketplaces.common.jobs import ApiJobHandler, check_cancel, job_error
from stoflow.marketplaces.common.photos import photo_source
from stoflow.marketplaces.common.readiness import ready_facts
from stoflow.marketplaces.etsy import converter
from stoflow.marketplaces.etsy import listings as etsy_listings
from stoflow.marketplaces.etsy import orders as order_table
from stoflow.marketplaces.etsy.account import EtsyAccountSettings, client_for, read_settings, save_settings
from stoflow.marketplaces.etsy.client import EtsyClient
from stoflow.marketplaces.etsy.orders import receipt_record
from stoflow.marketplaces.etsy.readiness import taxonomy_for
from stoflow.models.etsy_account import EtsyCredentials
from stoflow.repositories import marketplace_accounts as accounts
from stoflow.repositories import order_checks
from stoflow.repositories import products as products_repository

log = logging.getLogger(__name__)

RECEIPT_PAGE = 100
CURSOR_OVERLAP = timedelta(minutes=2)
# Pages one run reads at most (the worker's time is bounded); the next run carries on from the
# cursor, which is safe to move after every page because receipts come oldest change first.
MAX_PAGES_PER_RUN = 40


def listing_url(listing_id: int) -> str:
    return f"https://www.etsy.com/listing/{listing_id}"


def _check_cancel(context: JobContext) -> None:
    check_cancel(context, "Etsy")


class _EtsyHandler(ApiJobHandler):
    marketplace: ClassVar[str] = "etsy"

    def reconcile(self, context: JobContext) -> JobOutcome | None:
        """Updates and deactivations converge when repeated: running again reconciles them."""
        return None


def _draft(context: JobContext, settings: EtsyAccountSettings) -> tuple[converter.EtsyListingDraft, Any]:
    product_id = context.job.product_id
    if product_id is None:
        raise PermanentJobError("no product", code="product_required")
    job_input = context.job.input
    with context.session() as session:
        product = products_repository.get_live(session, product_id)
        if product is None:
            raise PermanentJobError(f"product {product_id} not found", code="product_not_found")
        if product.status == "sold" and context.job.action != "delete":
            raise PermanentJobError("a sold product cannot be listed", code="product_sold")
        if context.job.action == "delete":
            facts = load_facts(session, [product_id])[product_id]
        else:
            facts = ready_facts(session, "etsy", product_id, job_input)
        draft = converter.listing_draft(
            session,
            product,
            facts,
            taxonomy_id=taxonomy_for(facts, job_input, settings.default_taxonomy_id),
            shipping_profile_id=settings.shipping_profile_id,
            return_policy_id=settings.return_policy_id,
            readiness_state_id=settings.readiness_state_id,
        )
        row = etsy_listings.by_product(session, product_id)
        existing = (
            None
            if row is None
            else {"listing_id": row.listing_id, "state": row.state, "image_ids": list(row.image_ids or [])}
        )
    return draft, existing


def _ensure_readiness(client: EtsyClient, context: JobContext, settings: EtsyAccountSettings) -> None:
    """Physical listings name a processing profile; none chosen yet: the shop's first, remembered."""
    if settings.readiness_state_id is not None:
        return
    states = client.get_readiness_states(settings.shop_id)
    if not states:
        raise PermanentJobError("the Etsy shop has no processing profile", code="etsy_processing_profile_missing")
    settings.readiness_state_id = int(states[0]["readiness_state_id"])
    save_settings(context.session, {"readiness_state_id": settings.readiness_state_id})


def _upload_photos(
    client: EtsyClient,
    context: JobContext,
    shop_id: int,
    listing_id: int,
    draft: converter.EtsyListingDraft,
    already: list[int],
    *,
    replace: bool = False,
) -> list[int]:
    """Upload the chosen photos in display order (rank 1 first), resuming after `already`.

    Always with overwrite: an upload whose answer was lost is simply sent again to its rank
    and replaces itself instead of adding a duplicate."""
    source = photo_source()
    image_ids = list(already)
    for rank, photo in enumerate(draft.photos, start=1):
        if rank <= len(image_ids) and not replace:
            continue
        _check_cancel(context)
        mime = photo.mime_type or "image/jpeg"
        uploaded = client.upload_listing_image(
            shop_id,
            listing_id,
            source.content(photo),
            filename=f"photo-{rank}.{mime.rsplit('/', 1)[-1]}",
            rank=rank,
            alt_text=photo.alt_text,
            overwrite=True,
            content_type=mime,
        )
        image_id = int(uploaded["listing_image_id"])
        if rank <= len(image_ids):
            image_ids[rank - 1] = image_id
        else:
            image_ids.append(image_id)
        with context.session() as session:
            etsy_listings.upsert(session, listing_id, {"image_ids": image_ids})
    return image_ids


class EtsyPublishJobHandler(_EtsyHandler):
    action = "publish"
    requires_ready = True
    # createDraftListing is a POST whose lost answer cannot be told from a failure.
    idempotent = False

    def reconcile(self, context: JobContext) -> JobOutcome | None:
        """Did the lost createDraftListing create a draft? Look among the shop's drafts for one with
        this product's title that no product of ours holds; adopt it, so the retry resumes with the
        photos instead of creating a second listing."""
        product_id = context.job.product_id
        with context.session() as session:
            row = etsy_listings.by_product(session, product_id or 0)
            if row is not None and row.state != "deleted":
                return None  # recorded: the run resumes from it
            product = products_repository.get_live(session, product_id or 0)
            title = product.title[: converter.TITLE_MAX] if product else None
        if title is None:
            return None
        settings = read_settings(context.session)
        client = client_for(context.session)
        try:
            drafts = client.get_draft_listings(settings.shop_id)
        except MarketplaceApiError as exc:
            raise job_error(exc) from None
        finally:
            client.http.close()
        with context.session() as session:
            known = etsy_listings.by_listings(session, [int(d["listing_id"]) for d in drafts])
            for draft in drafts:
                if draft.get("title") == title and int(draft["listing_id"]) not in known:
                    etsy_listings.upsert(
                        session, int(draft["listing_id"]), {"product_id": product_id, "state": "draft", "image_ids": []}
                    )
                    log.info("etsy draft %s adopted after an unknown outcome", draft["listing_id"])
                    break
        return None

    def execute(self, context: JobContext) -> JobOutcome:
        product_id = context.job.product_id
        settings = read_settings(context.session)
        client = client_for(context.session)
        try:
            _ensure_readiness(client, context, settings)
            draft, existing = _draft(context, settings)
            if existing is None or existing["state"] == "deleted":
                _check_cancel(context)
                listing = client.create_draft_listing(settings.shop_id, draft.fields)
                listing_id = int(listing["listing_id"])
                with context.session() as session:
                    etsy_listings.upsert(
                        session,
                        listing_id,
                        {"product_id": product_id, "state": "draft", "price": draft.price, "image_ids": []},
                    )
                uploaded: list[int] = []
            else:
                listing_id = int(existing["listing_id"])
                uploaded = existing["image_ids"]
                client.update_listing(settings.shop_id, listing_id, converter.update_fields(draft))
                client.update_inventory(listing_id, converter.inventory_body(draft))
            image_ids = _upload_photos(client, context, settings.shop_id, listing_id, draft, uploaded)
            _check_cancel(context)
            client.update_listing(settings.shop_id, listing_id, {"state": "active"})
        finally:
            client.http.close()
        url = listing_url(listing_id)
        with context.session() as session:
            etsy_listings.upsert(
                session,
                listing_id,
                {
                    "product_id": product_id,
                    "state": "active",
                    "url": url,
                    "price": draft.price,
                    "image_ids": image_ids,
                    "published_at": datetime.now(UTC),
                },
            )
        return JobOutcome(
            result={"listing_id": listing_id, "url": url, "images": len(image_ids)},
            external_id=str(listing_id),
            listing_url=url,
            listing_status="listed",
        )


class EtsyUpdateJobHandler(_EtsyHandler):
    """Listing fields (updateListing) and price/quantity (the listing's inventory); photos are
    replaced in order when the job input says {"photos": true}."""

    action = "update"
    requires_ready = True

    def execute(self, context: JobContext) -> JobOutcome:
        settings = read_settings(context.session)
        client = client_for(context.session)
        try:
            _ensure_readiness(client, context, settings)
            draft, existing = _draft(context, settings)
            if existing is None or existing["state"] == "deleted":
                raise PermanentJobError("not on Etsy yet: publish it first", code="not_published")
            listing_id = int(existing["listing_id"])
            _check_cancel(context)
            client.update_listing(settings.shop_id, listing_id, converter.update_fields(draft))
            client.update_inventory(listing_id, converter.inventory_body(draft))
            image_ids = existing["image_ids"]
            if context.job.input.get("photos"):
                image_ids = _upload_photos(
                    client, context, settings.shop_id, listing_id, draft, image_ids, replace=True
                )
                for stale in image_ids[len(draft.photos) :]:
                    client.delete_listing_image(settings.shop_id, listing_id, stale)
                image_ids = image_ids[: len(draft.photos)]
        finally:
            client.http.close()
        with context.session() as session:
            etsy_listings.upsert(session, listing_id, {"price": draft.price, "image_ids": image_ids})
        url = listing_url(listing_id)
        return JobOutcome(
            result={"listing_id": listing_id},
            external_id=str(listing_id),
            listing_url=url,
            listing_status="listed" if existing["state"] == "active" else None,
        )


class EtsyDeleteJobHandler(_EtsyHandler):
    """Deactivates the listing (state inactive, can be reactivated); {"purge": true} deletes it."""

    action = "delete"

    def execute(self, context: JobContext) -> JobOutcome:
        product_id = context.job.product_id
        assert product_id is not None
        purge = bool(context.job.input.get("purge"))
        with context.session() as session:
            row = etsy_listings.by_product(session, product_id)
            if row is None or row.state == "deleted":
                return JobOutcome(result={"already": "not on Etsy"}, listing_status="delisted")
            listing_id, state = row.listing_id, row.state
        settings = read_settings(context.session)
        client = client_for(context.session)
        try:
            _check_cancel(context)
            if purge:
                client.delete_listing(listing_id)
                new_state = "deleted"
            elif state == "active":
                client.update_listing(settings.shop_id, listing_id, {"state": "inactive"})
                new_state = "inactive"
            else:
                new_state = state  # a draft, sold out or inactive listing is not for sale already
        finally:
            client.http.close()
        with context.session() as session:
            etsy_listings.upsert(session, listing_id, {"state": new_state})
        return JobOutcome(
            result={"listing_id": listing_id, "state": new_state},
            external_id=str(listing_id),
            listing_status="delisted",
        )


class EtsySyncOrdersJobHandler(_EtsyHandler):
    """getShopReceipts from the stored cursor (min_last_modified), oldest change first; the cursor
    moves after each page, in the transaction that stores its receipts."""

    action = "sync_orders"
    needs_product = False
    timeout_s = 240

    def execute(self, context: JobContext) -> JobOutcome:
        started = datetime.now(UTC)
        lookback = timedelta(days=get_settings().order_sync_initial_lookback_days)
        with context.session() as session:
            row = accounts.get(session, EtsyCredentials)
            if row is None or row.status != "connected" or row.shop_id is None:
                raise PermanentJobError("Etsy is not connected", code="not_connected")
            cursor = row.orders_cursor or (started - lookback)
            shop_id = row.shop_id
        client = client_for(context.session, kind=ORDERS)
        totals = {"orders": 0, "new": 0, "sold_products": 0, "delist_jobs": 0}
        newest = cursor
        offset = 0
        since = int((cursor - CURSOR_OVERLAP).timestamp())
        try:
            for _ in range(MAX_PAGES_PER_RUN):
                _check_cancel(context)
                page = client.get_shop_receipts(
                    shop_id, min_last_modified=max(since, 946684800), limit=RECEIPT_PAGE, offset=offset
                )
                receipts = page.get("results") or []
                with context.session() as session:
                    listing_ids = [
                        int(t["listing_id"])
                        for r in receipts
                        for t in (r.get("transactions") or [])
                        if t.get("listing_id")
                    ]
                    known = etsy_listings.by_listings(session, listing_ids)
                    by_listing = {lid: r.product_id for lid, r in known.items() if r.product_id is not None}
                    records = [receipt_record(receipt, by_listing) for receipt in receipts]
                    stored = store_orders(
                        session,
                        context.job.tenant_id,
                        "etsy",
                        records,
                        order_table,
                        registry.listings(),
                        quantity_marketplaces=registry.quantity_marketplaces(),
                    )
                    for record in records:
                        if record.modified_at and record.modified_at > newest:
                            newest = record.modified_at
                    account = accounts.get(session, EtsyCredentials, lock=True)
                    if account is not None:
                        account.orders_cursor = newest
                        account.orders_synced_at = started
                totals["orders"] += len(receipts)
                totals["new"] += stored.new
                totals["sold_products"] += len(stored.sold_product_ids)
                totals["delist_jobs"] += len(stored.delist_job_ids)
                offset += len(receipts)
                if not receipts or offset >= int(page.get("count") or 0):
                    break
        finally:
            client.http.close()
        with context.session() as session:
            order_checks.mark_checked(session, "etsy", started)
        return JobOutcome(result={**totals, "cursor": newest.isoformat()})


HANDLERS = (EtsyPublishJobHandler, EtsyUpdateJobHandler, EtsyDeleteJobHandler, EtsySyncOrdersJobHandler)


def register(registry: HandlerRegistry) -> None:
    for handler in HANDLERS:
        registry.register(handler())
