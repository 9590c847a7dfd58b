"""Readiness of products per marketplace (GET /products/{id}/readiness, the list views on request)
and the refusal of jobs that would fail (POST /jobs): each marketplace's rules come from its
descriptor; the facts are loaded once for all products and marketplaces asked about."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from stoflow.domain.readiness import Issue, Verdict, load_facts
from stoflow.errors import NotFound, NotReady
from stoflow.marketplaces import registry


def _marketplaces(names: Iterable[str] | None) -> list[Any]:
    chosen = list(registry.all_marketplaces())
    if names is not None:
        wanted = set(names)
        chosen = [m for m in chosen if m.name in wanted]
    return [m for m in chosen if m.readiness is not None]


def readiness(
    session: Session,
    product_ids: Sequence[int],
    marketplaces: Iterable[str] | None = None,
    params: Mapping[str, Any] | None = None,
) -> dict[int, list[Verdict]]:
    """Per live product among `product_ids`, one verdict per marketplace (registry order)."""
    facts = load_facts(session, product_ids)
    listed = [facts[i] for i in dict.fromkeys(product_ids) if i in facts]
    result: dict[int, list[Verdict]] = {f.id: [] for f in listed}
    if not listed:
        return result
    for marketplace in _marketplaces(marketplaces):
        issues: dict[int, list[Issue]] = marketplace.load("readiness")(session, listed, dict(params or {}))
        for f in listed:
            result[f.id].append(Verdict(marketplace.name, f.id, tuple(issues.get(f.id, ()))))
    return result


def product_readiness(session: Session, product_id: int) -> list[Verdict]:
    found = readiness(session, [product_id])
    if product_id not in found:
        raise NotFound(f"no product {product_id}", code="product_not_found")
    return found[product_id]


def split_ready(
    session: Session, marketplace: str, product_ids: Sequence[int], params: Mapping[str, Any]
) -> tuple[list[int], list[dict[str, Any]], set[int]]:
    """(the products ready on `marketplace` or not found, in the order given; each other one with
    its issues; the live products among `product_ids`)."""
    verdicts = readiness(session, product_ids, [marketplace], params)
    refused = [v for found in verdicts.values() for v in found if not v.ready]
    not_ready = {v.product_id for v in refused}
    ready = [product_id for product_id in product_ids if product_id not in not_ready]
    return (
        ready,
        [{"product_id": v.product_id, "issues": [i.as_dict() for i in v.issues]} for v in refused],
        set(verdicts),
    )


def require_ready(
    session: Session, marketplace: str, product_ids: Sequence[int], params: Mapping[str, Any], *, some: bool = False
) -> tuple[list[dict[str, Any]], set[int]]:
    """NotReady (422) listing each product that is not ready on `marketplace`, with its issues: a
    batch goes out whole or not at all, and says per product what to fix. With `some`, the batch
    goes out with the ready products and the others are returned (422 only when none is ready).
    Returns (the products left out, the live products among `product_ids`: the job system need
    not read again which exist)."""
    ready, refused, live = split_ready(session, marketplace, product_ids, params)
    if refused and (not some or not ready):
        raise NotReady(
            f"{len(refused)} of {len(product_ids)} products are not ready for {marketplace}",
            marketplace=marketplace,
            products=refused,
        )
    return refused, live
