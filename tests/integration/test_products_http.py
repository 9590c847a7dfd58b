"""/products, /products/{id}/images and /catalog through the Lambda handlers (API Gateway 2.0
events → the gateway adapter → FastAPI → services → PostgreSQL and moto S3)."""

from __future__ import annotations

import itertools
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from stoflow import aws, runtime
from stoflow.config import get_settings
from stoflow.db.tenancy import tenant_session
from stoflow.models import ProductImage
from tests.support.api import Reply, http_event, load_function
from tests.support.images import jpeg, png_claiming

_n = itertools.count(1)


@pytest.fixture
def cloud(identity):
    """Identity test settings (tests.support.api) plus the images bucket in the same moto S3."""
    runtime.reset()
    s3 = aws.client("s3")
    s3.create_bucket(
        Bucket=get_settings().images_bucket, CreateBucketConfiguration={"LocationConstraint": get_settings().aws_region}
    )
    yield s3
    runtime.reset()


@pytest.fixture
def call(cloud):
    handlers = {"products": load_function("products").handler, "catalog": load_function("catalog").handler}

    def invoke(
        method: str, path: str, body: Any = None, *, query: dict[str, Any] | None = None, **kwargs: Any
    ) -> Reply:
        function = "catalog" if path.startswith("/catalog") else "products"
        if query:
            path = f"{path}?{urlencode(query, doseq=True)}"
        return Reply(handlers[function](http_event(method, path, body, **kwargs), None))

    return invoke


def seller() -> tuple[int, str]:
    """A registered, logged-in user: (tenant id, access token)."""
    from stoflow.services.accounts import register
    from stoflow.services.auth import login

    n = next(_n)
    email, password = f"seller{n}.{uuid.uuid4().hex[:6]}@example.com", "correct horse battery"
    ip = f"198.18.{n // 250}.{n % 250 + 1}"  # one address each: registration is rate limited per IP
    profile = register(email, password, ip)
    return profile.tenant_id, login(email, password, ip).access_token


def stored_keys(s3) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=get_settings().images_bucket).get("Contents", [])]


def add_image(call, s3, token: str, product_id: int, data: bytes) -> Reply:
    ticket = call("POST", f"/products/{product_id}/images/uploads", {"content_type": "image/jpeg"}, token=token)
    assert ticket.status == 201, ticket
    s3.put_object(Bucket=get_settings().images_bucket, Key=ticket.json["upload"]["fields"]["key"], Body=data)
    return call("POST", f"/products/{product_id}/images/{ticket.json['image_id']}/complete", token=token)


# --- products ----------------------------------------------------------------------------------


def test_products_crud_with_versions_and_soft_delete(call) -> None:
    _, token = seller()
    created = call(
        "POST",
        "/products",
        {"title": "Jean Levi's 501", "price": "35.00", "brand_id": 52, "color_ids": [9], "measurements": {"waist": 40}},
        token=token,
    )
    assert created.status == 201, created
    product = created.json
    assert (product["price"], product["status"], product["version"]) == ("35.00", "draft", 1)

    edited = call(
        "PATCH", f"/products/{product['id']}", {"version": 1, "price": "29.90", "status": "published"}, token=token
    )
    assert edited.status == 200 and edited.json["version"] == 2 and edited.json["published_at"]
    stale = call("PATCH", f"/products/{product['id']}", {"version": 1, "title": "lost update"}, token=token)
    assert stale.status == 409 and stale.json["code"] == "stale_version"
    wrong = call("PATCH", f"/products/{product['id']}", {"version": 2, "status": "draft", "title": None}, token=token)
    assert wrong.status == 422

    listed = call("GET", "/products", token=token, query={"status": "published", "sort": "-price"})
    assert listed.status == 200 and [p["id"] for p in listed.json["items"]] == [product["id"]]
    assert (listed.json["total"], listed.json["limit"], listed.json["offset"]) == (1, 50, 0)

    assert call("DELETE", f"/products/{product['id']}", token=token, query={"version": 1}).status == 409
    assert call("DELETE", f"/products/{product['id']}", token=token).status == 204
    assert call("GET", f"/products/{product['id']}", token=token).status == 404
    assert call("GET", "/products", token=token).json["total"] == 0


