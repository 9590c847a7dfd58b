"""Account export (a download link to a ZIP of JSON and CSV) and account deletion (the tenant
schema dropped, nothing of the user left in `public`), through the account function."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import pytest
from sqlalchemy import MetaData, String, Table, Text, cast, func, inspect, or_, select, text

from stoflow import aws
from stoflow.config import get_settings
from stoflow.db.tenancy import tenant_session
from stoflow.models import MarketplaceListing, ProductImage, VintedOrder
from stoflow.repositories import account_owners
from stoflow.services.account_deletion import public_tables_naming_users
from tests.support.api import Call, caller, new_ip, register_and_login

PASSWORD = "correct horse battery"


@pytest.fixture
def s3(identity) -> Any:
    client = aws.client("s3")
    client.create_bucket(
        Bucket=get_settings().images_bucket, CreateBucketConfiguration={"LocationConstraint": get_settings().aws_region}
    )
    return client


@pytest.fixture
def call(s3) -> Call:
    return caller("account")


@pytest.fixture
def auth() -> Call:
    return caller("auth")


def _seed(tenant_id: int, s3: Any) -> None:
    from stoflow.models import Product

    with tenant_session(tenant_id) as session:
        product = Product(title='Veste, en "jean"', price=35, color_ids=[1, 2], measurements={"chest": 52})
        session.add(product)
        session.flush()
        key = f"images/{tenant_id}/{product.id}/1-abc.jpg"
        session.add(ProductImage(product_id=product.id, storage_key=key, position=0, mime_type="image/jpeg"))
        session.add(MarketplaceListing(product_id=product.id, marketplace="ebay", status="listed", external_id="11"))
        session.add(VintedOrder(transaction_id=77, product_id=product.id, title="Veste", price=35, status="done"))
        account_owners.claim(session, "ebay", f"ebay-user-{tenant_id}", tenant_id)  # whose sale notices
    s3.put_object(Bucket=get_settings().images_bucket, Key=key, Body=b"jpeg bytes")


def _download(url: str) -> bytes:
    """GET the link as a browser would, without credentials (moto intercepts `requests`)."""
    import requests

    assert "X-Amz-Signature=" in url and "/exports/" in url
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    assert answer.headers["content-disposition"].startswith("attachment; filename=")
    return answer.content


def test_export_is_a_zip_of_json_and_csv_behind_a_link(call, s3) -> None:
    account = register_and_login(PASSWORD)
    _seed(account["id"], s3)
    reply = call("POST", "/account/export", token=account["access_token"])
    assert reply.status == 201, reply
    assert {f["name"]: f["rows"] for f in reply.json["files"]} == {
        "export.json": 4,
        "products.csv": 1,
        "images.csv": 1,
        "listings.csv": 1,
        "orders.csv": 1,
    }
    archive = zipfile.ZipFile(io.BytesIO(_download(reply.json["url"])))
    assert reply.json["size_bytes"] > 0
    document = json.loads(archive.read("export.json"))
    assert document["account"]["email"] == account["email"]
    assert document["products"][0]["title"] == 'Veste, en "jean"'
    assert document["products"][0]["price"] == "35.00"
    assert document["images"][0]["download_url"]
    assert document["listings"][0]["external_id"] == "11"
    assert document["orders"][0]["marketplace"] == "vinted"
    products = list(csv.DictReader(io.StringIO(archive.read("products.csv").decode())))
    assert products[0]["title"] == 'Veste, en "jean"' and json.loads(products[0]["color_ids"]) == [1, 2]


def test_export_is_only_the_callers_data(call, s3) -> None:
    other = register_and_login(PASSWORD)
    _seed(other["id"], s3)
    mine = register_and_login(PASSWORD)
    reply = call("POST", "/account/export", token=mine["access_token"])
    assert reply.status == 201
    assert {f["name"]: f["rows"] for f in reply.json["files"]}["export.json"] == 0
    assert other["email"] not in _download(reply.json["url"]).decode("latin-1")


def _leftovers(engine: Any, user_id: int, email: str) -> dict[str, int]:
    """Rows of every table in `public` that still name the user: by id column or by email."""
    found: dict[str, int] = {}
    with engine.connect() as connection, connection.begin():
        for table, columns in public_tables_naming_users():
            n = connection.scalar(select(func.count()).select_from(table).where(or_(*(c == user_id for c in columns))))
            if n:
                found[table.name] = n
        for name in inspect(connection).get_table_names(schema="public"):
            table = Table(name, MetaData(), schema="public", autoload_with=connection)
            textual = [c for c in table.c if isinstance(c.type, String | Text)]
            if textual:
                n = connection.scalar(
                    select(func.count())
                    .select_from(table)
                    .where(or_(*(cast(c, Text).contains(email) for c in textual)))
                )
                if n:
                    found[f"{name} (email)"] = n
        if connection.scalar(text("SELECT count(*) FROM public.users WHERE id = :id"), {"id": user_id}):
            found["users"] = 1
    return found


def test_deletion_drops_the_schema_files_and_every_public_row(call, auth, s3, identity) -> None:
    account = register_and_login(PASSWORD)
    user_id, email, token = account["id"], account["email"], account["access_token"]
    _seed(user_id, s3)
    assert call("POST", "/account/export", token=token).status == 201
    auth("POST", "/auth/login", {"email": email, "password": "wrong password!"}, ip=new_ip())  # a lockout counter
    assert _leftovers(identity, user_id, email)  # the check does see the account before

    refused = call(
        "POST", "/account/delete", {"password": "wrong password!", "confirm": "delete my account"}, token=token
    )
    assert refused.status == 400 and refused.json["code"] == "wrong_password"
    unconfirmed = call("POST", "/account/delete", {"password": PASSWORD, "confirm": "yes"}, token=token)
    assert unconfirmed.status == 422 and unconfirmed.headers["content-type"] == "application/problem+json"

    deleted = call("POST", "/account/delete", {"password": PASSWORD, "confirm": "delete my account"}, token=token)
    assert deleted.status == 204, deleted
    assert _leftovers(identity, user_id, email) == {}
    with identity.connect() as connection, connection.begin():
        schemas = inspect(connection).get_schema_names()
    assert f"user_{user_id}" not in schemas
    listed = s3.list_objects_v2(Bucket=get_settings().images_bucket).get("Contents", [])
    assert [o["Key"] for o in listed if f"/{user_id}/" in o["Key"]] == []

    again = call("POST", "/account/export", token=token)
    assert again.status == 401 and again.json["code"] == "token_revoked"
    login = auth("POST", "/auth/login", {"email": email, "password": PASSWORD}, ip=new_ip())
    assert login.status == 401
    # The address is free again.
    assert auth("POST", "/auth/register", {"email": email, "password": PASSWORD}, ip=new_ip()).status == 201


def test_deleting_one_account_leaves_the_others(call, s3) -> None:
    keep = register_and_login(PASSWORD)
    _seed(keep["id"], s3)
    gone = register_and_login(PASSWORD)
    body = {"password": PASSWORD, "confirm": "delete my account"}
    assert call("POST", "/account/delete", body, token=gone["access_token"]).status == 204
    reply = call("POST", "/account/export", token=keep["access_token"])
    assert reply.status == 201 and {f["name"]: f["rows"] for f in reply.json["files"]}["products.csv"] == 1
    listed = s3.list_objects_v2(Bucket=get_settings().images_bucket, Prefix=f"images/{keep['id']}/")
    assert listed["KeyCount"] == 1


def test_account_bad_input_is_a_4xx_problem(call) -> None:
    account = register_and_login(PASSWORD)
    token = account["access_token"]
    for body in (
        {},
        {"password": PASSWORD},
        {"password": PASSWORD, "confirm": "delete my account", "extra": True},
        {"password": "", "confirm": "delete my account"},
        {"password": "x" * 2000, "confirm": "delete my account"},
    ):
        reply = call("POST", "/account/delete", body, token=token)
        assert reply.status == 422, (body, reply)
        assert reply.headers["content-type"] == "application/problem+json"
    assert call("POST", "/account/export").status == 401
    assert call("POST", "/account/delete", {"password": PASSWORD, "confirm": "delete my account"}).status == 401
    assert call("GET", "/account/export").status == 405
