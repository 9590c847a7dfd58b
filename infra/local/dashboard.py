"""The dashboard, served as CloudFront serves it: the built files of dashboard/dist, index.html for
every path that is not a file (the app's routes), a `config.json` pointing at this local cloud's
HTTP and WebSocket APIs, and the security headers of the deployed response-headers policy.

`make run` builds dashboard/dist first when its sources changed (see the Makefile).
"""

from __future__ import annotations

import json
import logging
import mimetypes
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("stoflow.local.dashboard")

DIST = Path(__file__).resolve().parents[2] / "dashboard" / "dist"

# The same policy as the CloudFront response-headers policy in template.yaml (DashboardHeaders),
# with the local API origins in connect-src and img-src.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob: {origins}; connect-src 'self' {origins} {ws}; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class DashboardServer:
    """A Part: the dashboard on http://host:port."""

    name = "dashboard"

    def __init__(self, host: str, port: int, config: Callable[[], dict[str, str]], dist: Path = DIST) -> None:
        self.host = host
        self._requested_port = port
        self.config = config
        self.dist = dist
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1]) if self._server else self._requested_port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def built(self) -> bool:
        return (self.dist / "index.html").is_file()

    def start(self) -> None:
        handler = type("Handler", (_Handler,), {"dashboard": self})
        self._server = ThreadingHTTPServer((self.host, self._requested_port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="dashboard", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def describe(self) -> list[str]:
        if not self.built:
            return [f"Dashboard    {self.url}  (not built: `make dashboard`, then reload)"]
        return [f"Dashboard    {self.url}  (open this)"]

    def csp(self) -> str:
        config = self.config()
        api = urlsplit(config["apiUrl"])
        ws = urlsplit(config["wsUrl"])
        origins = " ".join(sorted({f"{api.scheme}://{api.netloc}", "http://127.0.0.1:*", "http://localhost:*"}))
        return CSP.format(origins=origins, ws=f"{ws.scheme}://{ws.netloc}")


class _Handler(BaseHTTPRequestHandler):
    dashboard: DashboardServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, *, head: bool) -> None:
        path = urlsplit(self.path).path
        if path == "/config.json":
            body = json.dumps(self.dashboard.config()).encode()
            self._send(200, body, "application/json", "no-store", head)
            return
        if not self.dashboard.built:
            self._send(503, b"The dashboard is not built: run `make dashboard`.", "text/plain", "no-store", head)
            return
        dist = self.dashboard.dist.resolve()
        target = (dist / path.lstrip("/")).resolve()
        if target.is_relative_to(dist) and target.is_file():
            cache = "public, max-age=31536000, immutable" if target.parent.name == "assets" else "no-cache"
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            self._send(200, target.read_bytes(), kind, cache, head)
            return
        if path.startswith("/assets/"):
            self._send(404, b"not found", "text/plain", "no-store", head)
            return
        # The app's own routes (/products/12, /marketplaces/etsy/callback): the SPA answers.
        self._send(200, (dist / "index.html").read_bytes(), "text/html; charset=utf-8", "no-cache", head)

    def _send(self, status: int, body: bytes, kind: str, cache: str, head: bool) -> None:
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.send_header("cache-control", cache)
        self.send_header("content-security-policy", self.dashboard.csp())
        self.send_header("x-content-type-options", "nosniff")
        self.send_header("referrer-policy", "strict-origin-when-cross-origin")
        self.send_header("x-frame-options", "DENY")
        self.end_headers()
        if not head:
            self.wfile.write(body)
