"""The WebSocket protocol's messages (docs/jobs-and-websocket.md) and API Gateway's event shape.

Client -> server messages carry `action` (API Gateway selects the route on $request.body.action);
server -> client messages carry `type`. Every client message is validated strictly: unknown
fields are refused, so a typo is an `error` answer rather than a silently ignored field.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ClientKind = Literal["extension", "dashboard"]
# API Gateway closes an idle connection after 10 minutes: clients beat well inside that.
HEARTBEAT_INTERVAL_S = 300
# No message of the protocol nests deeper than a few levels; json.loads recurses once per level
# and raises RecursionError (not ValueError) near a thousand, so the depth is checked first.
MAX_JSON_DEPTH = 32
_JSON_SPECIALS = re.compile(r'["\\\[\]{}]')


def json_depth(text: str, stop_after: int = MAX_JSON_DEPTH) -> int:
    """How deep the arrays and objects of a JSON text nest (strings skipped), without parsing it;
    stops counting once past `stop_after`. Linear: one pass over the special characters only."""
    depth = deepest = 0
    in_string = False
    escaped_at = -1
    for match in _JSON_SPECIALS.finditer(text):
        char, at = match.group(), match.start()
        if in_string:
            if at == escaped_at:
                continue
            if char == "\\":
                escaped_at = at + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_after:
                    break
        else:
            depth -= 1
    return deepest


class ClientMessage(BaseModel):
    """Base of every client message: `action`, and an optional `id` echoed as `reply_to`."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    action: str
    id: str | None = Field(default=None, min_length=1, max_length=64)


class Hello(ClientMessage):
    action: Literal["hello"]
    client: ClientKind
    version: str = Field(min_length=1, max_length=32)
    capabilities: list[str] = Field(default_factory=lambda: [], max_length=64)


class Heartbeat(ClientMessage):
    action: Literal["heartbeat"]


def server_message(type_: str, reply_to: str | None = None, **fields: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"type": type_, **fields}
    if reply_to is not None:
        message["reply_to"] = reply_to
    return message


def error_message(
    code: str, message: str, *, action: str | None = None, reply_to: str | None = None, **details: Any
) -> dict[str, Any]:
    extra: dict[str, Any] = {"action": action} if action is not None else {}
    return server_message("error", reply_to, code=code, message=message, **extra, **details)


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), default=str)


def now_ms() -> int:
    return int(time.time() * 1000)


# --- API Gateway WebSocket events (Lambda proxy integration) -----------------------------------


def connection_id(event: dict[str, Any]) -> str:
    value = (event.get("requestContext") or {}).get("connectionId")
    if not isinstance(value, str) or not value:
        raise ValueError("not an API Gateway WebSocket event: no requestContext.connectionId")
    return value


def query_parameter(event: dict[str, Any], name: str) -> str | None:
    value = (event.get("queryStringParameters") or {}).get(name)
    return value if isinstance(value, str) else None


def request_id(event: dict[str, Any]) -> str | None:
    value = (event.get("requestContext") or {}).get("requestId")
    return value if isinstance(value, str) else None


def message_body(event: dict[str, Any]) -> str:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        import base64

        return base64.b64decode(body).decode("utf-8", errors="replace")
    return str(body)


def response(status: int, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """A route's Lambda answer. On $connect a non-2xx status refuses the handshake with that status;
    on a two-way route (a RouteResponse is declared) API Gateway sends `body` to the client."""
    answer: dict[str, Any] = {"statusCode": status}
    if body is not None:
        answer["body"] = encode(body)
    return answer
