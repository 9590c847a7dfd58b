"""eBay's sale notices (Notification API, topic ORDER_CONFIRMATION): a sale reaches us seconds
after the buyer's checkout instead of at the tenant's next order check, which stays the safety net
for a notice eBay never delivers.

- Subscribing (job `watch_sales`, queued when the seller connects): read who the seller is
  (Commerce Identity getUser: the immutable user id every notice carries), record which tenant
  holds that account (public.marketplace_account_owners), then, with the seller's own token, find
  or create the app's one destination (our notification endpoint) and the seller's enabled
  ORDER_CONFIRMATION subscription to it. Every step finds what a repeat already made, so the job
  is idempotent.
- A notice (stoflow.marketplaces.ebay.notifications checks its signature): for each tenant holding
  the seller's account, a `sync_orders` job of just that order (getOrders by orderIds: eBay's own
  advice is to read the order the notice names), keyed by order id, so eBay's redeliveries and the
  notices of one order's line items queue one read. The stored order then runs the sale chain.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from stoflow.errors import InvalidInput
from stoflow.jobs.errors import PermanentJobError
from stoflow.jobs.handlers import JobContext, JobOutcome
from stoflow.marketplaces.common.api_error import MarketplaceApiError
from stoflow.marketplaces.common.jobs import ApiJobHandler
from stoflow.marketplaces.ebay.account import client_for
from stoflow.marketplaces.ebay.client import EbayClient
from stoflow.marketplaces.ebay.notifications import ORDER_TOPIC as TOPIC
from stoflow.marketplaces.ebay.notifications import configured
from stoflow.models.ebay_account import EbayCredentials
from stoflow.repositories import account_owners
from stoflow.repositories import marketplace_accounts as accounts

log = logging.getLogger(__name__)

DESTINATION_NAME = "StoFlow sale notices"
WATCH_ACTION = "watch_sales"


@dataclass(frozen=True)
class OrderNotice:
    notification_id: str
    user_id: str
    order_id: str


def parse(notification: dict[str, Any]) -> OrderNotice:
    """The notice's seller and order (`notification`: the payload's "notification" object)."""
    try:
        data = notification["data"]
        notice = OrderNotice(
            notification_id=str(notification["notificationId"])[:128],
            user_id=str(data["user"]["userId"])[:64],
            order_id=str(data["order"]["orderId"])[:64],
        )
    except (KeyError, TypeError):
        raise InvalidInput("an order notice names no seller or no order", code="invalid_notification") from None
    if not notice.user_id or not notice.order_id:
        raise InvalidInput("an order notice names no seller or no order", code="invalid_notification")
    return notice


def order_key(order_id: str) -> str:
    return f"sync_orders:ebay:order:{order_id}"


def route(notice: OrderNotice) -> int:
    """Queue the read of the notice's order for every tenant connected with the seller's account;
    how many were queued (0: an account nobody here holds, acknowledged all the same)."""
    from stoflow.db.tenancy import shared_session, tenant_session
    from stoflow.jobs.service import JobRequest, enqueue_in_session
    from stoflow.marketplaces.ebay.connection import is_connected

    # One session after the other: a container holds one connection.
    with shared_session() as session:
        tenants = account_owners.tenants_of(session, "ebay", notice.user_id)
    queued = 0
    for tenant_id in tenants:
        with tenant_session(tenant_id) as session:
            if not is_connected(session):
                continue
            request = JobRequest("ebay", "sync_orders", params={"order_ids": [notice.order_id]})
            enqueue_in_session(session, tenant_id, request, job_keys=[order_key(notice.order_id)], validate=False)
            queued += 1
    log.info("eBay order notice %s: order read queued for %d tenant(s)", notice.notification_id, queued)
    return queued


def schema_version(topic: dict[str, Any]) -> str:
    """The newest JSON-over-HTTPS payload version the topic supports (eBay states it per topic)."""
    versions = [
        str(p["schemaVersion"])
        for p in topic.get("supportedPayloads") or []
        if not p.get("deprecated")
        and "JSON" in (p.get("format") or [])
        and p.get("deliveryProtocol", "HTTPS") == "HTTPS"
        and p.get("schemaVersion")
    ]
    if not versions:
        raise PermanentJobError(f"eBay's {TOPIC} topic offers no JSON payload", code="topic_unsupported")
    return max(versions, key=lambda v: tuple(int(n) for n in v.split(".") if n.isdigit()))


def ensure_subscription(client: EbayClient, endpoint: str, verification_token: str) -> str:
    """The seller's enabled ORDER_CONFIRMATION subscription to the app's enabled destination:
    found (enabled again if it was not), or made; its id."""
    version = schema_version(client.get_topic(TOPIC))
    destination = next(
        (d for d in client.get_destinations() if (d.get("deliveryConfig") or {}).get("endpoint") == endpoint), None
    )
    if destination is None:
        destination_id = client.create_destination(DESTINATION_NAME, endpoint, verification_token)
    else:
        destination_id = str(destination["destinationId"])
        if destination.get("status") != "ENABLED":
            # Disabled, or marked down by eBay after our endpoint failed to answer: no notice
            # reaches a destination in that state, for any seller.
            log.warning(
                "eBay notification destination %s was %s: enabled again", destination_id, destination.get("status")
            )
            client.update_destination(destination_id, DESTINATION_NAME, endpoint, verification_token)
    for subscription in client.get_subscriptions():
        if subscription.get("topicId") == TOPIC and str(subscription.get("destinationId")) == destination_id:
            found = str(subscription["subscriptionId"])
            if subscription.get("status") != "ENABLED":
                client.enable_subscription(found)
            return found
    return client.create_subscription(TOPIC, destination_id, version)


class EbayWatchSalesJobHandler(ApiJobHandler):
    """Who the connected seller is, and their sale notices subscribed (see the module)."""

    marketplace = "ebay"
    action = WATCH_ACTION
    needs_product = False
    timeout_s = 60

    def execute(self, context: JobContext) -> JobOutcome:
        from stoflow.marketplaces.ebay.oauth import identity_base_url

        client = client_for(context.session)
        try:
            try:
                user = client.get_user(identity_base_url())
            except MarketplaceApiError as exc:
                if exc.status != 403:
                    raise
                # A consent given before the identity and notification scopes were asked for.
                self._record(context, "needs_reconnect")
                return JobOutcome(result={"subscribed": False, "reason": "needs_reconnect"})
            user_id = str(user.get("userId") or "")[:64]
            if not user_id:
                raise PermanentJobError("eBay did not say who the seller is", code="no_user_id")
            self._record(context, None, user_id=user_id, username=str(user.get("username") or "")[:128] or None)
            settings = configured()
            if settings is None:
                self._record(context, "off")
                return JobOutcome(result={"user_id": user_id, "subscribed": False, "reason": "not_configured"})
            verification_token, endpoint = settings
            try:
                subscription_id = ensure_subscription(client, endpoint, verification_token)
            except MarketplaceApiError as exc:
                if exc.status != 403:
                    raise
                self._record(context, "needs_reconnect")
                return JobOutcome(result={"user_id": user_id, "subscribed": False, "reason": "needs_reconnect"})
        finally:
            client.http.close()
        self._record(context, "on")
        return JobOutcome(result={"user_id": user_id, "subscribed": True, "subscription_id": subscription_id})

    @staticmethod
    def _record(context: JobContext, state: str | None, **identity: str | None) -> None:
        """The notices' state (None: unchanged), and who the seller is with the tenant that holds
        the account (when `identity` gives user_id and username)."""
        with context.session() as session:
            row = accounts.get(session, EbayCredentials, lock=True)
            if row is None or row.status != "connected":
                raise PermanentJobError("eBay is not connected", code="not_connected")
            if state is not None:
                row.sale_notices = state
            if identity:
                row.ebay_user_id, row.username = identity["user_id"], identity["username"]
                assert row.ebay_user_id is not None
                account_owners.claim(session, "ebay", row.ebay_user_id, context.job.tenant_id)
