"""The local WebSocket API: API Gateway's WebSocket behaviour on one port (default 3001).

- A handshake runs $connect first (with the query string, headers and a new connection id); a
  non-2xx answer refuses the handshake with that HTTP status, as API Gateway does.
- Each frame is routed on the template's RouteSelectionExpression ($request.body.action) to its
  route or $default; on a two-way route the function's `body` is sent back to the client. A
  function that raises answers {"message": "Internal server error", ...} as API Gateway does.
- A close (either side, or the 10-minute idle and 2-hour limits) runs $disconnect with the close
  code and reason.
- The same port serves the @connections API over plain HTTP: POST (send), GET (info) and DELETE
  (close) /@connections/{id}; an unknown id is 410 GoneException. So stoflow's client talks to it
  with boto3's apigatewaymanagementapi, endpoint_url = STOFLOW_WS_CALLBACK_URL, as on AWS.

The `websockets` package speaks the protocol but only accepts GET requests, so a small front
server on the public port reads each request's head: a WebSocket upgrade is passed through to an
internal `websockets` server (on an ephemeral loopback port), anything else is the @connections API.
Functions run in a thread pool; the gateway's own event loop never blocks on them.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from infra.local.environment import export, restore
from infra.local.functions import FunctionRuntime
from infra.local.ws_events import WsConnectionInfo, connect_event, disconnect_event, message_event, new_connection_id
from infra.local.ws_routes import WsApi

log = logging.getLogger("stoflow.local.ws")

MAX_FRAME_BYTES = 128 * 1024  # API Gateway's message limit (frames of 32 KB, messages of 128 KB)
IDLE_TIMEOUT_S = 600
MAX_CONNECTION_S = 7200
_PEER_HEADER = "x-stoflow-local-peer"
_REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    410: "Gone",
    413: "Payload Too Large",
    500: "Internal Server Error",
}


@dataclass
class _Live:
    info: WsConnectionInfo
    connection: Any  # websockets ServerConnection


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


def _now_ms() -> int:
    return int(time.time() * 1000)


class WebSocketGateway:
    """A Part: the WebSocket API and its @connections endpoint, on host:port."""

    name = "websocket"

    def __init__(
        self,
        runtime: FunctionRuntime,
        api: WsApi,
        host: str = "127.0.0.1",
        port: int = 3001,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
        max_connection_s: float = MAX_CONNECTION_S,
    ) -> None:
        self.runtime = runtime
        self.api = api
        self.host = host
        self._requested_port = port
        self.idle_timeout_s = idle_timeout_s
        self.max_connection_s = max_connection_s
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="ws-fn")
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._front: asyncio.Server | None = None
        self._inner: Any = None
        self._inner_port = 0
        self._pending: dict[int, WsConnectionInfo] = {}
        self._live: dict[str, _Live] = {}
        self._previous_env: dict[str, str | None] = {}
        self._disconnected: set[str] = set()
        self._disconnected_changed = threading.Condition()

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def callback_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def connection_ids(self) -> list[str]:
        return list(self._live)

    def wait_disconnected(self, connection_id: str, timeout: float) -> bool:
        """Block until the connection's $disconnect has run (True), or `timeout` passes (False).
        A close is asynchronous, as on API Gateway; tests use this instead of sleeping."""
        with self._disconnected_changed:
            return self._disconnected_changed.wait_for(lambda: connection_id in self._disconnected, timeout)

    # --- Part ------------------------------------------------------------------------------------

    def start(self) -> None:
        self._ready.clear()
        self._thread = threading.Thread(target=self._serve, name="ws-gateway", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            self._thread.join()
            raise self._startup_error
        # Senders (the worker, the scheduled functions) find the @connections API here; the
        # extension pairing answer tells the browser where to connect.
        self._previous_env = export(
            STOFLOW_WS_CALLBACK_URL=self.callback_url,
            STOFLOW_WS_PUBLIC_URL=self.url,
        )

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        try:
            future.result(timeout=60)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._thread = None
            self._pool.shutdown(wait=True)
            restore(self._previous_env)

    def describe(self) -> list[str]:
        lines = [f"WebSocket    {self.url}/?ticket=<POST /ws/tickets>  (@connections: {self.callback_url})"]
        lines += [f"  {key:<40} -> {route.function_id}" for key, route in self.api.routes.items()]
        return lines

    # --- event loop --------------------------------------------------------------------------------

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._startup())
        except BaseException as exc:  # a busy port, most likely: reported by start()
            self._startup_error = exc
            self._ready.set()
            loop.close()
            self._loop = None
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()
            self._loop = None

    async def _startup(self) -> None:
        from websockets.asyncio.server import serve

        self._inner = await serve(
            self._session,
            "127.0.0.1",
            0,
            process_request=self._handshake,
            max_size=MAX_FRAME_BYTES,
            # API Gateway answers pings but never sends its own; neither does this gateway.
            ping_interval=None,
            compression=None,
        )
        self._inner_port = self._inner.sockets[0].getsockname()[1]
        self._front = await asyncio.start_server(self._accept, self.host, self._requested_port, limit=1 << 16)
        self.port = self._front.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        if self._front is not None:
            self._front.close()
        for live in list(self._live.values()):
            # API Gateway going away: 1001, and $disconnect for each.
            await live.connection.close(1001, "Going away")
        if self._inner is not None:
            self._inner.close()
            await self._inner.wait_closed()
        if self._front is not None:
            await self._front.wait_closed()

    async def _invoke(self, function_id: str, event: dict[str, Any]) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self.runtime.invoke, function_id, event)

    # --- front: upgrade pass-through, or the @connections API -----------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername") or ("127.0.0.1", 0)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        try:
            method, target, _ = lines[0].split(" ", 2)
        except ValueError:
            await self._respond(writer, 400, {"message": "Bad Request"})
            return
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if method == "GET" and headers.get("upgrade", "").lower() == "websocket":
            await self._pass_through(head, reader, writer, str(peer[0]))
            return
        try:
            length = int(headers.get("content-length") or 0)
            body = await reader.readexactly(length) if length else b""
        except (ValueError, asyncio.IncompleteReadError):
            await self._respond(writer, 400, {"message": "Bad Request"})
            return
        status, payload, extra = await self._connections_api(method, target, body)
        await self._respond(writer, status, payload, extra)

    async def _respond(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        payload: dict[str, Any] | None,
        extra: dict[str, str] | None = None,
    ) -> None:
        body = json.dumps(payload).encode() if payload is not None else b""
        head = [
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            "Connection: close",
            f"x-amzn-RequestId: {new_connection_id()}",
        ]
        head += [f"{name}: {value}" for name, value in (extra or {}).items()]
        try:
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def _pass_through(
        self, head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str
    ) -> None:
        try:
            inner_reader, inner_writer = await asyncio.open_connection("127.0.0.1", self._inner_port)
        except OSError:
            writer.close()
            return
        # The client's address travels in a private header the handshake removes again.
        marked = head[:-2] + f"{_PEER_HEADER}: {peer}\r\n\r\n".encode("latin-1")
        inner_writer.write(marked)

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while chunk := await source.read(1 << 16):
                    sink.write(chunk)
                    await sink.drain()
            except ConnectionError:
                pass
            finally:
                sink.close()

        await asyncio.gather(pump(reader, inner_writer), pump(inner_reader, writer))

    async def _connections_api(
        self, method: str, target: str, body: bytes
    ) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
        path = target.split("?", 1)[0]
        marker = "/@connections/"
        if marker not in path:
            return 403, {"message": "Forbidden"}, {}
        connection_id = unquote(path.split(marker, 1)[1])
        live = self._live.get(connection_id)
        if method not in ("POST", "GET", "DELETE"):
            return 405, {"message": "Method Not Allowed"}, {}
        if live is None:
            return 410, {"message": None}, {"x-amzn-ErrorType": "GoneException"}
        if method == "POST":
            if len(body) > MAX_FRAME_BYTES:
                return 413, {"message": "Message too long"}, {"x-amzn-ErrorType": "PayloadTooLargeException"}
            try:
                await live.connection.send(body.decode("utf-8"))
            except UnicodeDecodeError:
                await live.connection.send(body)
            except Exception:
                return 410, {"message": None}, {"x-amzn-ErrorType": "GoneException"}
            return 200, None, {}
        if method == "GET":
            return (
                200,
                {
                    "connectedAt": _iso(live.info.connected_at_ms),
                    "identity": {"sourceIp": live.info.source_ip, "userAgent": live.info.user_agent},
                    "lastActiveAt": _iso(live.info.last_active_ms or live.info.connected_at_ms),
                },
                {},
            )
        asyncio.get_running_loop().create_task(live.connection.close(1000, ""))
        return 204, None, {}

    # --- WebSocket side ----------------------------------------------------------------------------

    async def _handshake(self, connection: Any, request: Any) -> Any:
        raw_headers = list(request.headers.raw_items())
        peer = next((v for k, v in raw_headers if k.lower() == _PEER_HEADER), "127.0.0.1")
        headers = [(k, v) for k, v in raw_headers if k.lower() != _PEER_HEADER]
        host = request.headers.get("Host", self.host).rsplit(":", 1)[0]
        info = WsConnectionInfo(
            connection_id=new_connection_id(),
            source_ip=peer,
            domain_name=host,
            connected_at_ms=_now_ms(),
            headers=headers,
            user_agent=request.headers.get("User-Agent", ""),
        )
        route = self.api.routes.get("$connect")
        if route is not None:
            query = request.path.partition("?")[2]
            try:
                result = await self._invoke(route.function_id, connect_event(info, query))
            except Exception:
                log.exception("$connect (%s) raised", route.function_id)
                return connection.respond(500, "Internal server error\n")
            status = result.get("statusCode", 200) if isinstance(result, dict) else 200
            try:
                status = int(status)
            except (TypeError, ValueError):
                status = 500
            if not 200 <= status < 300:
                log.info("$connect refused with %s", status)
                return connection.respond(status, f"{_REASONS.get(status, 'Refused')}\n")
        self._pending[id(connection)] = info
        return None

    async def _session(self, connection: Any) -> None:
        info = self._pending.pop(id(connection))
        self._live[info.connection_id] = _Live(info, connection)
        log.info("ws %s connected from %s", info.connection_id, info.source_ip)
        started = time.monotonic()
        try:
            while True:
                remaining = self.max_connection_s - (time.monotonic() - started)
                if remaining <= 0:
                    await connection.close(1001, "Going away")
                    break
                try:
                    message = await asyncio.wait_for(connection.recv(), timeout=min(self.idle_timeout_s, remaining))
                except TimeoutError:
                    await connection.close(1001, "Going away")
                    break
                info.last_active_ms = _now_ms()
                await self._on_message(info, connection, message)
        except Exception as exc:
            if type(exc).__name__ not in ("ConnectionClosedOK", "ConnectionClosedError", "ConnectionClosed"):
                log.exception("ws %s failed", info.connection_id)
        finally:
            self._live.pop(info.connection_id, None)
            await self._disconnect(info, connection)

    async def _on_message(self, info: WsConnectionInfo, connection: Any, message: str | bytes) -> None:
        text = message if isinstance(message, str) else ""
        route = self.api.select(text)
        if route is None:
            await connection.send(
                json.dumps(
                    {"message": "Forbidden", "connectionId": info.connection_id, "requestId": new_connection_id()}
                )
            )
            return
        event = message_event(info, route.route_key, message)
        try:
            result = await self._invoke(route.function_id, event)
        except Exception:
            log.exception("%s (%s) raised", route.route_key, route.function_id)
            await connection.send(
                json.dumps(
                    {
                        "message": "Internal server error",
                        "connectionId": info.connection_id,
                        "requestId": event["requestContext"]["requestId"],
                    }
                )
            )
            return
        if route.two_way and isinstance(result, dict) and result.get("body") is not None:
            body = result["body"]
            if result.get("isBase64Encoded"):
                await connection.send(base64.b64decode(body))
            else:
                await connection.send(str(body))

    async def _disconnect(self, info: WsConnectionInfo, connection: Any) -> None:
        route = self.api.routes.get("$disconnect")
        code = connection.close_code if connection.close_code is not None else 1006
        reason = connection.close_reason or ("Client-side close frame status not set" if code == 1005 else "")
        if route is not None:
            try:
                await self._invoke(route.function_id, disconnect_event(info, code, reason))
            except Exception:
                log.exception("$disconnect (%s) raised", route.function_id)
        log.info("ws %s disconnected (%s)", info.connection_id, code)
        with self._disconnected_changed:
            self._disconnected.add(info.connection_id)
            self._disconnected_changed.notify_all()
