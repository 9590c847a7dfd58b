"""eBay job handlers: publish, update, delete (withdraw, optionally purge), import_listings,
sync_orders. Each reads what it needs in a short tenant transaction, talks to eBay outside any
transaction, then records the result in another short one.

Publishing is inventory item (PUT, replaces the whole item) → offer (created once, found again
by SKU after a crash) → publish offer. Every step can be repeated safely, so the handlers are
idempotent: a job retried after a crash converges on the same listing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from stoflow.config import get_settings
from stoflow.domain.orders import store_orders
from stoflow.jobs.errors import PermanentJobError
from stoflow.jobs.handlers import HandlerRegistry, JobContext, JobOutcome
from stoflow.marketplaces import registry
from stoflow.marketplaces.common.api_error import MarketplaceApiError
from stoflow.marketplaces.common.jobs import ApiJobHandler, check_cancel, job_error
from stoflow.marketplaces.common.photos import photo_source
from stoflow.marketplaces.common.readiness import ready_facts
from stoflow.marketplaces.ebay import converter
from stoflow.marketplaces.ebay import listings as ebay_listings
from stoflow.marketplaces.ebay import orders as order_table
from stoflow.marketplaces.ebay.account import EbayAccountSettings, client_for, read_settings, save_settings
from stoflow.marketplaces.ebay.client import EbayClient, is_offer_exists_error
from stoflow.marketplaces.ebay.order_notices import EbayWatchSalesJobHandler
from stoflow.marketplaces.ebay.orders import format_time, order_record, parse_time
from stoflow.marketplaces.ebay.readiness import category_for
from stoflow.models.ebay_account import EbayCredentials
from stoflow.repositories import marketplace_accounts as accounts
from stoflow.repositories import marketplace_items as items
from stoflow.repositories import order_checks
from stoflow.repositories import products as products_repository

log = logging.getLogger(__name__)

LISTING_URLS = {
    "EBAY_FR": "https://www.ebay.fr/itm/",
    "EBAY_DE": "https://www.ebay.de/itm/",
    "EBAY_GB": "https://www.ebay.co.uk/itm/",
    "EBAY_US": "https://www.ebay.com/itm/",
}
ORDER_PAGE = 50
# Orders are read again from well before the cursor: eBay's lastModifiedDate index lags by an
# amount it does not state, and an order read twice changes nothing (stored once, sales keyed),
# while an order indexed behind the cursor would never be read.
CURSOR_OVERLAP = timedelta(minutes=10)
INDEX_LAG = timedelta(minutes=1)
# One getOrders window, and the most pages one run reads (the worker's time is bounded; the next
# scheduled run carries on from the cursor).
WINDOW = timedelta(days=7)
MAX_PAGES_PER_RUN = 40
# getOrders takes at most this many orderIds.
ORDER_IDS_MAX = 50


def listing_url(marketplace_id: str, listing_id: str) -> str:
    return LISTING_URLS.get(marketplace_id, "https://www.ebay.com/itm/") + listing_id


def _check_cancel(context: JobContext) -> None:
    check_cancel(context, "eBay")


class _EbayHandler(ApiJobHandler):
    marketplace: ClassVar[str] = "ebay"

    def reconcile(self, context: JobContext) -> JobOutcome | None:
        """After an unknown outcome: every eBay step here converges when repeated (PUT replaces,
        the offer is found again by SKU, withdraw and delete tolerate "already done"), so running
        again is the reconciliation. Subclasses with a cheaper read override this."""
        return None


def _ensure_location(client: EbayClient, context: JobContext, settings: EbayAccountSettings) -> None:
    """The merchant location every offer names; created once per account."""
    if settings.location_ready:
        return
    key = settings.merchant_location_key
    if client.get_location(key) is None:
        _check_cancel(context)
        client.create_location(key, converter.location_body(settings.location))
    save_settings(context.session, {"merchant_location_key": key})
    settings.location_ready = True


def _offer_settings(
    client: EbayClient, context: JobContext, settings: EbayAccountSettings, category: str | None
) -> converter.OfferSettings:
    if not category:
        raise PermanentJobError(
            "choose an eBay category (job input category_id, the product's, or the account default)",
            code="ebay_category_missing",
        )
    chosen = {
        "fulfillment": settings.fulfillment_policy_id,
        "payment": settings.payment_policy_id,
        "return": settings.return_policy_id,
    }
    missing = [kind for kind, value in chosen.items() if not value]
    if missing:
        # No choice made yet: take the seller's first policy of each missing kind, and remember it.
        found: dict[str, Any] = {}
        for kind in missing:
            policies = client.get_policies(kind, settings.marketplace_id)
            if not policies:
                raise PermanentJobError(f"the eBay account has no {kind} business policy", code="ebay_policy_missing")
            id_key = {"fulfillment": "fulfillmentPolicyId", "payment": "paymentPolicyId", "return": "returnPolicyId"}[
                kind
            ]
            chosen[kind] = str(policies[0][id_key])
            found[f"{kind}_policy_id"] = chosen[kind]
        save_settings(context.session, found)
    return converter.OfferSettings(
        marketplace_id=settings.marketplace_id,
        category_id=category,
        merchant_location_key=settings.merchant_location_key,
        fulfillment_policy_id=str(chosen["fulfillment"]),
        payment_policy_id=str(chosen["payment"]),
        return_policy_id=str(chosen["return"]),
    )


class EbayPublishJobHandler(_EbayHandler):
    action = "publish"
    requires_ready = True

    def execute(self, context: JobContext) -> JobOutcome:
        return self.publish(context, keep_state=False)

    def publish(self, context: JobContext, *, keep_state: bool) -> JobOutcome:
        product_id = context.job.product_id
        if product_id is None:
            raise PermanentJobError("no product", code="product_required")
        language = get_settings().ebay_content_language
        settings = read_settings(context.session)
        with context.session() as session:
            product = products_repository.get_live(session, product_id)
            if product is None:
                raise PermanentJobError(f"product {product_id} not found", code="product_not_found")
            if product.status == "sold":
                raise PermanentJobError("a sold product cannot be listed", code="product_sold")
            facts = ready_facts(session, "ebay", product_id, context.job.input)
            category = category_for(facts, settings.marketplace_id, context.job.input, settings.default_category_id)
            draft = converter.listing_draft(session, product, photo_source(), language, facts)
            existing = ebay_listings.by_product(session, product_id)
            if existing is not None:
                # The SKU is the item's key on eBay: once there, it stays, whatever the product's
                # SKU became since.
                draft.sku = existing.sku
            known_offer = existing.offer_id if existing else None
            was_published = bool(existing and existing.status == "published" and existing.listing_id)
            known_listing = existing.listing_id if existing else None
        client = client_for(context.session)
        try:
            _ensure_location(client, context, settings)
            offer_settings = _offer_settings(client, context, settings, category)
            _check_cancel(context)
            client.put_inventory_item(draft.sku, draft.item)
            offer_id = known_offer or self._find_offer(client, draft.sku, settings.marketplace_id)
            if offer_id is None:
                try:
                    offer_id = client.create_offer(converter.offer_body(draft, offer_settings))
                except MarketplaceApiError as exc:
                    if not is_offer_exists_error(exc):
                        raise
                    offer_id = self._find_offer(client, draft.sku, settings.marketplace_id)
                    if offer_id is None:
                        raise
            else:
                client.update_offer(offer_id, converter.offer_body(draft, offer_settings, for_update=True))
            self._save(context, product_id, draft, offer_settings, offer_id=offer_id)
            if keep_state:
                # An update never (re)lists: a published offer's update reaches the live listing by
                # itself, and a withdrawn one stays withdrawn until someone publishes it again.
                listing_id = known_listing
            else:
                _check_cancel(context)
                listing_id = client.publish_offer(offer_id)
        finally:
            client.http.close()
        if keep_state and not was_published:
            return JobOutcome(result={"sku": draft.sku, "offer_id": offer_id, "listed": False}, external_id=listing_id)
        assert listing_id is not None
        self._save(
            context,
            product_id,
            draft,
            offer_settings,
            offer_id=offer_id,
            listing_id=listing_id,
            status="published",
            published_at=datetime.now(UTC),
        )
        url = listing_url(settings.marketplace_id, listing_id)
        return JobOutcome(
            result={"sku": draft.sku, "offer_id": offer_id, "listing_id": listing_id, "url": url},
            external_id=listing_id,
            listing_url=url,
            listing_status="listed",
        )

    def reconcile(self, context: JobContext) -> JobOutcome | None:
        """Published already (the lost answer was a success)? Then the job is done."""
        try:
            with context.session() as session:
                existing = ebay_listings.by_product(session, context.job.product_id or 0)
                sku = existing.sku if existing else None
            if sku is None:
                return None
            settings = read_settings(context.session)
            client = client_for(context.session)
            try:
                offers = client.get_offers(sku, settings.marketplace_id)
            finally:
                client.http.close()
        except MarketplaceApiError as exc:
            raise job_error(exc) from None
        for offer in offers:
            listing_id = (offer.get("listing") or {}).get("listingId")
            if offer.get("status") == "PUBLISHED" and listing_id and self.action == "publish":
                url = listing_url(settings.marketplace_id, listing_id)
                with context.session() as session:
                    ebay_listings.upsert(
                        session,
                        sku,
                        {
                            "offer_id": offer.get("offerId"),
                            "listing_id": listing_id,
                            "status": "published",
                            "product_id": context.job.product_id,
                            "marketplace_id": settings.marketplace_id,
                        },
                    )
                return JobOutcome(
                    result={"sku": sku, "listing_id": listing_id, "reconciled": True},
                    external_id=listing_id,
                    listing_url=url,
                    listing_status="listed",
                )
        return None

    @staticmethod
    def _find_offer(client: EbayClient, sku: str, marketplace_id: str) -> str | None:
        for offer in client.get_offers(sku, marketplace_id):
            if offer.get("marketplaceId") in (None, marketplace_id) and offer.get("offerId"):
                return str(offer["offerId"])
        return None

    @staticmethod
    def _save(
        context: JobContext,
        product_id: int,
        draft: converter.EbayListingDraft,
        offer_settings: converter.OfferSettings,
        **values: Any,
    ) -> None:
        with context.session() as session:
            ebay_listings.upsert(
                session,
                draft.sku,
                {
                    "product_id": product_id,
                    "marketplace_id": offer_settings.marketplace_id,
                    "category_id": offer_settings.category_id,
                    "price": draft.price,
                    "currency": draft.currency,
                    "title": draft.title,
                    **values,
                },
            )


class EbayUpdateJobHandler(EbayPublishJobHandler):
    """Sends the whole inventory item and the whole offer again (eBay replaces, never merges)."""

    action = "update"

    def execute(self, context: JobContext) -> JobOutcome:
        assert context.job.product_id is not None
        with context.session() as session:
            existing = ebay_listings.by_product(session, context.job.product_id)
            if existing is None or existing.offer_id is None:
                raise PermanentJobError("not on eBay yet: publish it first", code="not_published")
        return self.publish(context, keep_state=True)


class EbayDeleteJobHandler(_EbayHandler):
    """Takes the listing down (withdraw: the offer and item stay, ready to publish again). With
    input {"purge": true} the offer and the inventory item are deleted too."""

    action = "delete"

    def execute(self, context: JobContext) -> JobOutcome:
        product_id = context.job.product_id
        assert product_id is not None
        purge = bool(context.job.input.get("purge"))
        with context.session() as session:
            row = ebay_listings.by_product(session, product_id)
            if row is None:
                return JobOutcome(result={"already": "not on eBay"}, listing_status="delisted")
            sku, offer_id, status, listing_id = row.sku, row.offer_id, row.status, row.listing_id
        client = client_for(context.session)
        try:
            _check_cancel(context)
            if offer_id and status == "published":
                try:
                    client.withdraw_offer(offer_id)
                except MarketplaceApiError as exc:
                    # Gone or not published any more (25713): that is what we wanted.
                    if not (exc.status == 404 or any(str(e.get("errorId")) == "25713" for e in exc.errors)):
                        raise
            if purge:
                if offer_id:
                    client.delete_offer(offer_id)
                client.delete_inventory_item(sku)
        finally:
            client.http.close()
        new_status = "deleted" if purge else ("sold" if status == "sold" else "withdrawn")
        with context.session() as session:
            row = ebay_listings.by_product(session, product_id)
            if row is not None:
                row.status = new_status
                if purge:
                    row.offer_id = None
                    row.listing_id = None
        return JobOutcome(result={"sku": sku, "status": new_status}, external_id=listing_id, listing_status="delisted")


class EbayImportListingsJobHandler(_EbayHandler):
    """Existing eBay inventory (items and their offers) recorded in ebay_products; an item whose
    SKU is one of our products' SKUs is linked to it."""

    action = "import_listings"
    needs_product = False
    timeout_s = 240

    def execute(self, context: JobContext) -> JobOutcome:
        settings = read_settings(context.session)
        client = client_for(context.session)
        seen = imported = 0
        offset = 0
        try:
            while True:
                _check_cancel(context)
                page = client.get_inventory_items(limit=100, offset=offset)
                inventory = page.get("inventoryItems") or []
                rows: list[dict[str, Any]] = []
                for entry in inventory:
                    sku = str(entry.get("sku") or "")
                    if not sku:
                        continue
                    offers = client.get_offers(sku, settings.marketplace_id)
                    offer = offers[0] if offers else {}
                    listing = offer.get("listing") or {}
                    price = (offer.get("pricingSummary") or {}).get("price") or {}
                    rows.append(
                        {
                            "sku": sku,
                            "offer_id": offer.get("offerId"),
                            "listing_id": listing.get("listingId"),
                            "status": "published" if offer.get("status") == "PUBLISHED" else "draft",
                            "title": ((entry.get("product") or {}).get("title") or "")[:200] or None,
                            "price": price.get("value"),
                            "currency": price.get("currency"),
                            "category_id": offer.get("categoryId"),
                        }
                    )
                seen += len(rows)
                imported += self._store(context, settings.marketplace_id, rows)
                offset += len(inventory)
                total = int(page.get("total") or 0)
                if not inventory or offset >= total:
                    break
        finally:
            client.http.close()
        return JobOutcome(result={"seen": seen, "imported": imported})

    @staticmethod
    def _store(context: JobContext, marketplace_id: str, rows: list[dict[str, Any]]) -> int:
        now = datetime.now(UTC)
        with context.session() as session:
            known = ebay_listings.by_skus(session, [r["sku"] for r in rows])
            products = items.products_by_skus(session, [r["sku"] for r in rows if r["sku"] not in known])
            new = 0
            for row in rows:
                sku = row.pop("sku")
                values = {k: v for k, v in row.items() if v is not None}
                if sku not in known:
                    new += 1
                    values.update(
                        {"product_id": products.get(sku), "imported_at": now, "marketplace_id": marketplace_id}
                    )
                ebay_listings.upsert(session, sku, {"marketplace_id": marketplace_id, **values})
        return new


