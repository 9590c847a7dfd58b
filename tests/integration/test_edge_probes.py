"""The attacker's probes of issue 11 (out-of-range numbers, NUL bytes, impossible datetimes), each
through the Lambda handler of its function: every one gets a 4xx problem, never a 500, and the
users after it are unaffected."""

from __future__ import annotations

import pytest

from tests.support.api import caller, new_ip, register_and_login

pytestmark = pytest.mark.usefixtures("identity")

BIG64 = "9223372036854775808"  # 2**63: one past bigint
BIG32 = "2147483648"  # 2**31: one past integer


@pytest.fixture
def seller(jobs_world):
    account = register_and_login()
    return {"token": account["access_token"], "tenant": account["id"], "email": account["email"]}


PROBES = [
    ("marketplaces", "GET", "/orders?since=0001-01-01T00:00:00Z&until=0001-01-01T00:00:00%2B14:00", None),
    ("marketplaces", "GET", "/orders?since=9999-12-31T23:59:59-14:00", None),
    ("marketplaces", "GET", f"/orders?offset={BIG64}", None),
    ("marketplaces", "GET", "/orders?status=paid%00", None),
    ("products", "GET", f"/products?offset={BIG64}", None),
    ("products", "GET", "/products?price_max=1e10", None),
    ("products", "GET", "/products?price_min=1e400", None),
    ("products", "GET", "/products?q=a%00b", None),
    ("products", "GET", "/products?status=a%00", None),
    ("products", "GET", "/products?sort=title%00", None),
    ("products", "DELETE", f"/products/1?version={BIG32}", None),
    ("products", "PATCH", "/products/1", {"version": int(BIG32), "title": "x"}),
    ("products", "GET", f"/products/{BIG64}", None),
    ("products", "POST", "/products", {"title": "a\u0000b"}),
    ("products", "POST", "/products", {"title": "ok", "description": "nul \u0000 inside"}),
    ("products", "POST", "/products", {"title": "ok", "price": "1e10"}),
    ("products", "POST", "/products", {"title": "ok", "measurements": {"a\u0000": 1}}),
    ("products", "POST", "/products/bulk/status", {"ids": [int(BIG64)], "status": "archived"}),
    ("products", "PUT", "/products/1/images/order", {"image_ids": [int(BIG64)]}),
    ("products", "POST", "/products/1/images/uploads", {"content_type": "image/jpeg\u0000"}),
    ("products", "PATCH", f"/products/1/images/{BIG64}", {"alt_text": "x"}),
    ("products", "PATCH", "/products/1/images/1", {"alt_text": "a\u0000", "tags": ["b\u0000"]}),
    ("jobs", "GET", f"/jobs/{BIG64}", None),
    ("jobs", "POST", f"/jobs/{BIG64}/cancel", None),
    ("jobs", "GET", f"/batches/{BIG64}", None),
    ("jobs", "GET", f"/jobs?batch_id={BIG64}", None),
    ("jobs", "GET", f"/jobs?offset={BIG64}", None),
    ("jobs", "GET", "/jobs?action=a%00", None),
    ("jobs", "POST", "/jobs", {"marketplace": "ebay", "action": "publish", "product_ids": [int(BIG64)]}),
    ("jobs", "POST", "/jobs", {"marketplace": "ebay", "action": "sync_orders", "params": {"a": "b\u0000"}}),
    ("jobs", "POST", "/jobs", {"marketplace": "ebay", "action": "sync_orders", "params": {"a\u0000": 1}}),
    ("extension", "DELETE", f"/extension/devices/{BIG64}", None),
    ("extension", "POST", "/extension/pair", {"code": "ABCD\u0000EFG", "name": "x"}),
    ("extension", "POST", "/extension/pair", {"code": "ABCD-EFGH", "name": "x\u0000"}),
    ("marketplaces", "GET", "/marketplaces/ebay/callback?code=a%00&state=b", None),
    ("marketplaces", "PATCH", "/marketplaces/etsy/settings", {"shipping_profile_id": int(BIG64)}),
    ("marketplaces", "PATCH", "/marketplaces/ebay/settings", {"fulfillment_policy_id": "a\u0000"}),
    ("catalog", "GET", "/catalog/brands%00", None),
    ("ws_tickets", "POST", "/ws/tickets", {"client": "dashboard\u0000"}),
]


