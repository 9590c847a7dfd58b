"""Where a product is listed: /products/{id}/listings, /products/{id}/history and the marketplace
filters of GET /products, through the products function."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

from stoflow.db.tenancy import tenant_session
from stoflow.models import MarketplaceJob, MarketplaceListing, PublicationHistory
from stoflow.models.images import ProductImage
from tests.integration.test_products_http import call, cloud, seller  # noqa: F401 (fixtures)


def _product(call, token: str, title: str) -> int:  # noqa: F811
    created = call("POST", "/products", {"title": title}, token=token)
    assert created.status == 201, created
    return int(created.json["id"])


def _listed(tenant_id: int, product_id: int, marketplace: str, status: str, **values: Any) -> None:
    with tenant_session(tenant_id) as session:
        job = MarketplaceJob(marketplace=marketplace, action="publish", product_id=product_id, status="completed")
        session.add(job)
        session.flush()
        session.add(
            MarketplaceListing(
                product_id=product_id, marketplace=marketplace, status=status, last_job_id=job.id, **values
            )
        )
        session.add(
            PublicationHistory(
                product_id=product_id,
                job_id=job.id,
                marketplace=marketplace,
                action="publish",
                outcome="success" if status != "error" else "failed",
                external_id=values.get("external_id"),
            )
        )


def test_listings_show_state_per_marketplace_and_history_newest_first(call) -> None:  # noqa: F811
    tenant, token = seller()
    product = _product(call, token, "Veste en jean")
    _listed(tenant, product, "ebay", "listed", external_id="110552", url="https://www.ebay.fr/itm/110552")
    _listed(tenant, product, "vinted", "error", last_error="photos refused")

    listings = call("GET", f"/products/{product}/listings", token=token)
    assert listings.status == 200, listings
    by_marketplace = {item["marketplace"]: item for item in listings.json["items"]}
    assert set(by_marketplace) == {"ebay", "vinted"}
    ebay = by_marketplace["ebay"]
    assert (ebay["status"], ebay["external_id"], ebay["url"]) == ("listed", "110552", "https://www.ebay.fr/itm/110552")
    assert ebay["last_synced_at"] and ebay["last_job_status"] == "completed" and ebay["last_error"] is None
    assert (by_marketplace["vinted"]["status"], by_marketplace["vinted"]["last_error"]) == ("error", "photos refused")

    history = call("GET", f"/products/{product}/history?limit=1", token=token)
    assert history.status == 200, history
    assert history.json["total"] == 2 and len(history.json["items"]) == 1
    assert history.json["items"][0]["marketplace"] == "vinted"  # the newest
    assert call("GET", f"/products/{product}/history?offset=5", token=token).json["total"] == 2


def test_a_product_never_sent_has_no_listings(call) -> None:  # noqa: F811
    _, token = seller()
    product = _product(call, token, "Pull")
    assert call("GET", f"/products/{product}/listings", token=token).json == {"product_id": product, "items": []}


def test_listings_of_another_tenants_product_answer_404(call) -> None:  # noqa: F811
    owner, owner_token = seller()
    _product(call, owner_token, "Chemise")
    product = _product(call, owner_token, "Robe")
    _listed(owner, product, "etsy", "listed", external_id="42")
    intruder_tenant, intruder = seller()
    # Ids start at 1 in each tenant schema: the intruder's own product 1 is not the owner's 2.
    assert (_product(call, intruder, "À moi"), product) == (1, 2)
    _listed(intruder_tenant, 1, "ebay", "listed")
    for path in (f"/products/{product}/listings", f"/products/{product}/history"):
        reply = call("GET", path, token=intruder)
        assert reply.status == 404 and reply.json["code"] == "product_not_found", reply
        assert reply.headers["content-type"] == "application/problem+json"
    assert call("DELETE", f"/products/{product}", token=owner_token).status == 204
    assert call("GET", f"/products/{product}/listings", token=owner_token).status == 404


def test_listings_bad_input_is_a_4xx_problem(call) -> None:  # noqa: F811
    _, token = seller()
    for path in (
        "/products/0/listings",
        "/products/abc/listings",
        f"/products/{2**63}/history",
        "/products/1/history?limit=0",
        "/products/1/history?offset=-1",
    ):
        reply = call("GET", path, token=token)
        assert reply.status == 422, (path, reply)
        assert reply.headers["content-type"] == "application/problem+json"
    assert call("GET", "/products/1/listings").status == 401


def test_products_filter_by_marketplace_state_in_one_statement(call) -> None:  # noqa: F811
    tenant, token = seller()
    ebay_only = _product(call, token, "eBay seulement")
    both = _product(call, token, "Les deux")
    nowhere = _product(call, token, "Nulle part")
    delisted = _product(call, token, "Retiré d'eBay")
    _listed(tenant, ebay_only, "ebay", "listed")
    _listed(tenant, both, "ebay", "listed")
    _listed(tenant, both, "vinted", "listed")
    _listed(tenant, delisted, "ebay", "delisted")

    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        if "products" in statement and statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    # On every engine: the function's own, whichever it is.
    event.listen(Engine, "before_cursor_execute", seen)
    try:
        reply = call("GET", "/products", token=token, query={"listed_on": "ebay", "not_listed_on": "vinted"})
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert reply.status == 200, reply
    assert [p["id"] for p in reply.json["items"]] == [ebay_only]
    assert len(statements) == 1, statements

    def ids(**query: Any) -> set[int]:
        found = call("GET", "/products", token=token, query=query)
        assert found.status == 200, found
        return {p["id"] for p in found.json["items"]}

    assert ids(listed_on=["ebay", "vinted"]) == {both}
    assert ids(not_listed_on="ebay") == {nowhere, delisted}
    assert ids(listed_on="ebay", q="Les") == {both}  # with the existing filters
    contradictory = call("GET", "/products", token=token, query={"listed_on": "etsy", "not_listed_on": "etsy"})
    assert contradictory.status == 422 and contradictory.json["code"] == "contradictory_filter"
    unknown = call("GET", "/products", token=token, query={"listed_on": "leboncoin"})
    assert unknown.status == 422 and unknown.headers["content-type"] == "application/problem+json"


def test_the_products_list_shows_each_rows_photo_and_marketplace_states_in_one_statement(call) -> None:  # noqa: F811
    tenant, token = seller()
    shown = _product(call, token, "Veste avec photo")
    bare = _product(call, token, "Sans photo")
    _listed(tenant, shown, "ebay", "listed")
    _listed(tenant, shown, "vinted", "sold")
    with tenant_session(tenant) as session:
        # The label comes first in the order: the row's photo is still the first customers see.
        session.add(ProductImage(product_id=shown, position=0, is_label=True, url="https://img.example/label.jpg"))
        session.add(ProductImage(product_id=shown, position=1, url="https://img.example/front.jpg"))
        session.add(ProductImage(product_id=shown, position=2, url="https://img.example/back.jpg"))
        session.add(ProductImage(product_id=bare, position=0, is_label=True, url="https://img.example/only-label.jpg"))

    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "products" in statement:
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        reply = call("GET", "/products", token=token, query={"sort": "title"})
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert reply.status == 200, reply
    rows = {p["id"]: p for p in reply.json["items"]}
    assert rows[shown]["thumbnail_url"] == "https://img.example/front.jpg"
    assert rows[shown]["listings"] == {"ebay": "listed", "vinted": "sold"}
    assert (rows[bare]["thumbnail_url"], rows[bare]["listings"]) == (None, {})
    assert len(statements) == 1, statements


def test_a_product_answer_carries_its_listings_and_catalogue_names(call) -> None:  # noqa: F811
    tenant, token = seller()
    brands = call("GET", "/catalog/brands", token=token).json["items"]
    categories = call("GET", "/catalog/categories", token=token).json["items"]
    sizes = call("GET", "/catalog/sizes", token=token).json["items"]
    colors = call("GET", "/catalog/colors", token=token).json["items"]
    child = next(c for c in categories if c["parent_id"] is not None)
    parent = next(c for c in categories if c["id"] == child["parent_id"])
    body = {
        "title": "Jean droit",
        "brand_id": brands[0]["id"],
        "category_id": child["id"],
        "size_id": sizes[0]["id"],
        "color_ids": [colors[0]["id"], colors[1]["id"]],
    }
    product = call("POST", "/products", body, token=token).json["id"]
    _listed(tenant, product, "etsy", "delisted", external_id="4242")

    answer = call("GET", f"/products/{product}", token=token)
    assert answer.status == 200, answer
    assert [(item["marketplace"], item["status"], item["external_id"]) for item in answer.json["listings"]] == [
        ("etsy", "delisted", "4242")
    ]
    names = answer.json["catalog_names"]
    assert names["brands"] == {str(brands[0]["id"]): brands[0]["name"]}
    assert names["categories"][str(child["id"])].startswith(parent["name"] + " \u203a ")
    assert names["categories"][str(child["id"])].endswith(child["name"])
    assert names["sizes"] == {str(sizes[0]["id"]): f"{sizes[0]['label']} \u00b7 {sizes[0]['system']}"}
    assert names["colors"] == {str(c["id"]): c["name"] for c in colors[:2]}
    assert "materials" not in names


def test_marketplace_filter_never_sees_another_tenants_listings(call) -> None:  # noqa: F811
    other, other_token = seller()
    _listed(other, _product(call, other_token, "Ailleurs"), "ebay", "listed")
    _, token = seller()
    mine = _product(call, token, "Chez moi")
    reply = call("GET", "/products", token=token, query={"not_listed_on": "ebay"})
    assert [p["id"] for p in reply.json["items"]] == [mine]
    assert call("GET", "/products", token=token, query={"listed_on": "ebay"}).json["total"] == 0
