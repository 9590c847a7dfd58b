"""What a marketplace does on its own, on demand: a buyer purchases a listing (and the order is
cancelled), the marketplace removes a listing, the seller revokes our access, an eBay account is
closed (eBay's account deletion notice), the service fails for N minutes (and recovers).

One function, `act`, used by the control API (`POST /sandbox/api/<marketplace>/<action>`), the
control page's forms and `stoflow sandbox ...`; `overview` is what the page and
`GET /sandbox/api/state` show.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from typing import Any

from infra.local.sandboxes.base import page
from infra.local.sandboxes.ebay import EbaySandbox
from infra.local.sandboxes.etsy import EtsySandbox
from infra.local.sandboxes.vinted import VintedState

ACTIONS = ("sell", "cancel", "remove", "revoke", "close", "fail", "recover")


class ControlError(Exception):
    """A control request that cannot be done (unknown listing, bad minutes): answered 4xx."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Sandboxes:
    ebay: EbaySandbox
    etsy: EtsySandbox
    vinted: VintedState | None = None


def _minutes(params: dict[str, Any]) -> float:
    try:
        minutes = float(params.get("minutes", 5))
    except (TypeError, ValueError):
        raise ControlError("minutes must be a number") from None
    if not 0 < minutes <= 24 * 60:
        raise ControlError("minutes must be more than 0 and at most 1440")
    return minutes


def _status(params: dict[str, Any]) -> int:
    try:
        status = int(params.get("status", 503))
    except (TypeError, ValueError):
        raise ControlError("status must be 429 or a 5xx") from None
    if status not in (429, 500, 502, 503, 504):
        raise ControlError("status must be 429 or a 5xx")
    return status


def _listing(params: dict[str, Any]) -> str:
    listing = str(params.get("listing") or "").strip()
    if not listing:
        raise ControlError("say which listing (a SKU, an offer id or a listing id)")
    return listing


def act(sandboxes: Sandboxes, marketplace: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
    """Do `action` on `marketplace`'s sandbox; returns what happened (JSON-able)."""
    if action not in ACTIONS:
        raise ControlError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}", 404)
    if marketplace == "ebay":
        return _ebay(sandboxes.ebay, action, params)
    if marketplace == "etsy":
        return _etsy(sandboxes.etsy, action, params)
    if marketplace == "vinted" and sandboxes.vinted is not None:
        return _vinted(sandboxes.vinted, action, params)
    raise ControlError(f"no sandbox for {marketplace!r}", 404)


def _ebay(sandbox: EbaySandbox, action: str, params: dict[str, Any]) -> dict[str, Any]:
    if action == "cancel":
        order_id = str(params.get("order") or params.get("listing") or "")
        if not sandbox.cancel(order_id):
            raise ControlError(f"eBay has no order {order_id!r}", 404)
        return {"marketplace": "ebay", "cancelled": order_id}
    if action == "close":
        return _close_account(sandbox, str(params.get("user") or params.get("listing") or "").strip())
    if action in ("sell", "remove"):
        listing = _listing(params)
        sku = sandbox.find_sku(listing)
        if sku is None:
            raise ControlError(f"eBay has no listing {listing!r}", 404)
        if action == "sell":
            order_id = sandbox.sell(sku)
            return {"marketplace": "ebay", "sold": sku, "order_id": order_id, **_notify_order(sandbox, order_id)}
        if not sandbox.remove_listing(sku):
            raise ControlError(f"eBay listing {listing!r} is not published", 409)
        return {"marketplace": "ebay", "removed": sku}
    return _common(sandbox, action, params)


def _notify_order(sandbox: EbaySandbox, order_id: str) -> dict[str, Any]:
    """eBay posts ORDER_CONFIRMATION to the destination the seller subscribed (if any)."""
    import httpx

    endpoint = sandbox.order_notice_destination()
    if endpoint is None:
        return {"notified": False}
    headers, body = sandbox.order_notice(order_id)
    try:
        reply = httpx.post(
            endpoint, content=body, headers={**headers, "content-type": "application/json"}, timeout=10.0
        )
    except httpx.HTTPError as exc:  # eBay retries later; the order sync's polling still sees the sale
        return {"notified": False, "endpoint_error": type(exc).__name__}
    return {"notified": True, "endpoint_status": reply.status_code}


def _close_account(sandbox: EbaySandbox, username: str) -> dict[str, Any]:
    """An eBay account is closed: eBay posts its signed deletion notice to the app's endpoint."""
    import httpx

    if not username:
        raise ControlError("say which eBay user closes their account")
    if not sandbox.notification_endpoint:
        raise ControlError("no notification endpoint: is `make run` serving the API?", 409)
    headers, body = sandbox.account_deletion_notice(username, f"uid-{username}")
    reply = httpx.post(
        sandbox.notification_endpoint,
        content=body,
        headers={**headers, "content-type": "application/json"},
        timeout=10.0,
    )
    return {"marketplace": "ebay", "closed": username, "endpoint_status": reply.status_code}


def _etsy(sandbox: EtsySandbox, action: str, params: dict[str, Any]) -> dict[str, Any]:
    if action in ("sell", "remove"):
        listing = _listing(params)
        listing_id = sandbox.find_listing(listing)
        if listing_id is None:
            raise ControlError(f"Etsy has no listing {listing!r}", 404)
        if action == "sell":
            return {"marketplace": "etsy", "sold": listing_id, "receipt_id": sandbox.sell(listing_id)}
        if not sandbox.remove_listing(listing_id):
            raise ControlError(f"Etsy listing {listing!r} is not active", 409)
        return {"marketplace": "etsy", "removed": listing_id}
    return _common(sandbox, action, params)


