"""/marketplaces problems: stable codes for what cannot be done."""

from __future__ import annotations

from stoflow.config import get_settings
from stoflow.marketplaces.common import apps
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
    apps.reset()
    reply = call("GET", "/marketplaces/ebay/connect", token=token)
    assert (reply.status, reply.json["code"]) == (503, "marketplace_not_configured")
