"""The WebSocket functions with real-shaped API Gateway events, on PostgreSQL: tickets burnt at
$connect, connections stored and deleted, messages routed on `action`, job_status pushed to the
tenant's dashboard connections, and a GoneException forgetting the connection."""

from __future__ import annotations

import importlib.util
import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from infra.local.ws_events import WsConnectionInfo, connect_event, disconnect_event, message_event, new_connection_id
from stoflow import runtime
from stoflow.auth import clock
from stoflow.auth.principal import Principal
from stoflow.db.tenancy import shared_session
from stoflow.jobs.notifier import NOTIFIER, DashboardNotifier, JobStatusEvent, notify
from stoflow.models.realtime import WsConnection, WsTicket
from stoflow.realtime.connections import ConnectionsClient
from stoflow.repositories import users
from stoflow.services.ws import issue_ticket
from tests.support.devices import device_principal

REPO = Path(__file__).resolve().parents[2]


def load_function(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"ws_test_{name}_app", REPO / "functions" / name / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


@pytest.fixture(scope="module")
def handlers():
    return {name: load_function(name) for name in ("ws_connect", "ws_disconnect", "ws_message")}


@pytest.fixture
def user(engine) -> Principal:
    with shared_session() as session:
        user_id = users.insert_user(session, f"ws-{uuid.uuid4().hex[:10]}@example.com", "not-a-real-hash")
    assert user_id is not None
    return Principal(user_id=user_id, tenant_id=user_id, role="user", session_id=live_session(user_id), jti="j")


def live_session(user_id: int) -> str:
    """A signed-in session of the user (tickets of a session that does not exist open nothing)."""
    from stoflow.repositories import auth_sessions

    with shared_session() as session:
        return str(auth_sessions.create_session(session, user_id))


def connection() -> WsConnectionInfo:
    return WsConnectionInfo(
        new_connection_id(),
        "203.0.113.7",
        "127.0.0.1",
        clock.now().timestamp() * 1000 // 1,
        headers=[("Host", "127.0.0.1:3001"), ("Sec-WebSocket-Version", "13")],
    )


def connect(handlers, ticket: str | None) -> tuple[WsConnectionInfo, dict[str, Any]]:
    conn = connection()
    query = f"ticket={ticket}" if ticket is not None else ""
    return conn, handlers["ws_connect"](connect_event(conn, query), None)


def send(handlers, conn: WsConnectionInfo, message: Any, route: str = "$default") -> dict[str, Any]:
    body = message if isinstance(message, str) else json.dumps(message)
    answer = handlers["ws_message"](message_event(conn, route, body), None)
    assert answer["statusCode"] == 200
    return json.loads(answer["body"])


def stored(connection_id: str) -> WsConnection | None:
    with shared_session() as session:
        return session.get(WsConnection, connection_id)


# --- $connect ------------------------------------------------------------------------------------


def test_a_ticket_opens_one_connection_and_is_burnt(handlers, user):
    issued = issue_ticket(user, "dashboard")
    conn, answer = connect(handlers, issued.ticket)
    assert answer == {"statusCode": 200}
    row = stored(conn.connection_id)
    assert (row.user_id, row.tenant_id, row.client) == (user.user_id, user.tenant_id, "dashboard")
    # The same ticket again: refused, and no second connection stored.
    again, answer = connect(handlers, issued.ticket)
    assert answer == {"statusCode": 401}
    assert stored(again.connection_id) is None


def test_the_ticket_is_stored_hashed(handlers, user):
    issued = issue_ticket(device_principal(user.user_id), "extension")
    with shared_session() as session:
        hashes = session.scalars(select(WsTicket.ticket_hash).where(WsTicket.user_id == user.user_id)).all()
    assert issued.ticket not in hashes and len(hashes) == 1 and len(hashes[0]) == 64
    assert issued.expires_in == 60


@pytest.mark.parametrize("ticket", [None, "", "not-a-ticket", "x" * 300])
def test_a_missing_or_unknown_ticket_is_refused(handlers, ticket):
    conn, answer = connect(handlers, ticket)
    assert answer == {"statusCode": 401}
    assert stored(conn.connection_id) is None


def test_an_expired_ticket_is_refused(handlers, user, monkeypatch):
    issued = issue_ticket(user, "dashboard")
    later = clock.now() + timedelta(seconds=61)
    monkeypatch.setattr(clock, "now", lambda: later)
    conn, answer = connect(handlers, issued.ticket)
    assert answer == {"statusCode": 401}
    assert stored(conn.connection_id) is None


def test_a_ticket_for_an_unknown_client_kind_is_not_issued(user):
    from stoflow.errors import InvalidInput

    with pytest.raises(InvalidInput):
        issue_ticket(user, "mobile")


# --- messages ------------------------------------------------------------------------------------


@pytest.fixture
def dashboard(handlers, user) -> WsConnectionInfo:
    conn, answer = connect(handlers, issue_ticket(user, "dashboard").ticket)
    assert answer["statusCode"] == 200
    return conn


def test_hello_is_welcomed_and_recorded(handlers, dashboard):
    reply = send(
        handlers,
        dashboard,
        {"action": "hello", "client": "dashboard", "version": "1.4.2", "capabilities": ["job_status"], "id": "m1"},
        route="hello",
    )
    assert reply["type"] == "welcome"
    assert reply["connection_id"] == dashboard.connection_id
    assert reply["reply_to"] == "m1"
    assert reply["heartbeat_interval_s"] < 600  # inside API Gateway's 10 minute idle limit
    row = stored(dashboard.connection_id)
    assert (row.client_version, row.capabilities) == ("1.4.2", ["job_status"])


def test_heartbeat_is_acknowledged_and_moves_last_seen(handlers, dashboard, monkeypatch):
    before = stored(dashboard.connection_id).last_seen_at
    later = clock.now() + timedelta(minutes=5)
    monkeypatch.setattr(clock, "now", lambda: later)
    reply = send(handlers, dashboard, {"action": "heartbeat"}, route="heartbeat")
    assert reply["type"] == "heartbeat_ack"
    assert stored(dashboard.connection_id).last_seen_at > before


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"action": "dance"}, "unknown_action"),
        ("not json", "invalid_json"),
        ('["hello"]', "invalid_message"),
        ({"action": 3}, "invalid_message"),
        ({"action": "heartbeat", "extra": 1}, "invalid_message"),
        ({"action": "hello", "client": "dashboard"}, "invalid_message"),
        ({"action": "hello", "client": "fridge", "version": "1"}, "invalid_message"),
        ({"action": "hello", "client": "extension", "version": "1"}, "client_mismatch"),
        ({"action": "heartbeat", "pad": "x" * 140_000}, "message_too_large"),
    ],
)
def test_bad_messages_are_answered_with_an_error(handlers, dashboard, message, code):
    reply = send(handlers, dashboard, message)
    assert reply["type"] == "error"
    assert reply["code"] == code, reply