def _common(sandbox: EbaySandbox | EtsySandbox, action: str, params: dict[str, Any]) -> dict[str, Any]:
    name = sandbox.marketplace
    if action == "revoke":
        return {"marketplace": name, "revoked_tokens": sandbox.revoke_tokens()}
    if action == "fail":
        until = sandbox.fail_for(_minutes(params), _status(params))
        return {"marketplace": name, "failing_until": until.isoformat()}
    sandbox.recover()
    return {"marketplace": name, "recovered": True}


def _vinted(state: VintedState, action: str, params: dict[str, Any]) -> dict[str, Any]:
    if action in ("sell", "remove"):
        listing = _listing(params)
        if not listing.isdigit() or int(listing) not in state.items:
            raise ControlError(f"Vinted has no item {listing!r}", 404)
        if action == "sell":
            return {"marketplace": "vinted", "sold": int(listing), "transaction_id": state.sell(int(listing))}
        state.remove(int(listing))
        return {"marketplace": "vinted", "removed": int(listing)}
    with state.lock:
        if action == "revoke":  # the seller logged out of Vinted in that browser
            state.logged_in = False
            return {"marketplace": "vinted", "logged_in": False}
        if action == "fail":
            state.outage_until = time.time() + _minutes(params) * 60
            return {"marketplace": "vinted", "failing_until": state.outage_until}
        state.outage_until = 0.0
        state.rate_limited_calls = 0
        state.datadome_next_upload = False
        state.logged_in = True
        return {"marketplace": "vinted", "recovered": True}


def overview(sandboxes: Sandboxes) -> dict[str, Any]:
    found: dict[str, Any] = {
        "ebay": {**sandboxes.ebay.state(), "listings": sandboxes.ebay.listings()},
        "etsy": {**sandboxes.etsy.state(), "listings": sandboxes.etsy.listings_view()},
    }
    if sandboxes.vinted is not None:
        found["vinted"] = sandboxes.vinted.view()
    return found


def control_page(sandboxes: Sandboxes, message: str = "") -> str:
    """The control page: each marketplace's listings with Sell / Remove buttons, and its outage,
    revocation and recovery buttons (plain forms: no script)."""
    state = overview(sandboxes)
    parts = ["<h1>Marketplace sandboxes</h1>"]
    if message:
        parts.append(f"<p><b>{html.escape(message)}</b></p>")
    for name, info in state.items():
        rows = []
        for listing in info.get("listings") or info.get("items") or []:
            key = str(listing.get("sku") or listing.get("listing_id") or listing.get("id"))
            buttons = "".join(
                f'<form method=post action="/sandbox/do" style="display:inline">'
                f'<input type=hidden name=marketplace value="{name}"><input type=hidden name=action value="{a}">'
                f'<input type=hidden name=listing value="{html.escape(key, quote=True)}">'
                f"<button>{label}</button></form>"
                for a, label in (("sell", "A buyer purchases it"), ("remove", "Remove the listing"))
            )
            cells = "".join(f"<td>{html.escape(str(v))}</td>" for v in listing.values())
            rows.append(f"<tr>{cells}<td>{buttons}</td></tr>")
        table = f"<table>{''.join(rows)}</table>" if rows else "<p>No listing yet.</p>"
        outage = info.get("outage_until") or info.get("failing_until")
        status_line = f"failing until {outage}" if outage else "answering normally"
        parts.append(
            f"<h2>{name}</h2><p>{status_line}; {info.get('requests', info.get('api_calls', 0))} requests seen</p>"
            f"{table}"
            f'<form method=post action="/sandbox/do"><input type=hidden name=marketplace value="{name}">'
            "<button name=action value=revoke>Revoke our access</button>"
            "<input name=minutes value=5 size=3> minutes <button name=action value=fail>Fail</button>"
            "<button name=action value=recover>Recover</button></form>"
        )
        problems = [*info.get("contract_problems", []), *info.get("response_problems", [])]
        if problems:
            items = "".join(f"<li><code>{html.escape(p)}</code></li>" for p in problems)
            parts.append(f"<p>Outside the official contract:</p><ul>{items}</ul>")
    return page("Marketplace sandboxes", "".join(parts))


def landing_page(marketplace: str, query: dict[str, str], api_url: str) -> str:
    """Where the consent pages send the browser back: the code and state, and how to finish."""
    if "error" in query:
        return page("Connection refused", f"<h1>{html.escape(marketplace)}: access was denied</h1>")
    code, state = query.get("code", ""), query.get("state", "")
    from urllib.parse import quote

    callback = (
        f"{api_url}/marketplaces/{marketplace}/callback?code={quote(code, safe='')}&state={quote(state, safe='')}"
    )
    body = (
        f"<h1>{html.escape(marketplace)}: access granted</h1>"
        "<p>The dashboard forwards these to the API with your bearer token:</p>"
        f"<pre>curl -s -H \"authorization: Bearer $TOKEN\" '{html.escape(callback)}'</pre>"
        f"<p>code <code id=code>{html.escape(code)}</code><br>state <code id=state>{html.escape(state)}</code></p>"
    )
    return page("Access granted", body)
