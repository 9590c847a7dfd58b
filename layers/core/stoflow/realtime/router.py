"""The route table of ws_message: one entry per `action`, each with its message model.

    router = MessageRouter()

    @router.route("job_result", JobResult, clients=("extension",))
    def job_result(context: MessageContext, message: JobResult) -> dict | None: ...

API Gateway already selects routes on $request.body.action, but every named route and $default
reach the same function: the table here is what decides, so an action the template does not name
is still answered (with `error`, code unknown_action) rather than dropped.

Marketplaces add their own actions: a descriptor's `ws` names a `register(router)`; the table of
ws_message is built by stoflow.services.ws.message_router() (the basics plus every marketplace's).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from stoflow.errors import StoflowError
from stoflow.realtime.protocol import MAX_JSON_DEPTH, ClientMessage, error_message, json_depth
from stoflow.repositories.ws import ConnectionRow

log = logging.getLogger(__name__)

M = TypeVar("M", bound=ClientMessage)
Reply = dict[str, Any] | None


@dataclass(frozen=True)
class MessageContext:
    connection: ConnectionRow
    request_id: str | None = None

    @property
    def connection_id(self) -> str:
        return self.connection.connection_id

    @property
    def tenant_id(self) -> int:
        return self.connection.tenant_id


@dataclass(frozen=True)
class Route(Generic[M]):
    action: str
    model: type[M]
    handler: Callable[[MessageContext, M], Reply]
    clients: frozenset[str]


class MessageRouter:
    def __init__(
        self, *, max_message_bytes: int = 128 * 1024, connection_lookup: Callable[[str], ConnectionRow] | None = None
    ) -> None:
        self._routes: dict[str, Route[Any]] = {}
        self._after: dict[str, list[tuple[frozenset[str], Callable[[MessageContext], None]]]] = {}
        self.max_message_bytes = max_message_bytes
        self._lookup = connection_lookup

    @property
    def actions(self) -> list[str]:
        return sorted(self._routes)

    def add(
        self,
        action: str,
        model: type[M],
        handler: Callable[[MessageContext, M], Reply],
        clients: Collection[str] = ("extension", "dashboard"),
    ) -> None:
        if action in self._routes:
            raise ValueError(f"action {action!r} already has a route")
        self._routes[action] = Route(action, model, handler, frozenset(clients))

    def after(self, action: str, hook: Callable[[MessageContext], None], clients: Collection[str]) -> None:
        """Run `hook` once `action`'s handler has answered a connection of one of `clients`
        (another area reacting to hello or heartbeat). A failing hook is logged; the client still
        gets the handler's reply."""
        self._after.setdefault(action, []).append((frozenset(clients), hook))

    def route(
        self, action: str, model: type[M], clients: Collection[str] = ("extension", "dashboard")
    ) -> Callable[[Callable[[MessageContext, M], Reply]], Callable[[MessageContext, M], Reply]]:
        def decorator(handler: Callable[[MessageContext, M], Reply]) -> Callable[[MessageContext, M], Reply]:
            self.add(action, model, handler, clients)
            return handler

        return decorator

    def dispatch(self, connection_id: str, body: str, request_id: str | None = None) -> Reply:
        """One client message in, the reply out (None: nothing to say). Never raises: every
        failure is an `error` message, so a client always learns why it was not understood."""
        if len(body.encode("utf-8")) > self.max_message_bytes:
            return error_message("message_too_large", f"messages are limited to {self.max_message_bytes} bytes")
        if json_depth(body) > MAX_JSON_DEPTH:
            return error_message("message_too_deep", f"JSON may nest at most {MAX_JSON_DEPTH} levels")
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return error_message("invalid_json", "the message is not JSON")
        if not isinstance(data, dict) or not isinstance(data.get("action"), str):
            return error_message("invalid_message", "a message is a JSON object with a string `action`")
        action: str = data["action"]
        reply_to = data.get("id") if isinstance(data.get("id"), str) else None
        route = self._routes.get(action)
        if route is None:
            return error_message(
                "unknown_action",
                f"unknown action {action[:64]!r}",
                action=action[:64],
                reply_to=reply_to,
                known_actions=self.actions,
            )
        try:
            message = route.model.model_validate(data)
        except ValidationError as exc:
            errors = [
                {"loc": [str(part) for part in error["loc"]], "msg": error["msg"], "type": error["type"]}
                for error in exc.errors(include_url=False, include_input=False)
            ]
            return error_message(
                "invalid_message", f"{action} did not validate", action=action, reply_to=reply_to, errors=errors
            )
        try:
            connection = self._connection(connection_id)
            if connection.client not in route.clients:
                return error_message(
                    "action_not_allowed",
                    f"{action} is not for a {connection.client} connection",
                    action=action,
                    reply_to=reply_to,
                )
            context = MessageContext(connection, request_id)
            reply = route.handler(context, message)
        except StoflowError as exc:
            if exc.status >= 500:
                log.exception("ws action %s failed", action)
                return error_message(exc.code, exc.title, action=action, reply_to=reply_to)
            return error_message(exc.code, exc.detail, action=action, reply_to=reply_to)
        except Exception:
            log.exception("ws action %s failed", action)
            return error_message("internal_error", "Internal error", action=action, reply_to=reply_to)
        for clients, hook in self._after.get(action, []):
            if connection.client in clients:
                try:
                    hook(context)
                except Exception:  # the reply stands; the hook's own area retries on its schedule
                    log.exception("after-%s hook %s failed", action, getattr(hook, "__name__", hook))
        return reply

    def _connection(self, connection_id: str) -> ConnectionRow:
        if self._lookup is not None:
            return self._lookup(connection_id)
        from stoflow.realtime.presence import seen

        return seen(connection_id)


def register_basics(router: MessageRouter) -> None:
    """hello -> welcome, heartbeat -> heartbeat_ack: what every client does."""
    from stoflow.realtime.protocol import HEARTBEAT_INTERVAL_S, Heartbeat, Hello, now_ms, server_message

    @router.route("hello", Hello)
    def hello(context: MessageContext, message: Hello) -> Reply:
        from stoflow.realtime.presence import hello as record_hello

        record_hello(context.connection, message.client, message.version, list(message.capabilities))
        return server_message(
            "welcome",
            message.id,
            connection_id=context.connection_id,
            client=context.connection.client,
            heartbeat_interval_s=HEARTBEAT_INTERVAL_S,
            server_time_ms=now_ms(),
        )

    @router.route("heartbeat", Heartbeat)
    def heartbeat(context: MessageContext, message: Heartbeat) -> Reply:
        # The connection's last_seen_at was already moved by the lookup.
        return server_message("heartbeat_ack", message.id, server_time_ms=now_ms())
