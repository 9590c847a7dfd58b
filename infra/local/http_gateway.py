"""The local HTTP API: requests routed as API Gateway routes them, to functions run in-process.

A threaded stdlib server is enough: it is one developer's traffic, and the parts that need care
(routing, the event, the response) live in routing.py and http_events.py where they are tested
without sockets.
"""

from __future__ import annotations

import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from infra.local.api_reference import ApiReference
from infra.local.cors import CorsConfig
from infra.local.functions import FunctionRuntime
from infra.local.http_events import (
    HttpRequest,
    HttpResponse,
    InvalidLambdaResponse,
    build_event,
    convert_response,
    internal_error,
    not_found,
    request_id,
)
from infra.local.routing import RouteTable

log = logging.getLogger("stoflow.local.http")

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
# API Gateway refuses bodies over 10 MB with 413 before any function runs.
MAX_BODY_BYTES = 10 * 1024 * 1024


class _BodyTooLarge(Exception):
    pass


class HttpGateway:
    """A Part: `start()` binds and serves in a background thread, `stop()` shuts it down."""

    name = "http"

    def __init__(
        self,
        runtime: FunctionRuntime,
        routes: RouteTable,
        host: str = "127.0.0.1",
        port: int = 3000,
        cors: CorsConfig | None = None,
        reference: ApiReference | None = None,
    ) -> None:
        self.runtime = runtime
        self.routes = routes
        self.cors = cors
        # The API reference page (/docs): local only, answered before the template's routes.
        self.reference = reference
        self.host = host
        self._requested_port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            return self._requested_port
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        self._server = _Server((self.host, self._requested_port), _RequestHandler)
        self._server.gateway = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="http-gateway", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None

    def describe(self) -> list[str]:
        lines = [f"HTTP API     {self.url}"]
        if self.reference is not None:
            lines.append(f"  API reference: {self.url}/docs")
        lines += [f"  {route.route_key:<40} -> {route.function_id}" for route in self.routes.routes]
        return lines

    def handle(self, request: HttpRequest) -> HttpResponse:
        """One request, start to finish; never raises (a failure is a 500, as on AWS)."""
        rid = request_id()
        path = request.target.partition("?")[0] or "/"
        preflight = self.cors.preflight(request) if self.cors is not None else None
        if preflight is not None:  # answered by API Gateway itself, whatever the routes
            preflight.headers.append(("apigw-requestid", rid))
            return preflight
        response = self._route(request, path, rid)
        if self.cors is not None:
            response = self.cors.decorate(request, response)
        response.headers.append(("apigw-requestid", rid))
        return response

    def _route(self, request: HttpRequest, path: str, rid: str) -> HttpResponse:
        page = self.reference.answer(request.method, path) if self.reference is not None else None
        if page is not None:
            return page
        match = self.routes.match(request.method, path)
        if match is None:
            response = not_found()
        else:
            function_id = match.route.function_id
            try:
                result = self.runtime.invoke(function_id, build_event(request, match, request_id_=rid))
                response = convert_response(result)
            except InvalidLambdaResponse:
                log.exception("%s returned a response API Gateway cannot read", function_id)
                response = internal_error()
            except Exception:
                log.exception("%s raised while handling %s %s", function_id, request.method, path)
                response = internal_error()
        return response


class _Server(ThreadingHTTPServer):
    gateway: HttpGateway
    daemon_threads = True


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "stoflow-local"
    sys_version = ""
    timeout = 120  # an idle keep-alive connection does not hold a thread forever

    def _read_body(self) -> bytes:
        """The request body; ValueError when it is malformed, _BodyTooLarge over the limit."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():  # trailers
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY_BYTES:
                    raise _BodyTooLarge
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            # Read and dropped, so the client gets to read the 413 instead of a reset connection.
            while length > 0:
                chunk = self.rfile.read(min(length, 1 << 16))
                if not chunk:
                    break
                length -= len(chunk)
            raise _BodyTooLarge
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        started = time.perf_counter()
        try:
            body = self._read_body()
        except _BodyTooLarge:
            self.close_connection = True
            self._send(
                HttpResponse(413, [("content-type", "application/json")], b'{"message":"Request Entity Too Large"}')
            )
            return
        except ValueError:
            # What is left of a malformed body cannot be told from the next request: close.
            self.close_connection = True
            self._send(HttpResponse(400, [("content-type", "application/json")], b'{"message":"Bad Request"}'))
            return
        request = HttpRequest(
            method=self.command,
            target=self.path,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            protocol=self.request_version,
            server_port=self.server.gateway.port,
        )
        response = self.server.gateway.handle(request)
        self._send(response)
        # Debug: the function logs the request's one line itself (as on AWS).
        log.debug(
            "%s %s -> %d (%.1f ms)", self.command, self.path, response.status, (time.perf_counter() - started) * 1000
        )

    def _send(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: object) -> None:
        # The access line is logged by _handle; the stdlib's other lines go to logging, not stderr.
        log.debug(format, *args)

    def log_error(self, format: str, *args: object) -> None:
        log.warning(format, *args)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


for _method in _METHODS:
    setattr(_RequestHandler, f"do_{_method}", _RequestHandler._handle)
