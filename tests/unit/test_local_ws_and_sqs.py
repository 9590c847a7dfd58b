"""Pure pieces of the local cloud and the realtime package: WebSocket route selection and event
shapes, the message router's answers, batchItemFailures semantics, intrinsic resolution."""

import json

import pytest

from infra.local.intrinsics import Resolver
from infra.local.sqs_poller import failed_ids
from infra.local.template import load_template
from infra.local.ws_events import WsConnectionInfo, connect_event, disconnect_event, message_event, new_connection_id
from infra.local.ws_routes import WsApi, WsRoute, websocket_api
from stoflow.errors import Forbidden
from stoflow.realtime.protocol import ClientMessage
from stoflow.realtime.router import MessageRouter, register_basics
from stoflow.repositories.ws import ConnectionRow

# --- route selection ------------------------------------------------------------------------------

API = WsApi(
    "Api",
    "$request.body.action",
    {
        "$connect": WsRoute("$connect", "Connect", False),
        "$default": WsRoute("$default", "Message", True),
        "hello": WsRoute("hello", "Message", True),
    },
)


@pytest.mark.parametrize(
    ("body", "route"),
    [
        ('{"action": "hello"}', "hello"),
        ('{"action": "nope"}', "$default"),
        ('{"action": 3}', "$default"),
        ('{"action": "$connect"}', "$default"),  # a client cannot select a special route
        ("[1, 2]", "$default"),
        ("not json", "$default"),
        ("", "$default"),
    ],
)
def test_route_selection_on_the_body_action(body, route):
    assert API.select(body).route_key == route


def test_the_templates_websocket_api():
    api = websocket_api(load_template())
    assert api.route_selection_expression == "$request.body.action"
    assert api.routes["$connect"].function_id == "WsConnectFunction"
    assert not api.routes["$connect"].two_way
    assert api.routes["$default"].two_way and api.routes["hello"].function_id == "WsMessageFunction"


# --- event shapes ---------------------------------------------------------------------------------

INFO = WsConnectionInfo(
    new_connection_id(),
    "203.0.113.9",
    "127.0.0.1",
    1_763_780_000_000,
    headers=[("Host", "127.0.0.1:3001"), ("Sec-WebSocket-Version", "13")],
    user_agent="ua",
)


def test_connect_event_shape():
    event = connect_event(INFO, "ticket=abc&x=1&x=2")
    context = event["requestContext"]
    assert (context["routeKey"], context["eventType"], context["messageDirection"]) == ("$connect", "CONNECT", "IN")
    assert context["connectionId"] == INFO.connection_id and context["connectedAt"] == INFO.connected_at_ms
    assert {"domainName", "stage", "requestId", "apiId", "requestTimeEpoch", "identity"} <= set(context)
    assert event["queryStringParameters"] == {"ticket": "abc", "x": "2"}
    assert event["multiValueQueryStringParameters"]["x"] == ["1", "2"]
    assert event["headers"]["Sec-WebSocket-Version"] == "13"
    assert event["isBase64Encoded"] is False
    assert "queryStringParameters" not in connect_event(INFO, "")  # left out when empty, as on AWS


def test_message_and_disconnect_event_shapes():
    message = message_event(INFO, "hello", '{"action":"hello"}')
    assert message["requestContext"]["eventType"] == "MESSAGE" and message["requestContext"]["messageId"]
    assert message["body"] == '{"action":"hello"}' and message["isBase64Encoded"] is False
    binary = message_event(INFO, "$default", b"\x00\x01")
    assert binary["isBase64Encoded"] is True
    gone = disconnect_event(INFO, 1001, "Going away")
    assert gone["requestContext"]["eventType"] == "DISCONNECT"
    assert (gone["requestContext"]["disconnectStatusCode"], gone["requestContext"]["disconnectReason"]) == (
        1001,
        "Going away",
    )


def test_connection_ids_look_like_api_gateways():
    ids = {new_connection_id() for _ in range(50)}
    assert len(ids) == 50 and all(len(i) == 16 and i.endswith("=") for i in ids)


# --- the message router ---------------------------------------------------------------------------

ROW = ConnectionRow("abc=", 7, 7, "dashboard")


def router() -> MessageRouter:
    r = MessageRouter(connection_lookup=lambda cid: ROW)
    register_basics(r)
    return r


def test_heartbeat_needs_no_database_beyond_the_lookup():
    reply = router().dispatch("abc=", '{"action": "heartbeat", "id": "7"}')
    assert (reply["type"], reply["reply_to"]) == ("heartbeat_ack", "7")


class Ping(ClientMessage):
    action: str = "ping"
    n: int


