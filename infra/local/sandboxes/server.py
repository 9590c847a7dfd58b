"""The local cloud's part that serves the sandboxes, and points the backend at them.

One HTTP port (default 3002) carries eBay (`/ebay/api`, `/ebay/auth`), Etsy (`/etsy/api`,
`/etsy/oauth/connect`), the control page (`/sandbox/`), the control API (`/sandbox/api/...`) and
the page the consent screens send the browser back to (`/sandbox/oauth/<marketplace>`). Vinted
is its own HTTPS origin (default port 3003), as the extension needs one.

What the marketplaces hold (tokens, items, offers, listings, orders) is saved under the data
folder on stop and restored on start, as the backend keeps its side across restarts.

Starting it exports the settings that make the backend use the sandboxes (app keys, base URLs,
the Etsy redirect URI, the photo hosts eBay may fetch over plain HTTP), so connecting eBay and
Etsy works with no marketplace account; stopping it restores what was there before.
"""

from __future__ import annotations

import json
import logging
import pickle
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from infra.local.environment import export, restore
from infra.local.sandboxes import ebay, etsy
from infra.local.sandboxes.base import ApiSandbox
from infra.local.sandboxes.control import ControlError, Sandboxes, act, control_page, landing_page, overview
from infra.local.sandboxes.ebay import EbaySandbox
from infra.local.sandboxes.etsy import EtsySandbox
from infra.local.sandboxes.vinted import VintedSandbox, spki_sha256

log = logging.getLogger("stoflow.local.sandbox")

EXTENSION_DIR = Path(__file__).resolve().parents[3] / "extension"
# Hop-by-hop or recomputed headers never copied from a sandbox's answer.
_SKIP_HEADERS = {"content-length", "transfer-encoding", "connection", "content-encoding"}
# What an API call looks like to a sandbox: the real marketplace's host and the path under it.
_MOUNTS: dict[str, tuple[str, str]] = {
    "/ebay/api": ("ebay", "https://api.ebay.com"),
    "/ebay/auth": ("ebay", "https://auth.ebay.com"),
    "/etsy/api": ("etsy", "https://openapi.etsy.com"),
    "/etsy": ("etsy", "https://www.etsy.com"),
}


def fetch_image(url: str) -> bool:
    """eBay downloads each photo at publish: the sandbox does too, over the local network."""
    try:
        response = httpx.get(url, timeout=10.0, follow_redirects=True)
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and response.headers.get("content-type", "").startswith("image/")


