"""POST /ws/tickets through the ws_tickets function (payload 2.0 events), then $connect with it."""

from __future__ import annotations

import pytest

from infra.local.ws_events import WsConnectionInfo, connect_event, new_connection_id
from tests.support.api import caller, load_function, new_ip, register_and_login

pytestmark = pytest.mark.usefixtures("identity")


@pytest.fixture
def call():
    return caller("ws_tickets")


def connect_with(ticket: str) -> int:
    info = WsConnectionInfo(new_connection_id(), "203.0.113.5", "127.0.0.1", 0)
    return load_function("ws_connect").handler(connect_event(info, f"ticket={ticket}"), None)["statusCode"]


def paired_device_token(dashboard_token: str) -> str:
    extension = caller("extension")
    code = extension("POST", "/extension/pairings", token=dashboard_token)
    assert code.status == 201, code
    paired = extension("POST", "/extension/pair", {"code": code.json["code"], "name": "Chromium"}, ip=new_ip())
    assert paired.status == 201, paired
    return paired.json["access_token"]


def test_a_dashboard_ticket_by_default_and_an_extension_ticket_for_a_paired_device(call):
    token = register_and_login()["access_token"]
    dashboard = call("POST", "/ws/tickets", token=token)
    assert dashboard.status == 201, dashboard
    assert dashboard.json["client"] == "dashboard" and dashboard.json["expires_in"] == 60
    refused = call("POST", "/ws/tickets", {"client": "extension"}, token=token)
    assert (refused.status, refused.json["code"]) == (403, "not_an_extension_device")
    extension = call("POST", "/ws/tickets", {"client": "extension"}, token=paired_device_token(token))
    assert extension.status == 201 and extension.json["client"] == "extension"
    assert dashboard.json["ticket"] != extension.json["ticket"]
    assert connect_with(extension.json["ticket"]) == 200
    assert connect_with(extension.json["ticket"]) == 401


@pytest.mark.parametrize("body", [{"client": "fridge"}, {"client": "dashboard", "extra": 1}])
def test_a_bad_body_is_a_validation_problem(call, body):
    token = register_and_login()["access_token"]
    reply = call("POST", "/ws/tickets", body, token=token)
    assert reply.status == 422 and reply.json["code"] == "validation_error"


def test_a_ticket_needs_a_valid_token(call):
    assert call("POST", "/ws/tickets").status == 401
    assert call("POST", "/ws/tickets", token="not.a.token").status == 401


def test_a_logged_out_session_gets_no_ticket(call):
    account = register_and_login()
    assert caller("auth")("POST", "/auth/logout", token=account["access_token"]).status == 204
    assert call("POST", "/ws/tickets", token=account["access_token"]).status == 401


def test_a_read_only_support_account_may_watch_its_dashboard(call):
    from sqlalchemy import update

    from stoflow.db.tenancy import shared_session
    from stoflow.models import User

    account = register_and_login()
    with shared_session() as session:
        session.execute(update(User).where(User.id == account["id"]).values(role="support"))
    reply = call("POST", "/ws/tickets", token=account["access_token"])
    assert reply.status == 201 and reply.json["client"] == "dashboard"
    assert connect_with(reply.json["ticket"]) == 200
