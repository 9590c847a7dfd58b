"""ProductImageService on real PostgreSQL and S3 (moto): uploads, refusals, label, order, limits."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from moto import mock_aws
from PIL import Image
from sqlalchemy import update

from stoflow import runtime
from stoflow.aws import client
from stoflow.config import get_settings
from stoflow.db.tenancy import tenant_session
from stoflow.errors import ImageTooLarge, InvalidImage, InvalidInput, NotFound, TooManyImages
from stoflow.models import ProductImage
from stoflow.services.images import ProductImageService, cleanup_all_tenants
from stoflow.services.photos import choose_photos, photos_for_marketplace
from stoflow.services.products import ProductService
from tests.support.images import jpeg, png_claiming


@pytest.fixture
def s3():
    with mock_aws():
        runtime.reset()
        s3 = client("s3")
        s3.create_bucket(
            Bucket=get_settings().images_bucket,
            CreateBucketConfiguration={"LocationConstraint": get_settings().aws_region},
        )
        yield s3
    runtime.reset()


def keys(s3) -> list[str]:
    listed = s3.list_objects_v2(Bucket=get_settings().images_bucket)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def new_product(tenant: int) -> int:
    with tenant_session(tenant) as session:
        return ProductService(session, tenant, quota=lambda *_: None).create({"title": "Veste Barbour"}).id


def with_images(tenant: int, product_id: int, count: int) -> list[int]:
    with tenant_session(tenant) as session:
        svc = ProductImageService(session, tenant)
        return [svc.add_image(product_id, jpeg(60 + i, 40)).id for i in range(count)]


def uploaded(s3, tenant: int, product_id: int, data: bytes, content_type: str = "image/jpeg") -> int:
    """request_upload, then the browser's part: the file lands under the presigned key."""
    with tenant_session(tenant) as session:
        ticket = ProductImageService(session, tenant).request_upload(product_id, content_type)
    s3.put_object(Bucket=get_settings().images_bucket, Key=ticket.upload.fields["key"], Body=data)
    return ticket.image.id


def test_upload_then_complete_stores_the_processed_image(s3, make_tenant) -> None:
    tenant = make_tenant()
    product_id = new_product(tenant)
    with tenant_session(tenant) as session:
        ticket = ProductImageService(session, tenant).request_upload(product_id, "image/jpeg")
    conditions = ticket.upload.fields
    assert conditions["Content-Type"] == "image/jpeg" and "policy" in conditions
    s3.put_object(Bucket=get_settings().images_bucket, Key=conditions["key"], Body=jpeg(3000, 1500, gps=True))

    with tenant_session(tenant) as session:
        image = ProductImageService(session, tenant).complete(product_id, ticket.image.id)
    assert (image.status, image.position, image.width, image.height) == ("ready", 0, 2000, 1000)
    assert image.mime_type == "image/jpeg" and image.file_size > 0
    assert keys(s3) == [image.storage_key]  # the original upload is gone, only the processed image stays
    stored = s3.get_object(Bucket=get_settings().images_bucket, Key=image.storage_key)["Body"].read()
    assert len(stored) == image.file_size and b"PhoneMaker" not in stored


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "image_empty"),
        (jpeg(800, 600)[:900], "image_truncated"),
        (b"MZ\x90\x00 this is a program" * 10, "image_type_unsupported"),
        (png_claiming(40_000, 40_000), "image_bomb"),
    ],
)
def test_a_bad_upload_is_refused_and_nothing_is_stored(s3, make_tenant, data, code) -> None:
    tenant = make_tenant()
    product_id = new_product(tenant)
    image_id = uploaded(s3, tenant, product_id, data)
    # The router answers a refusal without raising, so the transaction commits (raises inside).
    with tenant_session(tenant) as session, pytest.raises(InvalidImage) as caught:
        ProductImageService(session, tenant).complete(product_id, image_id)
    assert caught.value.code == code and 400 <= caught.value.status < 500
    assert keys(s3) == []
    with tenant_session(tenant) as session:
        assert session.get(ProductImage, image_id) is None


def test_an_upload_over_the_size_limit_is_refused(s3, make_tenant, monkeypatch) -> None:
    tenant = make_tenant()
    product_id = new_product(tenant)
    with tenant_session(tenant) as session, pytest.raises(ImageTooLarge):
        ProductImageService(session, tenant).request_upload(product_id, "image/jpeg", size=10**9)
    image_id = uploaded(s3, tenant, product_id, jpeg(1000, 1000))
    monkeypatch.setattr(get_settings(), "image_max_upload_bytes", 1000)
    with tenant_session(tenant) as session, pytest.raises(ImageTooLarge) as caught:
        ProductImageService(session, tenant).complete(product_id, image_id)
    assert caught.value.status == 413 and keys(s3) == []


def test_at_most_twenty_images(s3, make_tenant) -> None:
    tenant = make_tenant()
    product_id = new_product(tenant)
    with_images(tenant, product_id, 19)
    uploaded(s3, tenant, product_id, jpeg())  # the 20th, still in flight, holds its slot
    with tenant_session(tenant) as session, pytest.raises(TooManyImages):
        ProductImageService(session, tenant).request_upload(product_id, "image/png")
    with tenant_session(tenant) as session, pytest.raises(TooManyImages):
        ProductImageService(session, tenant).add_image(product_id, jpeg())


