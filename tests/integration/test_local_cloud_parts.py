"""The local cloud's new parts, in-process, against moto's server and a real socket:

- LocalAws creates the template's queues (FIFO, DLQ, redrive) and bucket, and points functions at them;
- the SQS poller delivers real-shaped batches, deletes only what did not fail, and the redrive
  policy moves a message that keeps failing to the DLQ;
- the WebSocket gateway runs $connect/$disconnect/messages with the template's functions and
  serves @connections, where a GoneException deletes the connection's row.
"""

from __future__ import annotations

import json
import os
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from infra.local.aws import LocalAws, template_parameters
from infra.local.functions import FunctionRuntime
from infra.local.intrinsics import Resolver
from infra.local.sqs_poller import SqsPoller, event_sources
from infra.local.template import FunctionSpec, load_template, parse_template
from infra.local.ws_gateway import WebSocketGateway
from infra.local.ws_routes import websocket_api
from stoflow.auth.principal import Principal
from stoflow.config import get_settings
from stoflow.db.tenancy import shared_session
from stoflow.models.realtime import WsConnection
from stoflow.realtime.connections import ConnectionsClient
from stoflow.repositories import users
from stoflow.services.ws import issue_ticket
from tests.support.devices import device_principal

GUARD_S = 60


@pytest.fixture
def local_aws(tmp_path) -> Iterator[LocalAws]:
    template = load_template()
    part = LocalAws(
        template, Resolver(template_parameters(template), get_settings().aws_region), port=0, data_dir=tmp_path
    )
    part.start()
    yield part
    part.stop()


def test_the_templates_queues_and_bucket_exist_with_their_attributes(local_aws):
    sqs = local_aws.client("sqs")
    queue = sqs.get_queue_attributes(QueueUrl=local_aws.queues["JobsQueue"], AttributeNames=["All"])["Attributes"]
    dlq = sqs.get_queue_attributes(QueueUrl=local_aws.queues["JobsDeadLetterQueue"], AttributeNames=["QueueArn"])[
        "Attributes"
    ]
    assert queue["FifoQueue"] == "true"
    assert queue["ContentBasedDeduplication"] == "false"
    assert int(queue["VisibilityTimeout"]) == 300  # the template's value
    assert json.loads(queue["RedrivePolicy"]) == {"deadLetterTargetArn": dlq["QueueArn"], "maxReceiveCount": 5}
    s3 = local_aws.client("s3")
    cors = s3.get_bucket_cors(Bucket=local_aws.buckets["ImagesBucket"])["CORSRules"]
    assert cors[0]["AllowedOrigins"] == ["http://localhost:5173"]  # the DashboardOrigin default
    assert "POST" in cors[0]["AllowedMethods"]
    rules = s3.get_bucket_lifecycle_configuration(Bucket=local_aws.buckets["ImagesBucket"])["Rules"]
    assert any(rule["Filter"].get("Prefix") == "uploads/" for rule in rules)


def test_functions_are_pointed_at_the_local_resources(local_aws):
    settings = get_settings()
    assert settings.aws_endpoint_url == local_aws.endpoint_url
    assert settings.jobs_queue_url == local_aws.queues["JobsQueue"]
    assert settings.images_bucket == local_aws.buckets["ImagesBucket"]
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"


def test_bucket_objects_survive_a_restart(tmp_path):
    template = load_template()

    def part() -> LocalAws:
        return LocalAws(
            template, Resolver(template_parameters(template), get_settings().aws_region), port=0, data_dir=tmp_path
        )

    first = part()
    first.start()
    first.client("s3").put_object(
        Bucket="stoflow-images-local", Key="images/1/a.jpg", Body=b"jpeg!", ContentType="image/jpeg"
    )
    first.stop()
    second = part()
    second.start()
    try:
        answer = second.client("s3").get_object(Bucket="stoflow-images-local", Key="images/1/a.jpg")
        assert (answer["Body"].read(), answer["ContentType"]) == (b"jpeg!", "image/jpeg")
    finally:
        second.stop()


# --- the SQS poller --------------------------------------------------------------------------------

WORKER = textwrap.dedent("""
    import json
    seen = []

    def handler(event, context):
        seen.append(event)
        failures = [{"itemIdentifier": r["messageId"]} for r in event["Records"]
                    if json.loads(r["body"]).get("fail")]
        return {"batchItemFailures": failures}
""")

POLLER_TEMPLATE = """
Resources:
  DeadLetters:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: poller-dlq.fifo
      FifoQueue: true
  Work:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: poller-work.fifo
      FifoQueue: true
      ContentBasedDeduplication: false
      VisibilityTimeout: 600
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt DeadLetters.Arn
        maxReceiveCount: 2
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt Work.Arn
            BatchSize: 5
            FunctionResponseTypes: [ReportBatchItemFailures]
"""


