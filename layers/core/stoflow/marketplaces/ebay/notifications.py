"""eBay's notification endpoint: Marketplace Account Deletion notices, which eBay requires before
it enables an app's production keys, and the sellers' sale notices (ORDER_CONFIRMATION,
stoflow.marketplaces.ebay.order_notices), both delivered to the app's one destination.

- GET ?challenge_code=… (eBay checks the endpoint): answer {"challengeResponse": SHA-256 hex of
  challenge code + verification token + endpoint URL}, the token being our secret (the eBay app
  secret's `verification_token`, STOFLOW_EBAY_VERIFICATION_TOKEN locally) and the URL exactly as
  registered with eBay (STOFLOW_EBAY_NOTIFICATION_ENDPOINT).
- POST a notice: its X-EBAY-SIGNATURE is checked against eBay's public key for the key id it names
  (Notification API getPublicKey, cached an hour as eBay asks), then, by topic:
  - an account deletion is recorded and acknowledged at once. eBay sends one for every eBay account
    closed anywhere, so nothing is looked up per notice: stoflow.services.deletion_notices removes
    the accounts' data in batches;
  - a sale queues the read of its order for the tenants holding the seller's account.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from stoflow import runtime
from stoflow.config import get_settings
from stoflow.errors import InvalidInput, MarketplaceNotConfigured

log = logging.getLogger(__name__)

TOPIC = "MARKETPLACE_ACCOUNT_DELETION"
ORDER_TOPIC = "ORDER_CONFIRMATION"
PUBLIC_KEY_PATH = "/commerce/notification/v1/public_key/"
PUBLIC_KEY_MAX_AGE_S = 3600


def challenge_response(challenge_code: str, verification_token: str, endpoint: str) -> str:
    digest = hashlib.sha256()
    for part in (challenge_code, verification_token, endpoint):
        digest.update(part.encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class DeletionNotice:
    notification_id: str
    user_id: str | None
    username: str | None


def _envelope(body: bytes) -> tuple[Any, dict[str, Any]]:
    """(topic, the "notification" object) of a notice."""
    try:
        payload = json.loads(body)
        topic, notification = payload["metadata"].get("topic"), payload["notification"]
        if not isinstance(notification, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InvalidInput("not an eBay notification", code="invalid_notification") from None
    return topic, notification


def _deletion(notification: dict[str, Any]) -> DeletionNotice:
    try:
        data = notification.get("data") or {}
        return DeletionNotice(
            notification_id=str(notification["notificationId"])[:64],
            user_id=str(data["userId"])[:64] if data.get("userId") else None,
            username=str(data["username"])[:128] if data.get("username") else None,
        )
    except (KeyError, TypeError, AttributeError):
        raise InvalidInput("not an eBay notification", code="invalid_notification") from None


def _signature(header: str) -> tuple[str, bytes]:
    """(key id, DER signature) from X-EBAY-SIGNATURE (base64 of a JSON object)."""
    try:
        fields = json.loads(base64.b64decode(header))
        return str(fields["kid"]), base64.b64decode(fields["signature"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidInput("unreadable X-EBAY-SIGNATURE", code="invalid_signature") from None


# eBay's public keys by key id, with when they were fetched: held by the container.
PUBLIC_KEYS: runtime.Part[dict[str, tuple[float, str]]] = runtime.Part("eBay notification public keys", dict)


def _public_key(kid: str) -> str:
    """eBay's PEM public key for `kid`, cached an hour per container."""
    keys = runtime.get(PUBLIC_KEYS)
    cached = keys.get(kid)
    if cached is not None and time.monotonic() - cached[0] < PUBLIC_KEY_MAX_AGE_S:
        return cached[1]
    from stoflow.marketplaces.ebay.oauth import EbayOAuth

    oauth = EbayOAuth()
    try:
        token = oauth.application_token()
        response = oauth.http.request(
            "GET", PUBLIC_KEY_PATH + kid, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
        )
    finally:
        oauth.http.close()
    key = str(response.json()["key"])
    keys[kid] = (time.monotonic(), key)
    return key


def verify(header: str | None, body: bytes) -> None:
    """Raises InvalidInput unless eBay signed `body` (ECDSA with SHA-1, as eBay signs)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    if not header:
        raise InvalidInput("no X-EBAY-SIGNATURE", code="invalid_signature")
    kid, signature = _signature(header)
    key = serialization.load_pem_public_key(_public_key(kid).encode())
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise InvalidInput("eBay's key is not an EC key", code="invalid_signature")
    try:
        key.verify(signature, body, ec.ECDSA(hashes.SHA1()))  # noqa: S303 (eBay's algorithm, not our choice)
    except InvalidSignature:
        raise InvalidInput("the signature does not match", code="invalid_signature") from None


def _configuration() -> tuple[str | None, str | None]:
    from stoflow.marketplaces.common.apps import ebay_keys

    return ebay_keys().verification_token, get_settings().ebay_notification_endpoint


def configured() -> tuple[str, str] | None:
    """(verification token, endpoint URL), or None where this server receives no notifications."""
    token, endpoint = _configuration()
    return (token, endpoint) if token and endpoint else None


def _settings() -> tuple[str, str]:
    token, endpoint = _configuration()
    missing = [n for n, v in (("verification_token", token), ("STOFLOW_EBAY_NOTIFICATION_ENDPOINT", endpoint)) if not v]
    if missing:
        raise MarketplaceNotConfigured(f"eBay notifications are not configured: {', '.join(missing)}", missing=missing)
    assert token is not None and endpoint is not None
    return token, endpoint


def handle(method: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
    """(status, JSON body) for one request to the notification endpoint."""
    if method == "GET":
        code = query.get("challenge_code")
        if not code:
            raise InvalidInput("challenge_code is required", code="challenge_code_required")
        token, endpoint = _settings()
        return 200, {"challengeResponse": challenge_response(code, token, endpoint)}
    verify(headers.get("x-ebay-signature"), body)
    topic, notification = _envelope(body)
    if topic == ORDER_TOPIC:
        from stoflow.marketplaces.ebay import order_notices  # its job handler's imports: only for a sale

        order_notices.route(order_notices.parse(notification))
        return 204, {}
    if topic != TOPIC:
        raise InvalidInput(f"unexpected topic {topic!r}", code="invalid_notification")
    notice = _deletion(notification)
    from stoflow.db.tenancy import shared_session
    from stoflow.repositories import deletion_notices

    with shared_session() as session:
        deletion_notices.record(
            session, "ebay", notice.notification_id, user_id=notice.user_id, username=notice.username
        )
    return 204, {}
