"""What a marketplace declares about itself: one `Marketplace` per package, in its `__init__.py`.

The core (jobs, connections, schedules, orders, the WebSocket router, the API's enum) iterates
the registry (`stoflow.marketplaces.registry`) and asks each descriptor; it never names a
marketplace. A descriptor names the code behind each capability as "module:attribute" and loads
it on first use: listing the marketplaces imports no client, no HTTP library and no handler.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any


@cache
def load(reference: str) -> Any:
    """The object a "package.module:attribute" reference names (imported once)."""
    module, _, attribute = reference.partition(":")
    loaded = importlib.import_module(module)
    return getattr(loaded, attribute) if attribute else loaded


@dataclass(frozen=True)
class Marketplace:
    """One marketplace. Every reference is "module:attribute", resolved by `load` when first used.

    - jobs: `register(registry)` adding the marketplace's job handlers;
    - connection: `is_connected(session) -> bool` (POST /jobs refuses jobs otherwise);
    - status: `connection_status(session) -> dict` for GET /marketplaces;
    - listings: the marketplace's own listing table (`is_live`, `mark_sold`: sold once,
      delisted everywhere);
    - connector: a factory of the OAuth connector (`start`, `complete`, `disconnect`,
      `update_settings`, `token_app`), for marketplaces connected by OAuth;
    - ws: `register(router)` adding the marketplace's WebSocket actions;
    - orders: the order mapping (`row(order) -> dict`, `key(external_id)`, `model`, `select()`);
    - policies: `policies(tenant_id) -> dict` (GET /marketplaces/{name}/policies), if any;
    - sync_action: the job action a scheduled order sync queues (None: no scheduled sync);
    - readiness: `check(session, facts, params) -> {product_id: [Issue]}`, what a listing needs,
      computed from our tables and the cached requirements without calling the marketplace
      (stoflow.domain.readiness); a handler whose `requires_ready` is true is refused up front;
    - setup: `setup_steps(session) -> list[dict]`, the account's setup checklist (GET /marketplaces);
    - requirements: `refresh(session_factory, categories) -> dict` reading the marketplace's
      requirements per category into the shared cache (the scheduled refresh), if it has any;
    - due_work: kinds of scheduled work of its own (stoflow.jobs.due), each kind's visit
      `visit(tenant_id, now, engine) -> next due or None`;
    - photo_limit: how many photos a listing takes;
    - notifications: `handle(method, query, headers, body) -> (status, body)` answering the
      marketplace's own notification endpoint (/marketplaces/{name}/notifications), if it has one;
    - forget_accounts: `forget(session, user_ids, usernames) -> int` removing what a tenant holds
      of marketplace accounts that were closed (the marketplace's deletion notices), if needed;
    - min_order_check_s: the shortest time between two scheduled checks of its orders (the
      cadence is stoflow.domain.order_checks'; a marketplace read through the seller's browser
      keeps within its read budget);
    - quantities: whether a listing carries a quantity (a stock > 1 product that sells one unit
      elsewhere gets a quantity update there; a listing without one stays as it is);
    - suggestions: `suggest(tenant_id, product_id) -> dict`, the marketplace's categories for a
      product's title (a live call, on the seller's request), if it offers them;
    - call_budget: `pace(now, engine) -> stoflow.domain.call_budget.Pace`, for a marketplace whose call
      limit holds for the whole app: how its order checks go now (stretched, or deferred); read
      while holding no database session;
    - refresh_on_use: its access tokens are refreshed by the call that needs one (under the same
      row lock), and the scheduled refresh only keeps the refresh token alive: for a marketplace
      whose call limit holds for the whole app, a connected seller with nothing to check costs no call.
    """

    name: str
    title: str
    jobs: str
    connection: str
    status: str
    listings: str
    photo_limit: int
    connector: str | None = None
    ws: str | None = None
    orders: str | None = None
    policies: str | None = None
    sync_action: str | None = None
    notifications: str | None = None
    forget_accounts: str | None = None
    min_order_check_s: int = 0
    refresh_on_use: bool = False
    quantities: bool = True
    readiness: str | None = None
    setup: str | None = None
    requirements: str | None = None
    suggestions: str | None = None
    call_budget: str | None = None
    due_work: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def oauth(self) -> bool:
        return self.connector is not None

    def load(self, capability: str) -> Any:
        """The loaded code behind one capability (LookupError when the marketplace has none)."""
        reference = getattr(self, capability)
        if reference is None:
            raise LookupError(f"{self.name} has no {capability}")
        return load(reference)

    @staticmethod
    def load_reference(reference: str) -> Any:
        return load(reference)

    def is_connected(self, session: Any) -> bool:
        check: Callable[[Any], bool] = self.load("connection")
        return check(session)
