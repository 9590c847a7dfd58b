"""/marketplaces problems: stable codes for what cannot be done."""

from __future__ import annotations

from stoflow import runtime
from stoflow.config import get_settings
from tests.support.api import caller, register_and_login


def test_problems_with_stable_codes(marketplaces, monkeypatch):
    call = caller("marketplaces")
    token = register_and_login()["access_token"]
    cases = [
        ("GET", "/marketplaces/ebay/policies", None, 409, "marketplace_not_connected"),
        ("DELETE", "/marketplaces/etsy", None, 409, "marketplace_not_connected"),
        ("PATCH", "/marketplaces/ebay/settings", {"default_category_id": "1"}, 409, "marketplace_not_connected"),
        ("PATCH", "/marketplaces/ebay/settings", {"colour": "red"}, 422, "validation_error"),
        ("GET", "/marketplaces/vinted/connect", None, 422, "validation_error"),
        ("GET", "/marketplaces/ebay/callback?code=abc&state=never-issued", None, 400, "invalid_oauth_state"),
        ("GET", "/marketplaces/etsy/callback?state=x", None, 422, "validation_error"),
    ]
    for method, path, body, status, code in cases:
        reply = call(method, path, body, token=token)
        assert (reply.status, reply.json["code"]) == (status, code), (path, reply)
    assert call("GET", "/marketplaces").status == 401

    monkeypatch.delenv("STOFLOW_EBAY_CLIENT_SECRET")
    get_settings.cache_clear()
    runtime.reset()
    reply = call("GET", "/marketplaces/ebay/connect", token=token)
    assert (reply.status, reply.json["code"]) == (503, "marketplace_not_configured")
    # It says which settings are missing, so that whoever runs the server can act.
    assert reply.json["missing"] == ["STOFLOW_EBAY_CLIENT_SECRET"]
    assert "STOFLOW_EBAY_CLIENT_SECRET" in reply.json["detail"]


def test_a_marketplace_that_cannot_be_reached_says_so_with_its_host(marketplaces):
    import httpx

    from stoflow.marketplaces.common import http

    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    call = caller("marketplaces")
    token = register_and_login()["access_token"]
    for marketplace, host in (("ebay", "https://api.sandbox.ebay.com"), ("etsy", "https://openapi.etsy.com")):
        started = call("GET", f"/marketplaces/{marketplace}/connect", token=token)
        assert started.status == 200, started
        with http.use_transport(httpx.MockTransport(refuse)):
            reply = call(
                "GET", f"/marketplaces/{marketplace}/callback?code=abc&state={started.json['state']}", token=token
            )
        assert (reply.status, reply.json["code"]) == (503, "marketplace_unreachable"), reply
        assert reply.json["host"] == host
        assert host in reply.json["detail"]


def test_a_server_without_app_keys_fails_jobs_permanently(marketplaces, job_runner, monkeypatch):
    from sqlalchemy import select

    from stoflow.db.tenancy import tenant_session
    from stoflow.models import MarketplaceJob
    from stoflow.services.jobs import JobRequest, enqueue
    from tests.support.marketplaces import connect, product_with_photos

    seller = register_and_login()
    connect(marketplaces, seller["access_token"], "etsy")
    product_id = product_with_photos(seller["id"])
    monkeypatch.delenv("STOFLOW_ETSY_SHARED_SECRET")
    get_settings.cache_clear()
    runtime.reset()
    enqueue(seller["id"], JobRequest("etsy", "publish", product_ids=[product_id]))
    assert [s for *_, s in job_runner.run_all(tenant=seller["id"])] == ["failed"]
    with tenant_session(seller["id"]) as session:
        job = session.scalars(select(MarketplaceJob)).one()
        assert job.error_code == "marketplace_not_configured"