def test_every_probe_is_a_4xx_problem_and_the_next_request_is_served(seller) -> None:
    """One seller for all probes (each registration creates a tenant schema); every probe is
    tried and every failure reported."""
    failures = []
    for function, method, path, body in PROBES:
        reply = caller(function)(method, path, body, token=seller["token"])
        problem = reply.headers.get("content-type") == "application/problem+json" and (reply.json or {}).get("code")
        if not (400 <= reply.status < 500 and problem):
            failures.append(f"{method} {path}: {reply}")
        after = caller("products")("GET", "/products", token=seller["token"])
        if after.status != 200:
            failures.append(f"after {method} {path}: {after}")
    assert not failures, "\n".join(failures)


ANONYMOUS = [
    ("auth", "POST", "/auth/login", {"email": "a\u0000@example.com", "password": "whatever-long"}),
    ("auth", "POST", "/auth/login", {"email": "a@example.com", "password": "pass\u0000word"}),
    ("auth", "POST", "/auth/register", {"email": "b\u0000@example.com", "password": "whatever-long"}),
    ("auth", "POST", "/auth/verify-email/resend", {"email": "c\u0000@example.com"}),
    ("auth", "POST", "/auth/refresh", {"refresh_token": "x" * 20 + "\u0000"}),
    ("auth", "POST", "/auth/verify-email", {"token": "x" * 20 + "\u0000"}),
    ("extension", "POST", "/extension/token", {"refresh_token": "x" * 20 + "\u0000"}),
]


@pytest.mark.parametrize(("function", "method", "path", "body"), ANONYMOUS, ids=[p[2] for p in ANONYMOUS])
def test_anonymous_probe_is_a_4xx_problem(function, method, path, body) -> None:
    reply = caller(function)(method, path, body, ip=new_ip())
    assert 400 <= reply.status < 500, reply
    assert reply.headers["content-type"] == "application/problem+json", reply


def test_orders_accept_the_extremes_that_convert(seller) -> None:
    call = caller("marketplaces")
    reply = call(
        "GET", "/orders?since=0001-01-02T00:00:00%2B14:00&until=9999-12-30T00:00:00-14:00", token=seller["token"]
    )
    assert reply.status == 200, reply
    assert reply.json["items"] == []


def test_products_in_range_values_still_work(seller) -> None:
    call = caller("products")
    created = call("POST", "/products", {"title": "Veste", "price": "9999999999.99"}, token=seller["token"])
    assert created.status == 201, created
    found = call("GET", "/products?price_max=9999999999.99&offset=0", token=seller["token"])
    assert [p["id"] for p in found.json["items"]] == [created.json["id"]]
    deleted = call("DELETE", f"/products/{created.json['id']}?version=1", token=seller["token"])
    assert deleted.status == 204, deleted


@pytest.mark.parametrize(
    ("function", "path", "code"),
    [
        ("marketplaces", "/orders?since=-3.7863367176946504e%2B16", "validation_error"),  # not seconds since 1970
        ("marketplaces", "/orders?limit=1&=null", "unknown_query_parameter"),
        ("marketplaces", "/alerts?stauts=open", "unknown_query_parameter"),
        ("products", "/products?stauts=sold", "unknown_query_parameter"),
        ("products", "/products?offset=0&offset=50", "repeated_query_parameter"),
    ],
)
def test_a_query_the_document_does_not_describe_is_refused(seller, function, path, code) -> None:
    reply = caller(function)("GET", path, token=seller["token"])
    assert reply.status == 422, reply
    assert reply.json["code"] == code, reply
    if code != "validation_error":  # the names it refuses, for the client to fix
        assert reply.json["parameters"] == [path.split("?")[1].split("&")[-1].split("=")[0]], reply


def test_parameters_that_take_several_values_may_repeat(seller) -> None:
    call = caller("products")
    created = call("POST", "/products", {"title": "Jupe"}, token=seller["token"])
    assert created.status == 201, created
    found = call("GET", "/products?status=draft&status=published&q=Jupe", token=seller["token"])
    assert found.status == 200, found
    assert [p["id"] for p in found.json["items"]] == [created.json["id"]]