def test_one_label_at_most_and_photos_never_include_it(s3, make_tenant) -> None:
    tenant = make_tenant()
    product_id = new_product(tenant)
    first, second, third = with_images(tenant, product_id, 3)
    with tenant_session(tenant) as session:
        svc = ProductImageService(session, tenant)
        svc.set_label_flag(product_id, third, True)
        svc.set_label_flag(product_id, second, True)
    with tenant_session(tenant) as session:
        svc = ProductImageService(session, tenant)
        assert svc.get_label_image(product_id).id == second
        assert [i.id for i in svc.get_product_photos(product_id)] == [first, third]
        for marketplace in ("vinted", "ebay", "etsy"):
            assert [i.id for i in photos_for_marketplace(session, product_id, marketplace)] == [first, third]
        everything = svc.list_images(product_id)
        assert second not in [i.id for i in choose_photos(everything)]


def test_delete_renumbers_and_reorder_takes_every_id_once(s3, make_tenant) -> None:
    tenant = make_tenant()
    product_id = new_product(tenant)
    a, b, c, d = with_images(tenant, product_id, 4)
    with tenant_session(tenant) as session:
        ProductImageService(session, tenant).delete_image(product_id, b)
    assert len(keys(s3)) == 3  # its object went once the deletion committed
    with tenant_session(tenant) as session:
        svc = ProductImageService(session, tenant)
        assert [(i.id, i.position) for i in svc.list_images(product_id)] == [(a, 0), (c, 1), (d, 2)]
        assert [i.id for i in svc.reorder(product_id, [d, a, c])] == [d, a, c]
        with pytest.raises(InvalidInput):
            svc.reorder(product_id, [d, a])
        with pytest.raises(NotFound):
            svc.reorder(product_id, [d, a, b])


def test_another_tenants_or_products_images_are_not_found(s3, make_tenant) -> None:
    owner, other = make_tenant(), make_tenant()
    # Ids are per schema: make the owner's ids ones the other tenant does not have.
    product_id = [new_product(owner) for _ in range(3)][-1]
    with_images(owner, new_product(owner), 2)
    (image_id,) = with_images(owner, product_id, 1)
    other_product = new_product(other)
    with tenant_session(other) as session:
        svc = ProductImageService(session, other)
        for call in (
            lambda: svc.list_images(product_id),
            lambda: svc.set_label_flag(other_product, image_id, True),
            lambda: svc.update_image(other_product, image_id, {"alt_text": "x"}),
            lambda: svc.delete_image(other_product, image_id),
            lambda: svc.reorder(other_product, [image_id]),
            lambda: svc.complete(other_product, image_id),
        ):
            with pytest.raises(NotFound):
                call()


def test_abandoned_uploads_are_cleaned_up(s3, make_tenant) -> None:
    tenant = make_tenant()
    product_id = new_product(tenant)
    abandoned = uploaded(s3, tenant, product_id, jpeg())
    fresh = uploaded(s3, tenant, product_id, jpeg())
    long_ago = datetime.now(UTC) - timedelta(days=2)
    with tenant_session(tenant) as session:
        session.execute(update(ProductImage).where(ProductImage.id == abandoned).values(created_at=long_ago))
    assert cleanup_all_tenants(tenant_ids=[tenant]) == {tenant: 1}
    with tenant_session(tenant) as session:
        assert session.get(ProductImage, abandoned) is None
        assert session.get(ProductImage, fresh) is not None
    assert len(keys(s3)) == 1


def test_the_processed_image_is_readable_and_small(s3, make_tenant) -> None:
    tenant = make_tenant()
    product_id = new_product(tenant)
    (image_id,) = with_images(tenant, product_id, 1)
    with tenant_session(tenant) as session:
        image = session.get(ProductImage, image_id)
    body = s3.get_object(Bucket=get_settings().images_bucket, Key=image.storage_key)["Body"].read()
    assert Image.open(io.BytesIO(body)).size == (60, 40)


def test_the_presigned_post_carries_size_and_type_conditions_and_works(s3, make_tenant) -> None:
    """S3 enforces the policy (moto does not): check what we sign, then upload as a browser would."""
    import base64
    import json

    import requests

    tenant = make_tenant()
    product_id = new_product(tenant)
    with tenant_session(tenant) as session:
        ticket = ProductImageService(session, tenant).request_upload(product_id, "image/png")
    policy = json.loads(base64.b64decode(ticket.upload.fields["policy"]))
    assert ["content-length-range", 1, get_settings().image_max_upload_bytes] in policy["conditions"]
    assert {"Content-Type": "image/png"} in policy["conditions"]
    assert {"key": ticket.upload.fields["key"]} in policy["conditions"]

    picture = io.BytesIO()
    Image.new("RGB", (120, 80), (0, 90, 200)).save(picture, "PNG")
    posted = requests.post(
        ticket.upload.url,
        data=ticket.upload.fields,
        files={"file": ("photo.png", picture.getvalue(), "image/png")},
        timeout=10,
    )
    assert posted.status_code in (200, 201, 204)
    with tenant_session(tenant) as session:
        image = ProductImageService(session, tenant).complete(product_id, ticket.image.id)
    assert (image.width, image.height, image.mime_type) == (120, 80, "image/jpeg")


def test_complete_refuses_when_the_product_filled_up_meanwhile(s3, make_tenant, monkeypatch) -> None:
    tenant = make_tenant()
    product_id = new_product(tenant)
    with_images(tenant, product_id, 2)
    image_id = uploaded(s3, tenant, product_id, jpeg())
    monkeypatch.setattr(get_settings(), "images_per_product_max", 2)  # as if others completed first
    with tenant_session(tenant) as session, pytest.raises(TooManyImages):
        ProductImageService(session, tenant).complete(product_id, image_id)
    assert len(keys(s3)) == 2 and not any(k.startswith("uploads/") for k in keys(s3))
    with tenant_session(tenant) as session:
        assert session.get(ProductImage, image_id) is None