@pytest.fixture
def poller_world(tmp_path) -> Iterator[tuple[LocalAws, SqsPoller, Any]]:
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text(WORKER)
    template = parse_template(POLLER_TEMPLATE, root=tmp_path)
    resolver = Resolver({}, get_settings().aws_region)
    aws = LocalAws(template, resolver, port=0)
    aws.start()
    runtime = FunctionRuntime(template.functions)
    # Failed messages come back at once, so the redrive is seen without waiting.
    poller = SqsPoller(runtime, template, resolver, aws.client("sqs"), retry_delay_s=0, wait_time_s=0)
    poller.sources = event_sources(template, resolver)
    yield aws, poller, runtime
    aws.stop()


def send(aws: LocalAws, queue: str, body: dict[str, Any], group: str = "7:ebay") -> None:
    aws.client("sqs").send_message(
        QueueUrl=aws.queues[queue],
        MessageBody=json.dumps(body),
        MessageGroupId=group,
        MessageDeduplicationId=str(uuid.uuid4()),
    )


def test_a_real_shaped_batch_and_only_the_successes_deleted(poller_world):
    aws, poller, runtime = poller_world
    send(aws, "Work", {"job": 1}, group="1:ebay")
    send(aws, "Work", {"job": 2, "fail": True}, group="2:ebay")
    (source,) = poller.sources
    delivered, deleted = poller.poll_once(source)
    assert (delivered, deleted) == (2, 1)

    event = runtime.handler("Worker").__globals__["seen"][0]
    record = event["Records"][0]
    assert set(record) >= {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(":poller-work.fifo")
    assert record["attributes"]["MessageGroupId"] in ("1:ebay", "2:ebay")
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert "MessageDeduplicationId" in record["attributes"]

    # The failure came back (and only it); the success is gone.
    delivered, deleted = poller.poll_once(source)
    assert (delivered, deleted) == (1, 0)


def test_a_message_that_keeps_failing_ends_in_the_dlq(poller_world):
    aws, poller, _ = poller_world
    send(aws, "Work", {"job": 3, "fail": True})
    (source,) = poller.sources
    assert poller.poll_once(source) == (1, 0)
    assert poller.poll_once(source) == (1, 0)
    # maxReceiveCount is 2: the third receive finds it moved to the DLQ instead.
    assert poller.poll_once(source) == (0, 0)
    moved = aws.client("sqs").receive_message(QueueUrl=aws.queues["DeadLetters"], MaxNumberOfMessages=10)
    assert [json.loads(m["Body"]) for m in moved.get("Messages", [])] == [{"job": 3, "fail": True}]


def test_a_handler_that_raises_fails_the_whole_batch(poller_world):
    aws, poller, runtime = poller_world
    module_globals = runtime.handler("Worker").__globals__

    def boom(event: Any, context: Any) -> None:
        raise RuntimeError("worker crashed")

    runtime._handlers["Worker"] = boom
    send(aws, "Work", {"job": 4})
    (source,) = poller.sources
    assert poller.poll_once(source) == (1, 0)
    runtime._handlers["Worker"] = module_globals["handler"]
    assert poller.poll_once(source) == (1, 1)  # delivered again, and this time deleted


# --- the WebSocket gateway ----------------------------------------------------------------------


@pytest.fixture
def gateway(engine, monkeypatch) -> Iterator[WebSocketGateway]:
    # boto3 signs @connections calls; in the local cloud LocalAws exports these throwaway keys.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    template = load_template()
    part = WebSocketGateway(FunctionRuntime(template.functions), websocket_api(template), port=0)
    part.start()
    yield part
    part.stop()


@pytest.fixture
def user(engine) -> Principal:
    from stoflow.repositories import auth_sessions

    with shared_session() as session:
        user_id = users.insert_user(session, f"gw-{uuid.uuid4().hex[:10]}@example.com", "x")
        assert user_id is not None
        session_id = auth_sessions.create_session(session, user_id)  # a ticket needs a live session
    return Principal(user_id, user_id, "user", str(session_id), "j")


def row(connection_id: str) -> WsConnection | None:
    with shared_session() as session:
        return session.get(WsConnection, connection_id)


def test_connect_message_push_and_disconnect_over_a_socket(gateway, user):
    assert get_settings().ws_callback_url == gateway.callback_url
    with connect(f"{gateway.url}/?ticket={issue_ticket(user, 'dashboard').ticket}", open_timeout=GUARD_S) as ws:
        ws.send(json.dumps({"action": "hello", "client": "dashboard", "version": "1"}))
        welcome = json.loads(ws.recv(timeout=GUARD_S))
        assert welcome["type"] == "welcome"
        connection_id = welcome["connection_id"]
        assert connection_id in gateway.connection_ids
        assert row(connection_id).tenant_id == user.tenant_id

        # Pushed through boto3's apigatewaymanagementapi against the gateway's @connections API.
        client = ConnectionsClient()
        assert client.send(connection_id, {"type": "job_status", "job_id": 1}) is True
        assert json.loads(ws.recv(timeout=GUARD_S)) == {"type": "job_status", "job_id": 1}
        info = client.info(connection_id)
        assert info["Identity"]["SourceIp"] == "127.0.0.1"
    # The close ran $disconnect: the row is gone, and a push now finds the connection gone.
    assert gateway.wait_disconnected(connection_id, GUARD_S)
    assert row(connection_id) is None
    assert ConnectionsClient().send(connection_id, {"type": "x"}) is False


def test_gone_connections_are_forgotten_when_pushed_to(gateway, user):
    from stoflow.auth import clock
    from stoflow.repositories import ws as repo

    with shared_session() as session:  # a row whose $disconnect never came
        repo.add_connection(session, "StaleConn0000000=", user.user_id, user.tenant_id, "dashboard", clock.now())
    assert ConnectionsClient().send("StaleConn0000000=", {"type": "x"}) is False
    assert row("StaleConn0000000=") is None


def test_a_refused_connect_is_the_functions_status(gateway):
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{gateway.url}/?ticket=nope", open_timeout=GUARD_S)
    assert refused.value.response.status_code == 401


def test_the_server_closes_a_connection_with_delete(gateway, user):
    ticket = issue_ticket(device_principal(user.user_id), "extension").ticket
    with connect(f"{gateway.url}/?ticket={ticket}", open_timeout=GUARD_S) as ws:
        ws.send(json.dumps({"action": "heartbeat"}))
        assert json.loads(ws.recv(timeout=GUARD_S))["type"] == "heartbeat_ack"
        (connection_id,) = [c for c in gateway.connection_ids]
        ConnectionsClient().close(connection_id)
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=GUARD_S)
    assert gateway.wait_disconnected(connection_id, GUARD_S)
    assert row(connection_id) is None


