"""eBay category suggestions for a product's title (Taxonomy getCategorySuggestions), on the
category tree of the seller's site. Only for a connected account (the site is the account's);
the product is read in a short transaction, eBay is called after it."""

from __future__ import annotations

from typing import Any

from stoflow.db.tenancy import tenant_session
from stoflow.errors import MarketplaceNotConnected, MarketplaceUnavailable, NotFound
from stoflow.marketplaces.common.api_error import MarketplaceApiError
from stoflow.models.ebay_account import EbayCredentials
from stoflow.repositories import marketplace_accounts as accounts
from stoflow.repositories import products as products_repository
from stoflow.repositories import readiness as repository


def suggest(tenant_id: int, product_id: int) -> dict[str, Any]:
    from stoflow.marketplaces.common.connector import unreachable
    from stoflow.marketplaces.ebay.taxonomy import EbayTaxonomy

    with tenant_session(tenant_id) as session:
        row = accounts.get(session, EbayCredentials)
        if row is None or row.status != "connected":
            raise MarketplaceNotConnected("connect eBay to get its category suggestions")
        product = products_repository.get_live(session, product_id)
        if product is None:
            raise NotFound(f"no product {product_id}", code="product_not_found")
        site, title = row.marketplace_id, product.title
        tree = repository.category_tree(session, "ebay", site)
        tree_id = tree.tree_id if tree is not None else None
    taxonomy = EbayTaxonomy()
    try:
        if tree_id is None:
            tree_id, _ = taxonomy.default_tree(site)
        found = taxonomy.suggestions(tree_id, title)
    except MarketplaceApiError as exc:
        if exc.host is not None:
            raise unreachable(exc) from None
        raise MarketplaceUnavailable(f"eBay failed to suggest categories: {exc.code}") from None
    finally:
        taxonomy.close()
    return {"marketplace": "ebay", "site": site, "query": title, "suggestions": found}