def test_an_unknown_action_lists_the_known_ones(handlers, dashboard):
    reply = send(handlers, dashboard, {"action": "dance", "id": "q"})
    assert {"hello", "heartbeat"} <= set(reply["known_actions"])
    assert reply["reply_to"] == "q"


def test_a_message_on_an_unregistered_connection_is_refused(handlers):
    reply = send(handlers, connection(), {"action": "heartbeat"})
    assert (reply["type"], reply["code"]) == ("error", "unknown_connection")


def test_disconnect_deletes_the_row(handlers, dashboard):
    answer = handlers["ws_disconnect"](disconnect_event(dashboard, 1000, "bye"), None)
    assert answer["statusCode"] == 200
    assert stored(dashboard.connection_id) is None
    # A $disconnect for a row already gone (purged, or GoneException) is harmless.
    assert handlers["ws_disconnect"](disconnect_event(dashboard, 1006, "gone"), None)["statusCode"] == 200


# --- pushes --------------------------------------------------------------------------------------


class FakeGateway:
    """The apigatewaymanagementapi client's three calls, answering GoneException for `gone` ids."""

    def __init__(self, gone: set[str] = frozenset()) -> None:
        self.posted: list[tuple[str, dict]] = []
        self.gone = set(gone)

    def _check(self, connection_id: str) -> None:
        if connection_id in self.gone:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "GoneException", "Message": "gone"}}, "PostToConnection")

    def post_to_connection(self, ConnectionId: str, Data: bytes) -> dict:
        self._check(ConnectionId)
        self.posted.append((ConnectionId, json.loads(Data)))
        return {}


