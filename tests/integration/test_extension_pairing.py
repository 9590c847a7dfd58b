"""Extension pairing through the extension function's Lambda handler (payload 2.0 events): a short
single-use code, the extension's own rotating tokens, devices listed and revoked (their tokens
stop working, their connections are closed)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from stoflow.auth import clock
from stoflow.db.tenancy import shared_session
from stoflow.repositories import ws as ws_repo
from tests.support.api import caller, new_ip, register_and_login


@pytest.fixture
def call(identity):
    return caller("extension")


@pytest.fixture
def tickets(identity):
    return caller("ws_tickets")


def _pair(call, token: str, name: str = "Chrome on the laptop") -> dict:
    code = call("POST", "/extension/pairings", token=token)
    assert code.status == 201, code
    paired = call("POST", "/extension/pair", {"code": code.json["code"], "name": name, "version": "0.1.0"}, ip=new_ip())
    assert paired.status == 201, paired
    return paired.json


def test_code_for_the_signed_in_user_single_use(call, identity):
    seller = register_and_login()
    created = call("POST", "/extension/pairings", token=seller["access_token"])
    assert created.status == 201
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", created.json["code"])
    assert created.json["expires_in"] == 600
    assert call("POST", "/extension/pairings").status == 401

    body = {"code": created.json["code"].lower().replace("-", " "), "name": "Chromium"}
    paired = call("POST", "/extension/pair", body, ip=new_ip())
    assert paired.status == 201, paired
    assert paired.headers["cache-control"] == "no-store"
    assert set(paired.json) == {"device_id", "access_token", "refresh_token", "token_type", "expires_in", "ws_url"}
    again = call("POST", "/extension/pair", body, ip=new_ip())
    assert (again.status, again.json["code"]) == (401, "invalid_pairing_code")
    wrong = call("POST", "/extension/pair", {"code": "ABCD-EFGH", "name": "x"}, ip=new_ip())
    assert (wrong.status, wrong.json["code"]) == (401, "invalid_pairing_code")
    extra = call("POST", "/extension/pair", {**body, "tenant_id": 1}, ip=new_ip())
    assert extra.status == 422


def test_an_expired_code_is_refused(call, identity, monkeypatch):
    seller = register_and_login()
    code = call("POST", "/extension/pairings", token=seller["access_token"]).json["code"]
    later = datetime.now(UTC) + timedelta(minutes=11)
    monkeypatch.setattr(clock, "now", lambda: later)
    answer = call("POST", "/extension/pair", {"code": code, "name": "late"}, ip=new_ip())
    assert (answer.status, answer.json["code"]) == (401, "invalid_pairing_code")


def test_pairing_attempts_are_rate_limited_per_address(call, identity):
    ip = new_ip()
    statuses = [call("POST", "/extension/pair", {"code": "ABCD-EFGH", "name": "x"}, ip=ip).status for _ in range(12)]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]


def test_device_tokens_open_extension_tickets_and_rotate(call, tickets, identity):
    seller = register_and_login()
    device = _pair(call, seller["access_token"])
    ticket = tickets("POST", "/ws/tickets", {"client": "extension"}, token=device["access_token"])
    assert ticket.status == 201 and ticket.json["client"] == "extension"

    rotated = call("POST", "/extension/token", {"refresh_token": device["refresh_token"]}, ip=new_ip())
    assert rotated.status == 200, rotated
    assert rotated.json["device_id"] == device["device_id"]
    assert rotated.json["refresh_token"] != device["refresh_token"]
    # The dashboard's own refresh token is not a device's.
    not_device = call("POST", "/extension/token", {"refresh_token": seller["refresh_token"]}, ip=new_ip())
    assert (not_device.status, not_device.json["code"]) == (401, "invalid_device_token")
    # Presenting the rotated token again: the device's session is revoked (reuse detection).
    reused = call("POST", "/extension/token", {"refresh_token": device["refresh_token"]}, ip=new_ip())
    assert reused.status == 401
    refused = tickets("POST", "/ws/tickets", {"client": "extension"}, token=rotated.json["access_token"])
    assert refused.status == 401


def test_devices_listed_and_revoked(call, tickets, identity, monkeypatch):
    seller, stranger = register_and_login(), register_and_login()
    first = _pair(call, seller["access_token"], "Chrome")
    second = _pair(call, seller["access_token"], "Chromium")
    listed = call("GET", "/extension/devices", token=seller["access_token"])
    assert listed.status == 200
    assert [d["name"] for d in listed.json["items"]] == ["Chrome", "Chromium"]
    assert call("GET", "/extension/devices", token=stranger["access_token"]).json["items"] == []
    other = call("DELETE", f"/extension/devices/{first['device_id']}", token=stranger["access_token"])
    assert (other.status, other.json["code"]) == (404, "device_not_found")

    now = clock.now()
    with shared_session() as session:
        ws_repo.add_connection(session, "ext-conn-1", seller["id"], seller["id"], "extension", now, first["device_id"])
        ws_repo.add_connection(session, "ext-conn-2", seller["id"], seller["id"], "extension", now, second["device_id"])
        ws_repo.add_connection(session, "dash-conn-1", seller["id"], seller["id"], "dashboard", now)
    closed: list[str] = []
    from stoflow.realtime import connections

    monkeypatch.setattr(connections.ConnectionsClient, "close", lambda self, cid: closed.append(cid))
    revoked = call("DELETE", f"/extension/devices/{first['device_id']}", token=seller["access_token"])
    assert revoked.status == 204
    assert closed == ["ext-conn-1"]  # the other device's socket stays open
    assert [d["name"] for d in call("GET", "/extension/devices", token=seller["access_token"]).json["items"]] == [
        "Chromium"
    ]
    gone = tickets("POST", "/ws/tickets", {"client": "extension"}, token=first["access_token"])
    assert (gone.status, gone.json["code"]) == (401, "token_revoked")
    assert call("POST", "/extension/token", {"refresh_token": first["refresh_token"]}, ip=new_ip()).status == 401
    still = tickets("POST", "/ws/tickets", {"client": "extension"}, token=second["access_token"])
    assert still.status == 201