def test_transitions_bulk_and_quota_problems(call, engine) -> None:
    _, token = seller()
    ids = [call("POST", "/products", {"title": f"Pull {i}"}, token=token).json["id"] for i in range(3)]
    sold = call("PATCH", f"/products/{ids[0]}", {"version": 1, "status": "sold"}, token=token)
    assert sold.status == 409 and sold.json["code"] == "invalid_status_transition"
    bulk = call("POST", "/products/bulk/status", {"ids": [*ids, 10**9], "status": "published"}, token=token)
    assert bulk.status == 200
    assert sorted(p["id"] for p in bulk.json["updated"]) == sorted(ids)
    assert bulk.json["failed"] == [{"id": 10**9, "code": "product_not_found", "detail": None}]

    for i in range(27):  # the FREE tier allows 30 live products
        assert call("POST", "/products", {"title": f"Jupe {i}"}, token=token).status == 201
    over = call("POST", "/products", {"title": "one too many"}, token=token)
    assert over.status == 403 and over.json["code"] == "product_quota_exceeded"
    assert over.headers["content-type"] == "application/problem+json"


def test_another_tenants_ids_answer_404_on_every_route(call, cloud) -> None:
    _, owner = seller()
    _, intruder = seller()
    # The owner's ids must not exist in the intruder's schema: give the owner a few first.
    for _ in range(3):
        call("POST", "/products", {"title": "filler"}, token=owner)
    product = call("POST", "/products", {"title": "Sac Longchamp"}, token=owner).json["id"]
    for _ in range(2):
        assert add_image(call, cloud, owner, product, jpeg()).status == 200
    image = add_image(call, cloud, owner, product, jpeg()).json["id"]
    own = call("POST", "/products", {"title": "mine"}, token=intruder).json["id"]

    attempts = [
        ("GET", f"/products/{product}", None),
        ("PATCH", f"/products/{product}", {"version": 1, "title": "stolen"}),
        ("DELETE", f"/products/{product}", None),
        ("GET", f"/products/{product}/images", None),
        ("POST", f"/products/{product}/images/uploads", {"content_type": "image/jpeg"}),
        ("POST", f"/products/{product}/images/{image}/complete", None),
        ("PUT", f"/products/{product}/images/order", {"image_ids": [image]}),
        ("PATCH", f"/products/{product}/images/{image}", {"is_label": True}),
        ("DELETE", f"/products/{product}/images/{image}", None),
        # the intruder's own product with the owner's image id
        ("PUT", f"/products/{own}/images/order", {"image_ids": [image]}),
        ("PATCH", f"/products/{own}/images/{image}", {"is_label": True}),
        ("DELETE", f"/products/{own}/images/{image}", None),
        ("POST", f"/products/{own}/images/{image}/complete", None),
    ]
    for method, path, body in attempts:
        reply = call(method, path, body, token=intruder)
        assert reply.status == 404, (method, path, reply)
        assert reply.json["code"] in ("product_not_found", "image_not_found")
    bulk = call("POST", "/products/bulk/status", {"ids": [product], "status": "archived"}, token=intruder)
    assert bulk.json["updated"] == [] and bulk.json["failed"][0]["code"] == "product_not_found"

    # and nothing changed for the owner
    mine = call("GET", f"/products/{product}", token=owner).json
    assert (mine["title"], mine["status"], len(mine["images"])) == ("Sac Longchamp", "draft", 3)
    assert not any(i["is_label"] for i in mine["images"])


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"", 422, "image_empty"),
        (jpeg(900, 700)[:1200], 422, "image_truncated"),
        (b"<?php echo 'not an image'; ?>", 422, "image_type_unsupported"),
        (png_claiming(40_000, 40_000), 422, "image_bomb"),
    ],
)
def test_bad_images_get_a_clear_4xx_and_nothing_is_stored(call, cloud, data, status, code) -> None:
    tenant, token = seller()
    product = call("POST", "/products", {"title": "Robe"}, token=token).json["id"]
    reply = add_image(call, cloud, token, product, data)
    assert (reply.status, reply.json["code"]) == (status, code), reply
    assert stored_keys(cloud) == []
    with tenant_session(tenant) as session:
        assert session.scalars(select(ProductImage)).all() == []


def test_too_large_and_too_many_images(call, cloud, monkeypatch) -> None:
    _, token = seller()
    product = call("POST", "/products", {"title": "Manteau"}, token=token).json["id"]
    too_big = call(
        "POST", f"/products/{product}/images/uploads", {"content_type": "image/jpeg", "size": 10**9}, token=token
    )
    assert too_big.status == 413 and too_big.json["code"] == "image_too_large"
    wrong_type = call("POST", f"/products/{product}/images/uploads", {"content_type": "image/gif"}, token=token)
    assert wrong_type.status == 422 and wrong_type.json["code"] == "image_type_unsupported"

    monkeypatch.setattr(get_settings(), "images_per_product_max", 2)
    assert add_image(call, cloud, token, product, jpeg()).status == 200
    assert add_image(call, cloud, token, product, jpeg()).status == 200
    third = call("POST", f"/products/{product}/images/uploads", {"content_type": "image/jpeg"}, token=token)
    assert third.status == 409 and third.json["code"] == "too_many_images"