@pytest.fixture
def fake_gateway(monkeypatch) -> FakeGateway:
    gateway = FakeGateway()
    monkeypatch.setattr("stoflow.realtime.connections._management_client", lambda url: gateway)
    with runtime.provided(NOTIFIER, DashboardNotifier(ConnectionsClient("http://gateway.invalid"))):
        yield gateway


def event_for(tenant_id: int) -> JobStatusEvent:
    return JobStatusEvent(
        tenant_id=tenant_id,
        job_id=7,
        batch_id=3,
        marketplace="ebay",
        action="publish",
        product_id=11,
        status="running",
        attempts=1,
    )


def test_job_status_reaches_the_tenants_dashboards_only(handlers, user, engine, fake_gateway):
    with shared_session() as session:
        other_id = users.insert_user(session, f"other-{uuid.uuid4().hex[:8]}@example.com", "x")
    other = Principal(other_id, other_id, "user", live_session(other_id), "j")
    mine, _ = connect(handlers, issue_ticket(user, "dashboard").ticket)
    extension, _ = connect(handlers, issue_ticket(device_principal(user.user_id), "extension").ticket)
    theirs, _ = connect(handlers, issue_ticket(other, "dashboard").ticket)

    with shared_session() as session:
        notify(session, event_for(user.tenant_id))
        assert fake_gateway.posted == [], "pushed once the job's unit of work is committed, not before"

    assert fake_gateway.posted == [(mine.connection_id, event_for(user.tenant_id).payload())]
    assert fake_gateway.posted[0][1]["type"] == "job_status"
    assert "tenant_id" not in fake_gateway.posted[0][1]
    assert extension.connection_id and theirs.connection_id  # connected, and not pushed to


def test_a_job_change_rolled_back_pushes_nothing(handlers, user, fake_gateway):
    connect(handlers, issue_ticket(user, "dashboard").ticket)
    with pytest.raises(RuntimeError), shared_session() as session:
        notify(session, event_for(user.tenant_id))
        raise RuntimeError("the job's unit of work fails after the change")
    assert fake_gateway.posted == []


def test_a_unit_of_work_reads_the_dashboards_once_for_all_its_jobs(handlers, user, fake_gateway, monkeypatch):
    from stoflow.repositories import ws as ws_repository

    mine, _ = connect(handlers, issue_ticket(user, "dashboard").ticket)
    reads = []
    original = ws_repository.connections_of
    monkeypatch.setattr(ws_repository, "connections_of", lambda *args: reads.append(args) or original(*args))
    with shared_session() as session:
        notify(session, event_for(user.tenant_id))
        notify(session, event_for(user.tenant_id))
    assert len(reads) == 1
    assert [cid for cid, _ in fake_gateway.posted] == [mine.connection_id, mine.connection_id]


class NoopHandler:
    marketplace = "ebay"
    action = "noop"
    idempotent = True
    needs_product = False
    timeout_s = 60

    def run(self, context: Any) -> Any:
        from stoflow.jobs.handlers import JobOutcome

        return JobOutcome()


