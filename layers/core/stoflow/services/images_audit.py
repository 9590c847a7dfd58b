"""`stoflow images audit`: products whose migrated label guess (last legacy image = label) is doubtful.

Reasons:
- single_image: the only photo was taken for the label, so the product shows no photo at all
  (or, if it really is a photo, it is hidden from every marketplace);
- label_not_newest: the image flagged as label was added before another photo, while the old
  system appended the label last;
- order_disagrees: the legacy "order" keys disagree with the list order, so "last" is ambiguous;
- no_label_left: the label flag was removed since (informative: someone decided).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from stoflow.db.tenancy import registered_tenants, tenant_session
from stoflow.repositories.images_audit import MigratedProduct, migrated_products


@dataclass(frozen=True)
class Finding:
    tenant_id: int
    product_id: int
    reason: str
    images: int


@dataclass
class TenantAudit:
    tenant_id: int
    products: int = 0
    images: int = 0
    labels: int = 0
    findings: list[Finding] = field(default_factory=list)


def reasons(row: MigratedProduct) -> list[str]:
    found: list[str] = []
    if row.images == 1 and row.labels == 1:
        found.append("single_image")
    if row.labels == 1 and row.newest_photo_at is not None and row.label_at < row.newest_photo_at:
        found.append("label_not_newest")
    if row.order_disagrees:
        found.append("order_disagrees")
    if row.labels == 0:
        found.append("no_label_left")
    return found


def audit_tenant(engine: Engine, tenant_id: int) -> TenantAudit:
    result = TenantAudit(tenant_id)
    with tenant_session(tenant_id, engine=engine) as session:
        for row in migrated_products(session):
            result.products += 1
            result.images += row.images
            result.labels += row.labels
            result.findings.extend(Finding(tenant_id, row.product_id, r, row.images) for r in reasons(row))
    return result


def audit(engine: Engine, tenant_ids: Iterable[int] | None = None) -> list[TenantAudit]:
    ids = list(tenant_ids) if tenant_ids is not None else registered_tenants(engine)
    return [audit_tenant(engine, tenant_id) for tenant_id in ids]
