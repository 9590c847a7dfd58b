"""API Gateway WebSocket events (Lambda proxy integration), as the ws functions receive them.

Shapes follow the API Gateway developer guide (WebSocket APIs, "Set up a WebSocket API
integration" and the Lambda proxy examples): $connect carries the handshake's headers and query
string (single and multi-value forms), a MESSAGE event carries the frame as `body`, $disconnect
carries the close code and reason. requestContext has routeKey, eventType, connectionId,
domainName, stage, apiId, requestId, connectedAt, requestTimeEpoch... Keys API Gateway leaves out
when empty (queryStringParameters) are left out here too.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from infra.local.functions import LOCAL_ACCOUNT_ID

LOCAL_WS_API_ID = "localws"
WS_STAGE = "local"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def new_connection_id() -> str:
    # API Gateway's ids are 16 characters of base64 ending in "=" (e.g. "L0SM9cOFvHcCIhw="): the
    # "=" (and a "/" or "+" now and then) makes clients URL-encode them in @connections paths, as
    # they must on AWS.
    return base64.b64encode(os.urandom(11)).decode()


def _request_id() -> str:
    return base64.b64encode(os.urandom(6)).decode().rstrip("=") + "="


def _request_time(epoch: float) -> str:
    t = time.gmtime(epoch)
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


@dataclass
class WsConnectionInfo:
    """What the gateway knows of one connection from its handshake on."""

    connection_id: str
    source_ip: str
    domain_name: str
    connected_at_ms: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    user_agent: str = ""
    last_active_ms: int = 0


def _multi(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value  # the last value wins in the single-value map, as on API Gateway
        multi.setdefault(name, []).append(value)
    return single, multi


def _context(connection: WsConnectionInfo, route_key: str, event_type: str, now: float, **extra: Any) -> dict[str, Any]:
    rid = _request_id()
    context: dict[str, Any] = {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": rid,
        "requestTime": _request_time(now),
        "messageDirection": "IN",
        "stage": WS_STAGE,
        "connectedAt": connection.connected_at_ms,
        "requestTimeEpoch": int(now * 1000),
        "identity": {"sourceIp": connection.source_ip, "userAgent": connection.user_agent},
        "requestId": rid,
        "domainName": connection.domain_name,
        "connectionId": connection.connection_id,
        "apiId": LOCAL_WS_API_ID,
        "accountId": LOCAL_ACCOUNT_ID,
    }
    context.update(extra)
    return context


def connect_event(connection: WsConnectionInfo, raw_query: str, *, now: float | None = None) -> dict[str, Any]:
    now = time.time() if now is None else now
    headers = list(connection.headers)
    headers.append(("X-Forwarded-For", connection.source_ip))
    headers.append(("X-Forwarded-Port", "3001"))
    headers.append(("X-Forwarded-Proto", "http"))
    single, multi = _multi(headers)
    event: dict[str, Any] = {"headers": single, "multiValueHeaders": multi}
    if raw_query:
        query, multi_query = _multi(parse_qsl(raw_query, keep_blank_values=True))
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = multi_query
    event["requestContext"] = _context(connection, "$connect", "CONNECT", now)
    event["isBase64Encoded"] = False
    return event


def message_event(
    connection: WsConnectionInfo, route_key: str, body: str | bytes, *, now: float | None = None
) -> dict[str, Any]:
    now = time.time() if now is None else now
    is_binary = isinstance(body, bytes)
    text = base64.b64encode(body).decode("ascii") if is_binary else body
    return {
        "requestContext": _context(connection, route_key, "MESSAGE", now, messageId=_request_id()),
        "body": text,
        "isBase64Encoded": is_binary,
    }


def disconnect_event(
    connection: WsConnectionInfo, status_code: int, reason: str, *, now: float | None = None
) -> dict[str, Any]:
    now = time.time() if now is None else now
    single, multi = _multi(
        [("Host", connection.domain_name), ("x-api-key", ""), ("X-Forwarded-For", ""), ("x-restapi", "")]
    )
    return {
        "headers": single,
        "multiValueHeaders": multi,
        "requestContext": _context(
            connection, "$disconnect", "DISCONNECT", now, disconnectStatusCode=status_code, disconnectReason=reason
        ),
        "isBase64Encoded": False,
    }
