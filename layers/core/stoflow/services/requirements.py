"""The scheduled refresh of the marketplaces' requirements per category (each marketplace whose
descriptor has `requirements`), into the shared cache readiness reads. One marketplace failing
(down, not configured on this server) does not stop the others; the next run tries again."""

from __future__ import annotations

import logging
from typing import Any

from stoflow.db.tenancy import shared_session
from stoflow.errors import StoflowError
from stoflow.marketplaces import registry

log = logging.getLogger(__name__)


def refresh_requirements() -> dict[str, Any]:
    from stoflow.marketplaces.common.api_error import MarketplaceApiError

    report: dict[str, Any] = {}
    for marketplace in registry.all_marketplaces():
        if marketplace.requirements is None:
            continue
        try:
            report[marketplace.name] = marketplace.load("requirements")(shared_session)
        except (MarketplaceApiError, StoflowError) as exc:
            log.warning("requirements of %s not refreshed: %s", marketplace.name, exc)
            report[marketplace.name] = {"error": getattr(exc, "code", type(exc).__name__)}
    return report
