"""The local cloud's sandbox part, in process: it points the backend at itself and gives the
settings back when it stops; the consent pages approve and deny; a request outside the official
contract is refused with what is wrong; the control API makes the marketplaces act on their own
(and refuses what cannot be done); the Vinted origin checks the session and answers 401, 429 and
DataDome like Vinted; `stoflow sandbox` talks to it, and says so when nothing answers."""

from __future__ import annotations

import json
import os
import ssl
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from infra.local.sandboxes import ebay, etsy, vinted
from infra.local.sandboxes.server import SandboxServer
from stoflow import cli
from stoflow.config import get_settings


@pytest.fixture
def sandboxes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    monkeypatch.setenv("STOFLOW_EBAY_API_BASE_URL", "https://before.example")
    server = SandboxServer(port=0, vinted_port=0, data_dir=tmp_path, api_url=lambda: "http://127.0.0.1:3999")
    server.start()
    try:
        yield server
    finally:
        server.stop()
        get_settings.cache_clear()


def test_the_backend_uses_the_sandboxes_while_they_run(tmp_path, monkeypatch):
    monkeypatch.setenv("STOFLOW_EBAY_API_BASE_URL", "https://before.example")
    monkeypatch.delenv("STOFLOW_ETSY_KEYSTRING", raising=False)
    server = SandboxServer(port=0, vinted_port=0, data_dir=tmp_path)
    server.start()
    try:
        settings = get_settings()
        assert settings.ebay_api_base_url == f"{server.url}/ebay/api"
        assert (settings.ebay_client_id, settings.etsy_keystring) == (ebay.CLIENT_ID, etsy.KEYSTRING)
        assert settings.etsy_redirect_uri == f"{server.url}/sandbox/oauth/etsy"
        assert settings.ebay_plain_http_photo_hosts == ["127.0.0.1", "localhost"]
    finally:
        server.stop()
    get_settings.cache_clear()
    assert get_settings().ebay_api_base_url == "https://before.example"
    assert get_settings().etsy_keystring is None


def test_plain_http_photo_hosts_are_refused_on_aws(monkeypatch):
    monkeypatch.setenv("STOFLOW_ENVIRONMENT", "prod")
    monkeypatch.setenv("STOFLOW_EBAY_PLAIN_HTTP_PHOTO_HOSTS", '["127.0.0.1"]')
    get_settings.cache_clear()
    with pytest.raises(ValueError, match="local sandbox only"):
        get_settings()
    get_settings.cache_clear()


def _authorize(server: SandboxServer, **overrides: str) -> str:
    query = {
        "client_id": ebay.CLIENT_ID,
        "redirect_uri": ebay.RU_NAME,
        "response_type": "code",
        "scope": "https://api.ebay.com/oauth/api_scope",
        "state": "s-123",
        **overrides,
    }
    return f"{server.url}/ebay/auth/oauth2/authorize?" + str(httpx.QueryParams(query))


def test_the_ebay_consent_page_approves_and_denies(sandboxes):
    url = _authorize(sandboxes)
    shown = httpx.get(url)
    assert shown.status_code == 200 and "Approve" in shown.text and "Deny" in shown.text
    denied = httpx.post(url, data={"decision": "deny"})
    assert denied.status_code == 302
    assert dict(parse_qsl(urlsplit(denied.headers["location"]).query)) == {"error": "access_denied", "state": "s-123"}
    approved = httpx.post(url, data={"decision": "approve"})
    landing = approved.headers["location"]
    assert landing.startswith(f"{sandboxes.url}/sandbox/oauth/ebay?")
    code = dict(parse_qsl(urlsplit(landing).query))["code"]
    assert code in sandboxes.sandboxes.ebay.codes
    page = httpx.get(landing).text
    assert "http://127.0.0.1:3999/marketplaces/ebay/callback?code=" in page
    # Another application's id, or a redirect that is not the RuName: refused on eBay's page.
    assert httpx.get(_authorize(sandboxes, client_id="someone-else")).status_code == 400
    assert httpx.get(_authorize(sandboxes, redirect_uri="https://evil.example")).status_code == 400


def test_the_etsy_consent_page_needs_pkce_and_a_registered_redirect(sandboxes):
    base = {
        "response_type": "code",
        "client_id": etsy.KEYSTRING,
        "redirect_uri": f"{sandboxes.url}/sandbox/oauth/etsy",
        "scope": "listings_r",
        "state": "st",
        "code_challenge": "abc",
        "code_challenge_method": "S256",
    }
    url = f"{sandboxes.url}/etsy/oauth/connect"
    assert httpx.get(url, params=base).status_code == 200
    assert httpx.get(url, params={**base, "code_challenge_method": "plain"}).status_code == 400
    assert httpx.get(url, params={**base, "redirect_uri": "https://evil.example/cb"}).status_code == 400
    approved = httpx.post(url + "?" + str(httpx.QueryParams(base)), data={"decision": "approve"})
    assert approved.headers["location"].startswith(base["redirect_uri"] + "?code=")