def test_images_label_order_and_delete(call, cloud) -> None:
    _, token = seller()
    product = call("POST", "/products", {"title": "Baskets Veja"}, token=token).json["id"]
    a, b, c = (add_image(call, cloud, token, product, jpeg(300 + i, 200)).json for i in range(3))
    assert [a["order"], b["order"], c["order"]] == [0, 1, 2] and a["width"] == 300 and a["url"]

    assert call(
        "PATCH", f"/products/{product}/images/{c['id']}", {"is_label": True, "tags": ["Label"]}, token=token
    ).json["is_label"]
    assert call("PATCH", f"/products/{product}/images/{b['id']}", {"is_label": True}, token=token).status == 200
    listed = call("GET", f"/products/{product}/images", token=token).json["items"]
    assert [(i["id"], i["is_label"]) for i in listed] == [(a["id"], False), (b["id"], True), (c["id"], False)]

    order = call("PUT", f"/products/{product}/images/order", {"image_ids": [c["id"], a["id"], b["id"]]}, token=token)
    assert [i["id"] for i in order.json["items"]] == [c["id"], a["id"], b["id"]]
    partial = call("PUT", f"/products/{product}/images/order", {"image_ids": [c["id"]]}, token=token)
    assert partial.status == 422 and partial.json["code"] == "order_mismatch"

    assert call("DELETE", f"/products/{product}/images/{a['id']}", token=token).status == 204
    listed = call("GET", f"/products/{product}/images", token=token).json["items"]
    assert [(i["id"], i["order"]) for i in listed] == [(c["id"], 0), (b["id"], 1)]
    assert len(stored_keys(cloud)) == 2


# --- catalogues --------------------------------------------------------------------------------


def test_catalogues_are_served_with_caching_headers(call) -> None:
    _, token = seller()
    assert call("GET", "/catalog/conditions").status == 401
    conditions = call("GET", "/catalog/conditions", token=token)
    assert conditions.status == 200
    by_slug = {c["slug"]: c for c in conditions.json["items"]}
    assert by_slug["new_with_tags"]["vinted_status_id"] == 6 and by_slug["new_with_tags"]["ebay_condition"] == "NEW"
    assert "public" in conditions.headers["cache-control"] and "max-age=" in conditions.headers["cache-control"]
    again = call("GET", "/catalog/conditions", token=token, headers={"if-none-match": conditions.headers["etag"]})
    assert again.status == 304 and again.json is None
    for kind, at_least in (
        ("brands", 150),
        ("categories", 60),
        ("sizes", 100),
        ("colors", 20),
        ("materials", 30),
        ("genders", 5),
        ("seasons", 4),
        ("patterns", 10),
    ):
        assert len(call("GET", f"/catalog/{kind}", token=token).json["items"]) >= at_least, kind
    unknown = call("GET", "/catalog/vehicles", token=token)
    assert unknown.status == 404 and unknown.json["code"] == "unknown_catalog"


def test_routes_need_a_token(call) -> None:
    assert call("GET", "/products").status == 401
    assert call("POST", "/products/1/images/uploads", {"content_type": "image/jpeg"}).status == 401


def test_an_expired_upload_is_refused_and_removed(call, cloud, monkeypatch) -> None:
    tenant, token = seller()
    product = call("POST", "/products", {"title": "Chemise"}, token=token).json["id"]
    ticket = call("POST", f"/products/{product}/images/uploads", {"content_type": "image/jpeg"}, token=token).json
    cloud.put_object(Bucket=get_settings().images_bucket, Key=ticket["upload"]["fields"]["key"], Body=jpeg())
    monkeypatch.setattr(get_settings(), "image_upload_ttl_s", -1)  # every upload is now past its POST
    expired = call("POST", f"/products/{product}/images/{ticket['image_id']}/complete", token=token)
    assert (expired.status, expired.json["code"]) == (409, "upload_expired")
    assert stored_keys(cloud) == []
    with tenant_session(tenant) as session:
        assert session.scalars(select(ProductImage)).all() == []
