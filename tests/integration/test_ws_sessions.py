"""WebSocket tickets and sockets die with their auth session: a ticket taken before logout opens
nothing after it; logout (and every revocation of a session) closes that session's sockets, and
no job_status push reaches them meanwhile. Messages nested past the limit are refused unparsed."""

from __future__ import annotations

import json

import pytest

from infra.local.ws_events import WsConnectionInfo, connect_event, message_event, new_connection_id
from stoflow.db.tenancy import tenant_session
from stoflow.jobs.notifier import DashboardNotifier, JobStatusEvent
from stoflow.realtime import connections
from stoflow.realtime.protocol import MAX_JSON_DEPTH, json_depth
from stoflow.realtime.router import MessageRouter, register_basics
from stoflow.repositories.ws import ConnectionRow
from tests.support.api import caller, load_function, new_ip, register_and_login

pytestmark = pytest.mark.usefixtures("identity")


class Gateway:
    """The @connections client as the functions use it, recording instead of calling AWS."""

    def __init__(self) -> None:
        self.closed: list[str] = []
        self.sent: list[tuple[str, dict]] = []


@pytest.fixture
def gateway(monkeypatch) -> Gateway:
    recorded = Gateway()
    monkeypatch.setattr(connections.ConnectionsClient, "close", lambda self, cid: recorded.closed.append(cid))
    monkeypatch.setattr(
        connections.ConnectionsClient, "send", lambda self, cid, message: recorded.sent.append((cid, message)) or True
    )
    return recorded


def ticket(token: str, client: str = "dashboard") -> str:
    reply = caller("ws_tickets")("POST", "/ws/tickets", {"client": client}, token=token)
    assert reply.status == 201, reply
    return reply.json["ticket"]


def connect(ticket_: str) -> tuple[str, int]:
    info = WsConnectionInfo(new_connection_id(), "203.0.113.5", "127.0.0.1", 0)
    status = load_function("ws_connect").handler(connect_event(info, f"ticket={ticket_}"), None)["statusCode"]
    return info.connection_id, status


def send(connection_id: str, message: dict | str) -> dict:
    info = WsConnectionInfo(connection_id, "203.0.113.5", "127.0.0.1", 0)
    body = message if isinstance(message, str) else json.dumps(message)
    reply = load_function("ws_message").handler(message_event(info, "$default", body), None)
    return json.loads(reply["body"])


def job_status(tenant_id: int) -> JobStatusEvent:
    return JobStatusEvent(
        tenant_id=tenant_id,
        job_id=1,
        batch_id=None,
        marketplace="ebay",
        action="publish",
        product_id=None,
        status="completed",
        attempts=1,
        error_code=None,
        error_message=None,
    )


def test_a_ticket_taken_before_logout_does_not_connect_after_it(gateway) -> None:
    account = register_and_login()
    taken = ticket(account["access_token"])
    assert caller("auth")("POST", "/auth/logout", token=account["access_token"]).status == 204
    assert connect(taken)[1] == 401


def test_logout_closes_the_sessions_sockets_and_pushes_skip_them(gateway) -> None:
    account = register_and_login()
    other_device = caller("auth")(
        "POST", "/auth/login", {"email": account["email"], "password": "correct horse battery"}, ip=new_ip()
    ).json
    mine, status = connect(ticket(account["access_token"]))
    assert status == 200
    theirs, status = connect(ticket(other_device["access_token"]))
    assert status == 200
    assert send(mine, {"action": "heartbeat"})["type"] == "heartbeat_ack"

    assert caller("auth")("POST", "/auth/logout", token=account["access_token"]).status == 204
    assert gateway.closed == [mine]  # the same user's other session keeps its socket

    # Even if the close never happened: no push reaches the logged-out socket, and it is not served.
    notifier = DashboardNotifier(connections.ConnectionsClient(endpoint_url="http://gateway.invalid"))
    with tenant_session(account["id"]) as session:
        notifier.job_changed(session, job_status(account["id"]))
    assert [cid for cid, _ in gateway.sent] == [theirs]
    assert send(mine, {"action": "heartbeat"})["code"] == "unknown_connection"
    assert send(theirs, {"action": "heartbeat"})["type"] == "heartbeat_ack"


def test_a_reused_refresh_token_revokes_the_session_and_closes_its_sockets(gateway) -> None:
    account = register_and_login()
    mine, status = connect(ticket(account["access_token"]))
    assert status == 200
    auth = caller("auth")
    ip = new_ip()
    assert auth("POST", "/auth/refresh", {"refresh_token": account["refresh_token"]}, ip=ip).status == 200
    reused = auth("POST", "/auth/refresh", {"refresh_token": account["refresh_token"]}, ip=ip)
    assert (reused.status, reused.json["code"]) == (401, "refresh_token_reused")
    assert gateway.closed == [mine]


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1_000, 60_000])
def test_deep_nesting_is_refused_before_parsing(depth: int) -> None:
    router = MessageRouter(connection_lookup=lambda cid: ConnectionRow(cid, 1, 1, "dashboard"))
    register_basics(router)
    body = '{"action": "heartbeat", "x": ' + "[" * depth + "]" * depth + "}"
    reply = router.dispatch("c1", body)
    assert reply is not None and reply["code"] == "message_too_deep"


def test_nesting_within_the_limit_is_parsed() -> None:
    router = MessageRouter(connection_lookup=lambda cid: ConnectionRow(cid, 1, 1, "dashboard"))
    register_basics(router)
    body = '{"action": "heartbeat", "id": "[[[[\\\\\\"]]]"}'
    assert json_depth(body) == 1
    reply = router.dispatch("c1", body)
    assert reply is not None and reply["type"] == "heartbeat_ack", reply


def test_the_local_gateway_routes_deep_nesting_to_default() -> None:
    from infra.local.ws_routes import WsApi, WsRoute

    api = WsApi("WsApi", "$request.body.action", {"$default": WsRoute("$default", "WsMessage", False)})
    assert api.select("[" * 100_000 + "]" * 100_000) is api.routes["$default"]
