"""Marketplace connections: connect (OAuth), disconnect, listing settings, the state of every
connection, and a marketplace's business policies. Each marketplace's descriptor says how; this
module only finds the descriptor (an unknown name, or one without that capability, is a 404).
Network calls happen outside database transactions."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from stoflow.auth.principal import Principal
from stoflow.errors import NotFound
from stoflow.marketplaces import registry
from stoflow.marketplaces.descriptor import Marketplace


def _oauth(marketplace: str) -> Marketplace:
    found = registry.get(marketplace)
    if found is None or not found.oauth:
        raise NotFound(f"no OAuth connection for {marketplace!r}", code="unknown_marketplace")
    return found


def _connector(marketplace: str) -> Any:
    return _oauth(marketplace).load("connector")()


def start_connect(principal: Principal, marketplace: str) -> dict[str, Any]:
    """The URL to send the browser to, with a fresh state bound to this user."""
    return _connector(marketplace).start(principal)


def complete_connect(principal: Principal, marketplace: str, code: str, state: str) -> dict[str, Any]:
    """The callback: burn the state (it must be this user's), trade the code, store the tokens;
    then the connection as the list shows it, its setup checklist read in a unit of work of its
    own once the exchange with the marketplace is over."""
    from stoflow.db.tenancy import tenant_session

    found = _oauth(marketplace)
    status = found.load("connector")().complete(principal, code, state)
    with tenant_session(principal.tenant_id) as session:
        return _with_setup(session, found, status)


def disconnect(session: Session, marketplace: str) -> None:
    """Forget the tokens (the row stays: order cursor and listing settings survive a reconnect)."""
    _connector(marketplace).disconnect(session)


def update_settings(session: Session, marketplace: str, values: dict[str, Any]) -> dict[str, Any]:
    """The settings changed, and the connection as the list shows it: the checklist with them."""
    found = _oauth(marketplace)
    status = found.load("connector")().update_settings(session, values)
    return _with_setup(session, found, status)


def list_connections(session: Session) -> list[dict[str, Any]]:
    """Every marketplace's connection state, with its setup checklist and the next step to take."""
    return [
        _with_setup(session, marketplace, marketplace.load("status")(session))
        for marketplace in registry.all_marketplaces()
    ]


def _with_setup(session: Session, marketplace: Marketplace, status: dict[str, Any]) -> dict[str, Any]:
    steps = marketplace.load("setup")(session) if marketplace.setup is not None else []
    return {**status, "setup": steps, "next_step": next((s["message"] for s in steps if not s["done"]), None)}


def policies(tenant_id: int, marketplace: str) -> dict[str, Any]:
    """The seller's business policies on the marketplace (404 where it has none)."""
    found = registry.get(marketplace)
    if found is None or found.policies is None:
        raise NotFound(f"{marketplace!r} has no business policies", code="unknown_marketplace")
    return found.load("policies")(tenant_id)


def category_suggestions(tenant_id: int, marketplace: str, product_id: int) -> dict[str, Any]:
    """The marketplace's categories for the product's title (404 where it suggests none)."""
    found = registry.get(marketplace)
    if found is None or found.suggestions is None:
        raise NotFound(f"{marketplace!r} suggests no categories", code="unknown_marketplace")
    return found.load("suggestions")(tenant_id, product_id)