def test_a_request_outside_the_contract_is_refused_with_what_is_wrong(sandboxes):
    token = sandboxes.sandboxes.ebay.issue_access_token("t", 600)
    # createOrReplaceInventoryItem requires Content-Language; a misspelt field is refused too.
    answer = httpx.put(
        f"{sandboxes.url}/ebay/api/sell/inventory/v1/inventory_item/SKU-1",
        json={"product": {"titel": "x"}},
        headers={"authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 400
    message = answer.json()["errors"][0]["message"]
    assert "Content-Language" in message and "'titel' was unexpected" in message
    assert sandboxes.sandboxes.ebay.items == {}


def test_the_control_api_and_its_refusals(sandboxes):
    api = f"{sandboxes.url}/sandbox/api"
    assert httpx.post(f"{api}/ebay/sell", json={"listing": "nope"}).status_code == 404
    assert httpx.post(f"{api}/ebay/sell", json={}).status_code == 400
    assert httpx.post(f"{api}/ebay/fail", json={"minutes": 1, "status": 200}).status_code == 400
    assert httpx.post(f"{api}/ebay/fail", json={"minutes": -1}).status_code == 400
    assert httpx.post(f"{api}/amazon/sell", json={"listing": "1"}).status_code == 404
    assert httpx.post(f"{api}/ebay/teleport", json={}).status_code == 404

    sandbox = sandboxes.sandboxes.ebay
    token = sandbox.issue_access_token("t", 600)
    assert httpx.post(f"{api}/ebay/revoke", json={}).json()["revoked_tokens"] == 1
    assert token not in sandbox.access_tokens

    failing = httpx.post(f"{api}/etsy/fail", json={"minutes": 2, "status": 429}).json()
    assert failing["failing_until"]
    answer = httpx.get(
        f"{sandboxes.url}/etsy/api/v3/application/users/me",
        headers={"authorization": "Bearer x", "x-api-key": f"{etsy.KEYSTRING}:{etsy.SHARED_SECRET}"},
    )
    assert answer.status_code == 429 and 0 < int(answer.headers["retry-after"]) <= 120
    httpx.post(f"{api}/etsy/recover", json={})
    assert (
        httpx.get(
            f"{sandboxes.url}/etsy/api/v3/application/users/me",
            headers={"authorization": "Bearer x", "x-api-key": f"{etsy.KEYSTRING}:{etsy.SHARED_SECRET}"},
        ).status_code
        == 401
    )

    page = httpx.get(f"{sandboxes.url}/sandbox/")
    assert page.status_code == 200 and "Marketplace sandboxes" in page.text
    form = httpx.post(f"{sandboxes.url}/sandbox/do", data={"marketplace": "vinted", "action": "revoke"})
    assert '"logged_in": false' in form.text.replace("&quot;", '"')


def _vinted(
    server: SandboxServer, method: str, path: str, headers: dict[str, str] | None = None, body: Any = None
) -> tuple[int, Any, Any]:
    """(status, headers, JSON body or None) of a call to the Vinted origin, over TLS."""
    assert server.vinted is not None
    context = ssl.create_default_context(cafile=str(server.vinted.cert))
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"https://localhost:{server.vinted.port}{path}",
        method=method,
        headers={**(headers or {}), **({"content-type": "application/json"} if data else {})},
        data=data,
    )
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as answer:
            return answer.status, answer.headers, _json(answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, _json(error.read())


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def test_the_vinted_origin_checks_the_session_and_fails_like_vinted(sandboxes):
    session = {
        "cookie": f"anon_id={vinted.ANON_ID}; {vinted.SESSION_COOKIE}",
        "x-csrf-token": vinted.CSRF_TOKEN,
        "x-anon-id": vinted.ANON_ID,
    }
    status, headers, _ = _vinted(sandboxes, "GET", "/")
    assert status == 200 and any(vinted.SESSION_COOKIE in c for c in headers.get_all("set-cookie"))
    assert _vinted(sandboxes, "GET", "/api/v2/users/current", session)[0] == 200
    assert _vinted(sandboxes, "GET", "/api/v2/users/current", {**session, "x-csrf-token": "forged"})[0] == 401
    assert _vinted(sandboxes, "GET", "/api/v2/users/current", {"x-csrf-token": vinted.CSRF_TOKEN})[0] == 401
    httpx.post(f"{sandboxes.url}/sandbox/api/vinted/fail", json={"minutes": 1})
    status, headers, _ = _vinted(sandboxes, "GET", "/api/v2/users/current", session)
    assert status == 429 and 0 < int(headers["retry-after"]) <= 60
    httpx.post(f"{sandboxes.url}/sandbox/api/vinted/recover", json={})
    assert _vinted(sandboxes, "GET", "/api/v2/users/current", session)[0] == 200
    assert sandboxes.vinted is not None
    sandboxes.vinted.state.datadome_next_upload = True
    status, headers, _ = _vinted(sandboxes, "POST", "/api/v2/item_upload/items", session)
    assert status == 403 and headers.get("x-datadome") == "protected"

    # An item listed, then bought through the control API: the order and the buyer's message appear.
    item = {"item": {"title": "Robe d'été", "price": 18.0, "assigned_photos": [{"id": 101, "orientation": 0}]}}
    item_id = _vinted(sandboxes, "POST", "/api/v2/item_upload/items", session, item)[2]["item"]["id"]
    assert httpx.post(f"{sandboxes.url}/sandbox/api/vinted/sell", json={"listing": str(item_id)}).status_code == 200
    orders = _vinted(sandboxes, "GET", "/api/v2/my_orders?page=1&per_page=20", session)[2]
    assert [o["item_id"] for o in orders["my_orders"]] == [item_id] and orders["pagination"]["total_pages"] == 1
    wardrobe = _vinted(sandboxes, "GET", f"/api/v2/wardrobe/{vinted.VINTED_USER_ID}/items", session)[2]
    assert wardrobe["items"][0]["status"] == "sold"


def test_the_cli_reaches_the_sandboxes_and_says_when_none_answers(sandboxes, monkeypatch, capsys):
    monkeypatch.setenv("STOFLOW_LOCAL_SANDBOX_URL", sandboxes.url)
    get_settings.cache_clear()
    assert cli.main(["sandbox", "fail", "ebay", "--minutes", "3", "--status", "429"]) == 0
    assert json.loads(capsys.readouterr().out)["failing_until"]
    assert sandboxes.sandboxes.ebay.state()["outage_status"] == 429
    assert cli.main(["sandbox", "sell", "etsy", "999"]) == 1
    assert "Etsy has no listing '999'" in capsys.readouterr().err
    monkeypatch.setenv("STOFLOW_LOCAL_SANDBOX_URL", "http://127.0.0.1:9")
    get_settings.cache_clear()
    assert cli.main(["sandbox", "state"]) == 1
    assert "is `make run` running?" in capsys.readouterr().err
    os.environ.pop("STOFLOW_LOCAL_SANDBOX_URL", None)


def test_the_marketplaces_keep_their_state_across_a_restart(tmp_path):
    first = SandboxServer(port=0, vinted_port=0, data_dir=tmp_path)
    first.start()
    assert first.sandboxes is not None and first.sandboxes.vinted is not None
    token = first.sandboxes.ebay.issue_access_token("t", 600)
    first.sandboxes.ebay.items["SKU-1"] = {"product": {"title": "Jeans"}}
    first.sandboxes.vinted.items[5001] = {"id": 5001, "title": "Robe", "status": "active", "price": 10}
    first.stop()
    second = SandboxServer(port=0, vinted_port=0, data_dir=tmp_path)
    second.start()
    try:
        assert second.sandboxes is not None and second.sandboxes.vinted is not None
        assert second.sandboxes.ebay.items == {"SKU-1": {"product": {"title": "Jeans"}}}
        answer = httpx.get(
            f"{second.url}/ebay/api/sell/inventory/v1/inventory_item/SKU-1",
            headers={"authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200 and answer.json()["product"] == {"title": "Jeans"}
        assert list(second.sandboxes.vinted.items) == [5001]
    finally:
        second.stop()
    get_settings.cache_clear()


def test_with_a_dashboard_the_consent_pages_return_to_its_callback_routes(tmp_path):
    server = SandboxServer(port=0, vinted_port=0, data_dir=tmp_path, dashboard_origin="http://127.0.0.1:5173/")
    server.start()
    try:
        assert get_settings().etsy_redirect_uri == "http://127.0.0.1:5173/marketplaces/etsy/callback"
        assert server.sandboxes.ebay.accept_url == "http://127.0.0.1:5173/marketplaces/ebay/callback"
        assert "http://127.0.0.1:5173/marketplaces/etsy/callback" in server.sandboxes.etsy.redirect_uris
    finally:
        server.stop()
        get_settings.cache_clear()