def test_the_worker_reads_the_dashboards_with_the_job_and_pushes_each_change(
    handlers, user, engine, fake_gateway, monkeypatch
):
    from sqlalchemy import update

    from stoflow.db.provisioning import create_tenant
    from stoflow.db.tenancy import tenant_session
    from stoflow.jobs.handlers import HandlerRegistry
    from stoflow.jobs.messages import JobMessage
    from stoflow.jobs.processor import MarketplaceJobProcessor
    from stoflow.models.sessions import AuthSession
    from stoflow.repositories import jobs as jobs_repository
    from stoflow.repositories import ws as ws_repository

    create_tenant(user.tenant_id, engine=engine)
    with tenant_session(user.tenant_id) as session:
        batch = jobs_repository.insert_batch(session, {"marketplace": "ebay", "action": "noop", "total": 1})
        [job] = jobs_repository.insert_jobs(
            session,
            [{"batch_id": batch.id, "marketplace": "ebay", "action": "noop", "status": "pending", "attempts": 0}],
        )
    mine, _ = connect(handlers, issue_ticket(user, "dashboard").ticket)
    connect(handlers, issue_ticket(device_principal(user.user_id), "extension").ticket)
    signed_out = Principal(user.user_id, user.tenant_id, "user", live_session(user.user_id), "j")
    connect(handlers, issue_ticket(signed_out, "dashboard").ticket)
    with shared_session() as session:
        session.execute(
            update(AuthSession).where(AuthSession.id == uuid.UUID(signed_out.session_id)).values(revoked_at=func.now())
        )
    reads = []
    original = ws_repository.connections_of
    monkeypatch.setattr(ws_repository, "connections_of", lambda *args: reads.append(args) or original(*args))
    registry = HandlerRegistry()
    registry.register(NoopHandler())

    status = MarketplaceJobProcessor(registry, engine=engine).process(JobMessage(user.tenant_id, job.id, "ebay"))

    assert status == "completed"
    # The live dashboard, and not the extension nor the signed-out session's dashboard, hears of
    # both changes; the claim and the finish brought the dashboards, with no read of their own.
    assert [(cid, event["status"]) for cid, event in fake_gateway.posted] == [
        (mine.connection_id, "running"),
        (mine.connection_id, "completed"),
    ]
    assert reads == []


def test_a_gone_connection_is_deleted_and_the_others_still_get_the_push(handlers, user, fake_gateway):
    gone, _ = connect(handlers, issue_ticket(user, "dashboard").ticket)
    alive, _ = connect(handlers, issue_ticket(user, "dashboard").ticket)
    fake_gateway.gone.add(gone.connection_id)

    with shared_session() as session:
        notify(session, event_for(user.tenant_id))
        assert fake_gateway.posted == [], "pushed once the job's unit of work is committed, not before"

    assert [cid for cid, _ in fake_gateway.posted] == [alive.connection_id]
    assert stored(gone.connection_id) is None
    assert stored(alive.connection_id) is not None


def test_send_reports_gone_without_raising(user, handlers, fake_gateway):
    conn, _ = connect(handlers, issue_ticket(device_principal(user.user_id), "extension").ticket)
    fake_gateway.gone.add(conn.connection_id)
    assert ConnectionsClient("http://gateway.invalid").send(conn.connection_id, {"type": "x"}) is False
    assert stored(conn.connection_id) is None


def test_purge_drops_expired_tickets_and_silent_connections(handlers, user):
    from stoflow.services.ws import purge

    conn, _ = connect(handlers, issue_ticket(user, "dashboard").ticket)
    issue_ticket(user, "dashboard")
    tickets, connections = purge(clock.now() + timedelta(hours=4))
    assert tickets >= 2 and connections >= 1
    assert stored(conn.connection_id) is None
    with shared_session() as session:
        assert session.scalar(select(func.count()).select_from(WsTicket).where(WsTicket.user_id == user.user_id)) == 0


def test_the_scheduled_purge_runs_through_the_disconnect_function(handlers, user, monkeypatch):
    conn, _ = connect(handlers, issue_ticket(user, "dashboard").ticket)
    later = clock.now() + timedelta(hours=4)
    monkeypatch.setattr(clock, "now", lambda: later)
    answer = handlers["ws_disconnect"]({"task": "purge_ws"}, None)
    assert answer["task"] == "purge_ws" and answer["connections_deleted"] >= 1
    assert stored(conn.connection_id) is None


def test_only_a_paired_device_gets_an_extension_ticket(user):
    from stoflow.errors import Forbidden

    with pytest.raises(Forbidden) as refused:
        issue_ticket(user, "extension")  # a dashboard login
    assert refused.value.code == "not_an_extension_device"
    assert issue_ticket(device_principal(user.user_id), "extension").client == "extension"


def test_an_extension_connection_remembers_its_device(handlers, user):
    from stoflow.services.ws import connections_of

    device = device_principal(user.user_id)
    conn, _ = connect(handlers, issue_ticket(device, "extension").ticket)
    (row,) = [c for c in connections_of(user.tenant_id, "extension") if c.connection_id == conn.connection_id]
    assert row.device_id is not None