def test_routes_can_be_added_and_limited_to_a_client_kind():
    r = router()
    seen = []
    r.add("ping", Ping, lambda context, message: seen.append(message.n) or {"type": "pong"}, clients=("extension",))
    assert r.dispatch("abc=", '{"action": "ping", "n": 1}')["code"] == "action_not_allowed"
    extension_router = MessageRouter(connection_lookup=lambda cid: ROW._replace(client="extension"))
    extension_router.add(
        "ping", Ping, lambda context, message: seen.append(message.n) or {"type": "pong"}, clients=("extension",)
    )
    assert extension_router.dispatch("abc=", '{"action": "ping", "n": 2}') == {"type": "pong"}
    assert seen == [2]
    with pytest.raises(ValueError, match="already"):
        r.add("heartbeat", Ping, lambda c, m: None)


def test_strict_types_and_domain_errors_become_error_messages():
    r = router()
    r.add("ping", Ping, lambda context, message: (_ for _ in ()).throw(Forbidden("no", code="nope")))
    assert r.dispatch("abc=", '{"action": "ping", "n": "1"}')["code"] == "invalid_message"  # strict: no coercion
    assert r.dispatch("abc=", '{"action": "ping", "n": 1}')["code"] == "nope"


def test_an_unexpected_failure_is_an_internal_error_message(caplog):
    r = router()
    r.add("ping", Ping, lambda context, message: 1 / 0)
    reply = r.dispatch("abc=", '{"action": "ping", "n": 1}')
    assert (reply["type"], reply["code"], reply["action"]) == ("error", "internal_error", "ping")
    assert "ZeroDivisionError" in caplog.text


# --- batchItemFailures ----------------------------------------------------------------------------

IDS = ["m1", "m2", "m3"]


@pytest.mark.parametrize(
    ("result", "report", "failed"),
    [
        (None, True, set()),
        ({}, True, set()),
        ({"batchItemFailures": []}, True, set()),
        ({"batchItemFailures": [{"itemIdentifier": "m2"}]}, True, {"m2"}),
        ({"batchItemFailures": [{"itemIdentifier": "m2"}]}, False, set()),  # not reported: ignored
        ({"batchItemFailures": [{"itemIdentifier": "zz"}]}, True, set(IDS)),  # unknown id: whole batch
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, True, set(IDS)),
        ({"batchItemFailures": [{}]}, True, set(IDS)),
        ({"batchItemFailures": "m1"}, True, set(IDS)),
    ],
)
def test_batch_item_failures(result, report, failed):
    assert failed_ids(result, IDS, report) == failed


# --- intrinsics -----------------------------------------------------------------------------------


def test_intrinsics_resolve_from_what_the_parts_created():
    resolver = Resolver({"Stage": "local"}, "eu-west-3")
    resolver.set_ref("JobsQueue", "http://q")
    resolver.set_attribute("JobsQueue", "Arn", "arn:aws:sqs:eu-west-3:123456789012:q")
    assert resolver.resolve({"Ref": "JobsQueue"}) == "http://q"
    assert resolver.resolve({"Fn::GetAtt": ["JobsQueue", "Arn"]}).endswith(":q")
    assert resolver.resolve({"Fn::Sub": "stoflow-jobs-${Stage}.fifo"}) == "stoflow-jobs-local.fifo"
    assert resolver.resolve({"Fn::Sub": "arn:${AWS::Partition}:x:${AWS::Region}"}) == "arn:aws:x:eu-west-3"
    assert resolver.resolve({"Fn::Sub": ["${A}-${Stage}", {"A": {"Ref": "JobsQueue"}}]}) == "http://q-local"
    assert resolver.resolve({"Fn::Sub": "https://${WebSocketApi}.example"}) is None  # unknown: not guessed
    assert resolver.resolve({"Fn::Join": [",", ["a"]]}) is None
    assert resolver.resolve("literal") == "literal"


def test_json_is_what_the_router_answers():
    assert json.loads(json.dumps(router().dispatch("abc=", "{}")))["code"] == "invalid_message"


def test_after_hooks_run_for_their_clients_and_never_spoil_the_reply():
    seen: list[str] = []

    def failing(context):
        raise RuntimeError("hook bug")

    for client in ("extension", "dashboard"):
        r = MessageRouter(connection_lookup=lambda cid, client=client: ROW._replace(client=client))
        register_basics(r)
        r.after("heartbeat", lambda context: seen.append(context.connection.client), clients=("extension",))
        r.after("heartbeat", failing, clients=("extension", "dashboard"))
        assert r.dispatch("abc=", json.dumps({"action": "heartbeat"}))["type"] == "heartbeat_ack"
    assert seen == ["extension"]
