"""Products: create within the tier's quota, read, edit with optimistic locking, change status
along allowed transitions only, soft delete, list, and bulk status changes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, Row, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from stoflow.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    ProductQuotaExceeded,
    StaleVersion,
)
from stoflow.models.products import PRODUCT_STATUSES, Product
from stoflow.repositories import products as repository
from stoflow.repositories.products import ProductFilters
from stoflow.services.catalog import check_references
from stoflow.services.products_quota import QuotaReader, tier_product_quota

# Where each status may go. Sold may go back to published (a cancelled or returned sale).
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"published", "archived"}),
    "published": frozenset({"draft", "sold", "archived"}),
    "sold": frozenset({"published", "archived"}),
    "archived": frozenset({"draft"}),
}
INITIAL_STATUSES = frozenset({"draft", "published"})
# First key of the advisory lock that serialises product creation per tenant (quota check).
_QUOTA_LOCK = 0x5F10
_QUOTA_LOCK_STATEMENT = select(func.pg_advisory_xact_lock(_QUOTA_LOCK, bindparam("tenant_id", type_=Integer)))
BULK_MAX = 500


@contextmanager
def _sku_conflicts() -> Iterator[None]:
    try:
        yield
    except IntegrityError as exc:
        if "uq_products_sku" in str(exc.orig):
            raise Conflict("another live product already has this SKU", code="sku_taken") from exc
        raise


def check_transition(current: str, target: str) -> None:
    if target not in PRODUCT_STATUSES:
        raise InvalidInput(f"unknown status {target!r}", code="unknown_status")
    if target != current and target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none"
        raise InvalidTransition(f"a {current} product cannot become {target} (allowed: {allowed})")


def status_stamps(target: str, now: datetime) -> dict[str, Any]:
    if target == "published":
        return {"published_at": now}
    if target == "sold":
        return {"sold_at": now}
    return {}


@dataclass
class BulkStatusResult:
    updated: list[Product] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)


class ProductService:
    def __init__(self, session: Session, tenant_id: int, *, quota: QuotaReader = tier_product_quota) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.quota = quota

    def get(self, product_id: int) -> Product:
        product = repository.get_live(self.session, product_id)
        if product is None:
            raise NotFound(f"product {product_id} not found", code="product_not_found")
        return product

    def list(self, filters: ProductFilters, limit: int = 50, offset: int = 0) -> tuple[list[Row[Any]], int]:
        for key in filters.sort:
            if key.lstrip("-") not in repository.SORTABLE:
                raise InvalidInput(
                    f"cannot sort by {key!r} (sortable: {', '.join(repository.SORTABLE)})", code="invalid_sort"
                )
        for status in filters.statuses:
            if status not in PRODUCT_STATUSES:
                raise InvalidInput(f"unknown status {status!r}", code="unknown_status")
        both = sorted(set(filters.listed_on) & set(filters.not_listed_on))
        if both:
            raise InvalidInput(
                f"{', '.join(both)} cannot be both in listed_on and in not_listed_on", code="contradictory_filter"
            )
        return repository.page(self.session, filters, limit, offset)

    def create(self, values: dict[str, Any]) -> Row[Any]:
        check_references(self.session, values)
        status = values.get("status", "draft")
        if status not in INITIAL_STATUSES:
            raise InvalidTransition(f"a new product starts as draft or published, not {status!r}")
        self._check_quota()
        now = datetime.now(UTC)
        with _sku_conflicts():
            return repository.insert(self.session, {**values, "status": status, **status_stamps(status, now)})

    def update(self, product_id: int, version: int, changes: dict[str, Any]) -> Product:
        current = self.get(product_id)
        if current.version != version:
            raise StaleVersion(
                f"product {product_id} is at version {current.version}, not {version}; reload it",
                current_version=current.version,
            )
        check_references(self.session, changes)
        values = dict(changes)
        target = values.get("status")
        if target is not None and target != current.status:
            check_transition(current.status, target)
            values.update(status_stamps(target, datetime.now(UTC)))
        with _sku_conflicts():
            updated = repository.update_versioned(self.session, product_id, version, values)
        if updated is None:  # another writer got in between our read and our write
            raise StaleVersion(f"product {product_id} changed meanwhile; reload it")
        return updated

    def delete(self, product_id: int, version: int | None = None) -> None:
        """Soft delete: the row stays (orders, history) but no route sees it again."""
        deleted = repository.update_versioned(self.session, product_id, version, {"deleted_at": func.now()})
        if deleted is None:
            current = repository.version_of(self.session, product_id)
            if current is None:
                raise NotFound(f"product {product_id} not found", code="product_not_found")
            raise StaleVersion(f"product {product_id} is at version {current}, not {version}; reload it")

    def bulk_status(self, product_ids: Sequence[int], status: str) -> BulkStatusResult:
        """Move many products to `status`; each one that cannot go there is reported, not fatal."""
        ids = list(dict.fromkeys(product_ids))
        if not ids or len(ids) > BULK_MAX:
            raise InvalidInput(f"give between 1 and {BULK_MAX} product ids", code="bulk_size")
        if status not in PRODUCT_STATUSES:
            raise InvalidInput(f"unknown status {status!r}", code="unknown_status")
        result = BulkStatusResult()
        found = {p.id: p for p in repository.live_by_ids(self.session, ids, lock=True)}
        now = datetime.now(UTC)
        for product_id in ids:
            product = found.get(product_id)
            if product is None:
                result.failed.append({"id": product_id, "code": "product_not_found"})
                continue
            try:
                check_transition(product.status, status)
            except InvalidTransition as exc:
                result.failed.append({"id": product_id, "code": exc.code, "detail": exc.detail})
                continue
            if product.status == status:
                result.updated.append(product)
                continue
            values = {"status": status, **status_stamps(status, now)}
            updated = repository.update_versioned(self.session, product_id, product.version, values)
            if updated is not None:
                result.updated.append(updated)
        return result

    def _check_quota(self) -> None:
        allowance = self.quota(self.session, self.tenant_id)
        if allowance is None:  # unlimited: nothing to count, nothing to serialise
            return
        # Two creations at once must not both pass the count: serialise them per tenant. The count
        # is its own statement, after the lock, so that its snapshot sees the other's insert.
        self.session.connection().execute(_QUOTA_LOCK_STATEMENT, {"tenant_id": self.tenant_id})
        if repository.count_live(self.session) >= allowance:
            raise ProductQuotaExceeded(
                f"your plan allows {allowance} products; delete some or upgrade",
                limit=allowance,
            )
