"""Every marketplace StoFlow knows: one registration line each. Nothing else lists them.

Importing this module imports only the descriptors (`stoflow.marketplaces.<name>`, a few lines
each): clients, HTTP libraries and job handlers load when a descriptor's capability is first used.

Adding a marketplace: a new package `stoflow/marketplaces/<name>/` whose `__init__.py` builds a
`Marketplace` descriptor (see docs/marketplaces/README.md, "Adding a marketplace"), and one line
in `REGISTERED`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stoflow import runtime
from stoflow.marketplaces import ebay, etsy, vinted
from stoflow.marketplaces.descriptor import Marketplace

REGISTERED: tuple[Marketplace, ...] = (
    vinted.MARKETPLACE,
    ebay.MARKETPLACE,
    etsy.MARKETPLACE,
)
_BY_NAME = {marketplace.name: marketplace for marketplace in REGISTERED}
NAMES: tuple[str, ...] = tuple(_BY_NAME)


def all_marketplaces() -> Iterator[Marketplace]:
    return iter(REGISTERED)


def get(name: str) -> Marketplace | None:
    return _BY_NAME.get(name)


def oauth_names() -> tuple[str, ...]:
    return tuple(m.name for m in REGISTERED if m.oauth)


def listings() -> dict[str, Any]:
    """Every marketplace's listing table by name (stoflow.domain.sales.Listings)."""
    return {m.name: m.load("listings") for m in REGISTERED}


def notification_names() -> tuple[str, ...]:
    """The marketplaces with a notification endpoint of their own."""
    return tuple(m.name for m in REGISTERED if m.notifications)


def quantity_marketplaces() -> tuple[str, ...]:
    """The marketplaces whose listings carry a quantity (stoflow.domain.sales.record_sale)."""
    return tuple(m.name for m in REGISTERED if m.quantities)


def is_connected(session: Any, name: str) -> bool:
    marketplace = _BY_NAME.get(name)
    return marketplace is not None and marketplace.is_connected(session)


def build_job_handlers() -> Any:
    """A job handler registry of every marketplace, each marketplace's handlers loaded on the
    first lookup of that marketplace (a worker running one marketplace's jobs imports no other's)."""
    from stoflow.jobs.handlers import HandlerRegistry

    return HandlerRegistry(
        loaders={m.name: _loader(m) for m in REGISTERED},
        connection_checks={m.name: m.is_connected for m in REGISTERED},
    )


# The container's registry (built once; tests provide their own).
JOB_HANDLERS: runtime.Part[Any] = runtime.Part("job handlers", build_job_handlers)


def job_handlers() -> Any:
    return runtime.get(JOB_HANDLERS)


def _loader(marketplace: Marketplace) -> Any:
    def load(registry: Any) -> None:
        marketplace.load("jobs")(registry)

    return load


def due_work_visits() -> dict[str, Any]:
    """The marketplaces' own kinds of scheduled work: {kind: its visit} (loaded on first call)."""
    visits: dict[str, Any] = {}
    for marketplace in REGISTERED:
        for kind, reference in marketplace.due_work.items():
            visits[kind] = marketplace.load_reference(reference)
    return visits


def register_ws_routes(router: Any) -> None:
    """Every marketplace's WebSocket actions on `router`."""
    for marketplace in REGISTERED:
        if marketplace.ws is not None:
            marketplace.load("ws")(router)