class EbaySyncOrdersJobHandler(_EbayHandler):
    """getOrders by lastmodifieddate, one window at a time from the stored cursor; each order stored
    once, each sale passed on (the product is sold everywhere).

    eBay pages a filtered result in its own order (creation date), not by modification: the
    cursor therefore moves only when a whole window has been read, to the window's end. A run cut
    short reads the same window again next time (orders are upserted, sales are keyed)."""

    action = "sync_orders"
    needs_product = False
    timeout_s = 240

    def execute(self, context: JobContext) -> JobOutcome:
        lookback = timedelta(days=get_settings().order_sync_initial_lookback_days)
        started = datetime.now(UTC)
        # eBay indexes a change with a small delay: a window never ends in the last minute.
        horizon = started - INDEX_LAG
        with context.session() as session:
            row = accounts.get(session, EbayCredentials)
            if row is None or row.status != "connected":
                raise PermanentJobError("eBay is not connected", code="not_connected")
            cursor = row.orders_cursor or (started - lookback)
        order_ids = [str(o) for o in (context.job.input or {}).get("order_ids") or []]
        if order_ids:
            return self._named(context, order_ids[:ORDER_IDS_MAX])
        client = client_for(context.session)
        totals = {"orders": 0, "new": 0, "sold_products": 0, "delist_jobs": 0, "windows": 0}
        pages = 0
        try:
            while cursor < horizon and pages < MAX_PAGES_PER_RUN:
                window_end = min(horizon, cursor + WINDOW)
                complete, pages = self._window(context, client, cursor - CURSOR_OVERLAP, window_end, totals, pages)
                if not complete:
                    break
                cursor = window_end
                totals["windows"] += 1
                with context.session() as session:
                    account = accounts.get(session, EbayCredentials, lock=True)
                    if account is not None:
                        account.orders_cursor = cursor
                        account.orders_synced_at = started
        finally:
            client.http.close()
        with context.session() as session:
            order_checks.mark_checked(session, "ebay", started)
        return JobOutcome(result={**totals, "cursor": cursor.isoformat()})

    def _named(self, context: JobContext, order_ids: list[str]) -> JobOutcome:
        """A sale notice named these orders: read just them (getOrders by orderIds, which eBay
        answers at once, where the window stops a minute short of now). The cursor stays: the
        scheduled check still reads every change."""
        client = client_for(context.session)
        totals = {"orders": 0, "new": 0, "sold_products": 0, "delist_jobs": 0}
        try:
            _check_cancel(context)
            self._store(context, client.get_orders_by_ids(order_ids).get("orders") or [], totals)
        finally:
            client.http.close()
        return JobOutcome(result={**totals, "order_ids": order_ids})

    @staticmethod
    def _store(context: JobContext, orders: list[dict[str, Any]], totals: dict[str, int]) -> None:
        """Store a page of orders, each once; each sale passed on."""
        with context.session() as session:
            skus = [str(li["sku"]) for o in orders for li in (o.get("lineItems") or []) if li.get("sku")]
            by_sku = {
                sku: r.product_id for sku, r in ebay_listings.by_skus(session, skus).items() if r.product_id is not None
            }
            by_sku.update({s: p for s, p in items.products_by_skus(session, skus).items() if s not in by_sku})
            records = [order_record(order, by_sku) for order in orders]
            stored = store_orders(
                session,
                context.job.tenant_id,
                "ebay",
                records,
                order_table,
                registry.listings(),
                quantity_marketplaces=registry.quantity_marketplaces(),
            )
        totals["orders"] += len(orders)
        totals["new"] += stored.new
        totals["sold_products"] += len(stored.sold_product_ids)
        totals["delist_jobs"] += len(stored.delist_job_ids)

    @classmethod
    def _window(
        cls,
        context: JobContext,
        client: EbayClient,
        since: datetime,
        until: datetime,
        totals: dict[str, int],
        pages: int,
    ) -> tuple[bool, int]:
        """Read one window's every page; (read to the end, pages used so far)."""
        offset = 0
        while pages < MAX_PAGES_PER_RUN:
            _check_cancel(context)
            page = client.get_orders(
                modified_since=format_time(since), modified_until=format_time(until), limit=ORDER_PAGE, offset=offset
            )
            pages += 1
            orders = page.get("orders") or []
            cls._store(context, orders, totals)
            offset += len(orders)
            if not orders or (not page.get("next") and offset >= int(page.get("total") or 0)):
                return True, pages
        return False, pages


HANDLERS = (
    EbayPublishJobHandler,
    EbayUpdateJobHandler,
    EbayDeleteJobHandler,
    EbayImportListingsJobHandler,
    EbaySyncOrdersJobHandler,
    EbayWatchSalesJobHandler,
)


def register(registry: HandlerRegistry) -> None:
    for handler in HANDLERS:
        registry.register(handler())


__all__ = ["HANDLERS", "parse_time", "register"]
