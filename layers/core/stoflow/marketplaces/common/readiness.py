"""The last readiness check, in the job itself, before its first marketplace call: a product
changed since the job was accepted (POST /jobs checked it then) fails here with the same list,
and no call is made that is known to fail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from stoflow.domain.readiness import ProductFacts, load_facts
from stoflow.jobs.errors import PermanentJobError
from stoflow.marketplaces import registry


def ready_facts(session: Session, marketplace: str, product_id: int, params: Mapping[str, Any]) -> ProductFacts:
    """The product's facts once its readiness on `marketplace` has no error (PermanentJobError
    `not_ready` otherwise, the issues in its details)."""
    facts = load_facts(session, [product_id]).get(product_id)
    if facts is None:
        raise PermanentJobError(f"product {product_id} not found", code="product_not_found")
    descriptor = registry.get(marketplace)
    assert descriptor is not None
    issues = descriptor.load("readiness")(session, [facts], params)[product_id]
    # The connection is not this check's to judge here: POST /jobs refused a job without one, and
    # at run time each marketplace has its own answer (no token: not connected; Vinted: wait for
    # the browser extension).
    errors = [issue for issue in issues if issue.severity == "error" and issue.code != "marketplace_not_connected"]
    if errors:
        raise PermanentJobError(
            f"not ready for {descriptor.title}: " + "; ".join(issue.message for issue in errors),
            code="not_ready",
            details={"issues": [issue.as_dict() for issue in issues]},
        )
    return facts