def test_an_unroutable_frame_goes_to_default(gateway, user):
    with connect(f"{gateway.url}/?ticket={issue_ticket(user, 'dashboard').ticket}", open_timeout=GUARD_S) as ws:
        ws.send("plain text")
        assert json.loads(ws.recv(timeout=GUARD_S))["code"] == "invalid_json"


def test_function_specs_of_the_fixture_template_are_plain(tmp_path):
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text(WORKER)
    template = parse_template(POLLER_TEMPLATE, root=tmp_path)
    assert isinstance(template.function("Worker"), FunctionSpec)
    assert Path(template.function("Worker").module_file).is_file()


BOOM = textwrap.dedent("""
    def connect(event, context):
        return {"statusCode": 200}

    def boom(event, context):
        raise RuntimeError("message handler bug")

    def disconnect(event, context):
        return {"statusCode": 200}
""")


@pytest.fixture
def boom_gateway(tmp_path) -> Iterator[WebSocketGateway]:
    from infra.local.ws_routes import WsApi, WsRoute

    (tmp_path / "app.py").write_text(BOOM)
    functions = [
        FunctionSpec(name, tmp_path, f"app.{name.lower()}", {}, ()) for name in ("Connect", "Boom", "Disconnect")
    ]
    api = WsApi(
        "Api",
        "$request.body.action",
        {
            "$connect": WsRoute("$connect", "Connect", False),
            "$default": WsRoute("$default", "Boom", True),
            "$disconnect": WsRoute("$disconnect", "Disconnect", False),
        },
    )
    part = WebSocketGateway(FunctionRuntime(functions), api, port=0, idle_timeout_s=1.0)
    part.start()
    yield part
    part.stop()


def test_a_raising_route_answers_internal_server_error(boom_gateway):
    with connect(boom_gateway.url, open_timeout=GUARD_S) as ws:
        ws.send('{"action": "anything"}')
        answer = json.loads(ws.recv(timeout=GUARD_S))
        assert answer["message"] == "Internal server error"
        assert answer["connectionId"] in boom_gateway.connection_ids


def test_an_idle_connection_is_closed_going_away(boom_gateway):
    with connect(boom_gateway.url, open_timeout=GUARD_S) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=GUARD_S)  # nothing sent: the gateway's idle limit (1 s here) closes it
        assert closed.value.rcvd.code == 1001
