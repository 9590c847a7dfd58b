"""A database, proxy or Secrets Manager that is unavailable: 503 `service_unavailable` with a
Retry-After on every HTTP route and on /health, within the connect timeout, never a 500.

Three real failures: nothing listens on the database's port; a "proxy" accepts the TCP
connection and never says a word; Secrets Manager answers ThrottlingException."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from botocore.stub import Stubber
from sqlalchemy import text

from stoflow import aws, runtime
from stoflow.availability import unavailable_dependency
from stoflow.db.engine import ENGINE, build_engine
from tests.support.api import Reply, caller, http_event, load_function

CONNECT_TIMEOUT_S = 0.5


@pytest.fixture
def closed_port() -> int:
    """A port on which nothing listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_proxy() -> Iterator[int]:
    """A listener that completes TCP handshakes (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


@pytest.fixture
def database_at(identity, monkeypatch):
    """Install, as the container's engine, one pointing at 127.0.0.1:<port>."""
    installed = []

    def install(port: int) -> None:
        engine = build_engine(f"postgresql://postgres@127.0.0.1:{port}/stoflow", connect_timeout_s=CONNECT_TIMEOUT_S)
        installed.append(engine)
        runtime.provide(ENGINE, engine)

    yield install
    runtime.provide(ENGINE, None)
    for engine in installed:
        engine.dispose()


def assert_unavailable(reply: Reply) -> None:
    assert reply.status == 503, reply
    assert reply.json["code"] == "service_unavailable"
    assert int(reply.headers["retry-after"]) >= 1


def routes_that_need_the_database() -> list[tuple[str, str, str, object]]:
    return [
        ("auth", "POST", "/auth/login", {"email": "someone@example.com", "password": "whatever it is"}),
        ("auth", "POST", "/auth/register", {"email": "new@example.com", "password": "long enough password"}),
    ]


@pytest.mark.parametrize("failure", ["closed_port", "silent_proxy"])
def test_every_route_and_health_answer_503_when_the_database_is_unreachable(failure, database_at, request):
    database_at(request.getfixturevalue(failure))
    for function, method, path, body in routes_that_need_the_database():
        assert_unavailable(caller(function)(method, path, body))
    health = Reply(load_function("health").handler(http_event("GET", "/health"), None))
    assert_unavailable(health)
    assert health.json["database"] == "down"


def test_an_authenticated_route_answers_503_too(identity, database_at, closed_port):
    from tests.support.api import register_and_login

    account = register_and_login()
    database_at(closed_port)
    assert_unavailable(caller("auth")("GET", "/auth/me", token=account["access_token"]))
    assert_unavailable(caller("products")("GET", "/products", token=account["access_token"]))


def test_the_connect_timeout_bounds_a_silent_proxy_and_statements_keep_the_socket_timeout(silent_proxy, engine):
    # Connecting uses the connect timeout (a proxy that never answers fails in it)...
    stuck = build_engine(f"postgresql://postgres@127.0.0.1:{silent_proxy}/x", connect_timeout_s=CONNECT_TIMEOUT_S)
    with pytest.raises(Exception) as raised:
        stuck.connect()
    assert unavailable_dependency(raised.value) == "database"
    stuck.dispose()
    # ...and a connected socket gets the (longer) socket timeout for its statements.
    working = build_engine(engine.url, connect_timeout_s=CONNECT_TIMEOUT_S, socket_timeout_s=42.0)
    with working.connect() as connection:
        assert connection.connection.dbapi_connection._usock.gettimeout() == 42.0
        assert connection.execute(text("SELECT 1")).scalar() == 1
    working.dispose()


@pytest.fixture
def throttled_secrets(identity, monkeypatch):
    """The database comes from a secret, and Secrets Manager throttles every call."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("STOFLOW_DATABASE_SECRET_ARN", "arn:aws:secretsmanager:eu-west-3:123456789012:secret:db")
    runtime.reset()
    client = aws.client("secretsmanager")
    stubber = Stubber(client)
    for _ in range(10):
        stubber.add_client_error("get_secret_value", "ThrottlingException", "Rate exceeded", 400)
    with stubber:
        yield
    runtime.reset()


def test_secrets_manager_throttling_answers_503(throttled_secrets):
    for function, method, path, body in routes_that_need_the_database():
        assert_unavailable(caller(function)(method, path, body))
    assert_unavailable(Reply(load_function("health").handler(http_event("GET", "/health"), None)))


def test_a_websocket_connect_is_refused_with_503(database_at, closed_port):
    database_at(closed_port)
    event = {
        "requestContext": {"routeKey": "$connect", "eventType": "CONNECT", "connectionId": "abc="},
        "queryStringParameters": {"ticket": "t" * 40},
    }
    assert load_function("ws_connect").handler(event, None)["statusCode"] == 503


def test_a_bug_stays_a_500():
    assert unavailable_dependency(ValueError("bad")) is None
    assert unavailable_dependency(KeyError("x")) is None