class SandboxServer:
    """A Part of the local cloud (see infra.local.parts)."""

    name = "sandboxes"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 3002,
        vinted_port: int = 3003,
        data_dir: Path,
        api_url: Callable[[], str] = lambda: "http://127.0.0.1:3000",
        dashboard_origin: str | None = None,
    ) -> None:
        self.host, self.port, self.vinted_port = host, port, vinted_port
        self.data_dir = data_dir
        self.api_url = api_url
        # With a dashboard, the consent pages send the browser back to its callback routes (as
        # the real marketplaces do with the registered accept URL); without one, to a sandbox page
        # that shows the curl finishing the connection.
        self.dashboard_origin = dashboard_origin.rstrip("/") if dashboard_origin else None
        self.httpd: ThreadingHTTPServer | None = None
        self.vinted: VintedSandbox | None = None
        self.sandboxes: Sandboxes | None = None
        self._thread: threading.Thread | None = None
        self._previous: dict[str, str | None] = {}

    @property
    def url(self) -> str:
        assert self.httpd is not None
        return f"http://{self.host}:{self.httpd.server_address[1]}"

    def start(self) -> None:
        self.httpd = ThreadingHTTPServer((self.host, self.port), _handler(self))
        self.httpd.daemon_threads = True
        url = self.url
        self.sandboxes = Sandboxes(
            EbaySandbox(strict=True, accept_url=self.return_url("ebay"), image_fetcher=fetch_image),
            EtsySandbox(strict=True, redirect_uris={f"{url}/sandbox/oauth/etsy", self.return_url("etsy")}),
        )
        self.vinted = VintedSandbox(self.data_dir / "sandbox-tls", host=self.host, port=self.vinted_port, strict=True)
        self.sandboxes.vinted = self.vinted.state
        self.sandboxes.ebay.notification_endpoint = self.notification_endpoint()
        self._load()
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="sandboxes", daemon=True)
        self._thread.start()
        self._previous = export(**self.backend_settings())

    def notification_endpoint(self) -> str:
        return f"{self.api_url().rstrip('/')}/marketplaces/ebay/notifications"

    def return_url(self, marketplace: str) -> str:
        """Where a consent page sends the browser back with the code and state."""
        if self.dashboard_origin:
            return f"{self.dashboard_origin}/marketplaces/{marketplace}/callback"
        return f"{self.url}/sandbox/oauth/{marketplace}"

    def backend_settings(self) -> dict[str, str | None]:
        """The variables stoflow.config reads that send the backend to the sandboxes."""
        url = self.url
        return {
            "STOFLOW_EBAY_ENVIRONMENT": "sandbox",
            "STOFLOW_EBAY_APP_SECRET_ARN": None,
            "STOFLOW_EBAY_CLIENT_ID": ebay.CLIENT_ID,
            "STOFLOW_EBAY_CLIENT_SECRET": ebay.CLIENT_SECRET,
            "STOFLOW_EBAY_RU_NAME": ebay.RU_NAME,
            # Marketplace Account Deletion: `stoflow sandbox close ebay USER` posts a signed notice here.
            "STOFLOW_EBAY_VERIFICATION_TOKEN": ebay.VERIFICATION_TOKEN,
            "STOFLOW_EBAY_NOTIFICATION_ENDPOINT": self.notification_endpoint(),
            "STOFLOW_EBAY_API_BASE_URL": f"{url}/ebay/api",
            "STOFLOW_EBAY_AUTH_BASE_URL": f"{url}/ebay/auth",
            "STOFLOW_EBAY_PLAIN_HTTP_PHOTO_HOSTS": json.dumps(["127.0.0.1", "localhost"]),
            "STOFLOW_ETSY_APP_SECRET_ARN": None,
            "STOFLOW_ETSY_KEYSTRING": etsy.KEYSTRING,
            "STOFLOW_ETSY_SHARED_SECRET": etsy.SHARED_SECRET,
            "STOFLOW_ETSY_API_BASE_URL": f"{url}/etsy/api",
            "STOFLOW_ETSY_AUTHORIZE_URL": f"{url}/etsy/oauth/connect",
            "STOFLOW_ETSY_REDIRECT_URI": self.return_url("etsy"),
            # Every local function shares one process, hence one Etsy pacer: Etsy's 10 requests a
            # second hold with that one caller (0.1 s apart), not twelve containers' 1.2 s.
            "STOFLOW_ETSY_CONCURRENT_CALLERS": "1",
            "STOFLOW_LOCAL_SANDBOX_URL": url,
        }

    @property
    def state_file(self) -> Path:
        return self.data_dir / "sandboxes.pickle"

    def _load(self) -> None:
        """The marketplaces as they were at the last stop (a file this part wrote itself)."""
        assert self.sandboxes is not None and self.sandboxes.vinted is not None
        if not self.state_file.exists():
            return
        try:
            saved = pickle.loads(self.state_file.read_bytes())  # noqa: S301 - written by stop() below
            self.sandboxes.ebay.restore(saved["ebay"])
            self.sandboxes.etsy.restore(saved["etsy"])
            self.sandboxes.vinted.restore(saved["vinted"])
        except Exception:  # an older layout: start empty rather than not at all
            log.warning("sandbox state in %s could not be read; starting empty", self.state_file, exc_info=True)

    def _save(self) -> None:
        assert self.sandboxes is not None and self.sandboxes.vinted is not None
        saved = {
            "ebay": self.sandboxes.ebay.snapshot(),
            "etsy": self.sandboxes.etsy.snapshot(),
            "vinted": self.sandboxes.vinted.snapshot(),
        }
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.state_file.write_bytes(pickle.dumps(saved))

    def stop(self) -> None:
        restore(self._previous)
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
        if self.vinted is not None:
            self.vinted.close()
        if self.sandboxes is not None:
            self._save()

    def chromium_command(self) -> str:
        """A Chromium that reaches the Vinted sandbox as www.vinted.fr, with the extension loaded."""
        assert self.vinted is not None
        return (
            f"chromium --user-data-dir={self.data_dir / 'chromium'}"
            f' --host-resolver-rules="MAP www.vinted.fr 127.0.0.1:{self.vinted.port}"'
            f" --ignore-certificate-errors-spki-list={spki_sha256(self.vinted.cert)}"
            f" --load-extension={EXTENSION_DIR} https://www.vinted.fr/"
        )

    def _cli(self) -> str:
        """`stoflow sandbox`, with the URL to reach when it is not the default one."""
        from stoflow.config import Settings

        default = Settings.model_fields["local_sandbox_url"].default
        return "stoflow sandbox" if self.url == default else f"STOFLOW_LOCAL_SANDBOX_URL={self.url} stoflow sandbox"

    def describe(self) -> list[str]:
        url = self.url
        return [
            f"Sandboxes    {url}/sandbox/  (eBay, Etsy and Vinted stand-ins; the backend uses them)",
            f"  eBay   API {url}/ebay/api   consent page {url}/ebay/auth/oauth2/authorize",
            f"  Etsy   API {url}/etsy/api   consent page {url}/etsy/oauth/connect",
            f"  Vinted https://www.vinted.fr in: {self.chromium_command()}",
            "  connect eBay/Etsy: GET /marketplaces/<m>/connect, open authorization_url, Approve, run the curl shown",
            f"  act as the marketplace: {self._cli()} sell|remove <m> <listing>, revoke|recover <m>,"
            " fail <m> --minutes N [--status 429], state",
            "  off: STOFLOW_LOCAL_SANDBOXES=false or --no-sandboxes",
        ]

    # --- requests ------------------------------------------------------------------------------

    def dispatch(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        assert self.sandboxes is not None
        path, _, query = target.partition("?")
        if path in ("/", "/sandbox"):
            return 302, {"location": "/sandbox/"}, b""
        if path.startswith("/sandbox"):
            return self.control(method, path, query, headers, body)
        for prefix, (name, origin) in _MOUNTS.items():
            if path == prefix or path.startswith(prefix + "/"):
                sandbox: ApiSandbox = getattr(self.sandboxes, name)
                request = httpx.Request(
                    method,
                    origin + (path[len(prefix) :] or "/") + (f"?{query}" if query else ""),
                    headers=headers,
                    content=body,
                )
                response = sandbox.handle(request)
                response.read()
                out = {k: v for k, v in response.headers.items() if k.lower() not in _SKIP_HEADERS}
                location = out.get("location")
                if location and location.startswith("/"):
                    out["location"] = prefix + location
                return response.status_code, out, response.content
        return 404, {"content-type": "application/json"}, b'{"error": "no sandbox here; see /sandbox/"}'

    def control(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        assert self.sandboxes is not None
        html_type = {"content-type": "text/html; charset=utf-8"}
        json_type = {"content-type": "application/json"}
        if path == "/sandbox/" and method == "GET":
            return 200, html_type, control_page(self.sandboxes).encode()
        if path.startswith("/sandbox/oauth/") and method == "GET":
            marketplace = path.rsplit("/", 1)[-1]
            return 200, html_type, landing_page(marketplace, dict(parse_qsl(query)), self.api_url()).encode()
        if path == "/sandbox/api/state" and method == "GET":
            return 200, json_type, json.dumps(overview(self.sandboxes), default=str).encode()
        if path == "/sandbox/do" and method == "POST":
            form = dict(parse_qsl(body.decode()))
            try:
                done = act(self.sandboxes, form.get("marketplace", ""), form.get("action", ""), form)
                message = json.dumps(done, default=str)
            except ControlError as exc:
                message = str(exc)
            return 200, html_type, control_page(self.sandboxes, message).encode()
        parts = path.split("/")
        if len(parts) == 5 and parts[:3] == ["", "sandbox", "api"] and method == "POST":
            try:
                params = json.loads(body or b"{}")
                if not isinstance(params, dict):
                    raise ControlError("the body is a JSON object")
                done = act(self.sandboxes, parts[3], parts[4], params)
            except ControlError as exc:
                return exc.status, json_type, json.dumps({"error": str(exc)}).encode()
            except ValueError:
                return 400, json_type, b'{"error": "the body is not JSON"}'
            return 200, json_type, json.dumps(done, default=str).encode()
        return 404, json_type, b'{"error": "unknown control path"}'


def _handler(server: SandboxServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in one write (flushed after each request): two small writes
        # meet the client's delayed ACK and cost ~40 ms a request.
        wbufsize = 1 << 16

        def log_message(self, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            try:
                status, out, content = server.dispatch(self.command, self.path, headers, body)
            except httpx.TransportError:
                # A fault said the answer never comes: drop the connection.
                self.close_connection = True
                return
            except Exception:
                log.exception("sandbox failed on %s %s", self.command, urlsplit(self.path).path)
                status, out, content = 500, {"content-type": "application/json"}, b'{"error": "sandbox error"}'
            self.send_response(status)
            for name, value in out.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve  # noqa: N815 (http.server names)

    return Handler
