"""The Vinted sandbox: an HTTPS origin that stands in for https://www.vinted.fr. Chromium is pointed
at it by its host resolver (`--host-resolver-rules="MAP www.vinted.fr 127.0.0.1:<port>"`, with
the sandbox's certificate accepted): the extension itself is unchanged, so no store build can
ever reach it.

The home page logs the browser in (an HttpOnly session cookie, an anon_id cookie, the CSRF token
in a meta tag). Every API call must carry the session cookie, `x-csrf-token` and `x-anon-id`;
the sandbox answers the endpoints the extension uses (users/current, photos, item_upload/items,
items/{id}/delete, items/{id}/is_hidden, wardrobe, my_orders, conversations and replies), keeps the seller's items,
and can answer with a DataDome challenge (403 with the captcha-delivery script), 429 with
Retry-After, or a logged-out session. Also serves photos over plain HTTP on loopback (tests).
"""

from __future__ import annotations

import datetime as dt
import email.parser
import email.policy
import itertools
import json
import logging
import re
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

log = logging.getLogger("stoflow.local.sandbox")

CSRF_TOKEN = "csrf-sandbox-5f1c2b7a9d"  # noqa: S105 - the sandbox's made-up token
ANON_ID = "anon-sandbox-42"
SESSION_COOKIE = "_vinted_fr_session=sandbox-session"
VINTED_USER_ID = 321
VINTED_LOGIN = "sandbox-seller"
DATADOME_PAGE = '<html><script src="https://ct.captcha-delivery.com/c.js"></script></html>'


def self_signed(directory: Path, host: str = "www.vinted.fr") -> tuple[Path, Path]:
    """A certificate for `host` (and localhost), with its key, in `directory`: the one already
    there while it is valid for another day (a browser told to trust it keeps trusting it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    cert_path, key_path = directory / "vinted.crt", directory / "vinted.key"
    if cert_path.exists() and key_path.exists():
        existing = x509.load_pem_x509_certificate(cert_path.read_bytes())
        if existing.not_valid_after_utc > dt.datetime.now(dt.UTC) + dt.timedelta(days=1):
            return cert_path, key_path

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host), x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@dataclass
class Call:
    at: float
    method: str
    path: str
    problems: list[str]
    json: Any = None
    files: list[bytes] = field(default_factory=list)


@dataclass
class VintedState:
    calls: list[Call] = field(default_factory=list)
    # The next item upload is answered with a DataDome challenge / the next N API calls with 429.
    datadome_next_upload: bool = False
    rate_limited_calls: int = 0
    retry_after_s: int = 60
    # Every API call answers 429 until then (time.time()): Vinted failing for a while.
    outage_until: float = 0.0
    logged_in: bool = True
    # A sandbox started by the local cloud refuses calls without session, CSRF token or anon id.
    strict: bool = False
    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    orders: list[dict[str, Any]] = field(default_factory=list)
    conversations: dict[int, dict[str, Any]] = field(default_factory=dict)
    photos: dict[str, bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "next_id": next(self.ids),
                "items": self.items,
                "orders": self.orders,
                "conversations": self.conversations,
            }

    def restore(self, saved: dict[str, Any]) -> None:
        with self.lock:
            self.items, self.orders = saved.get("items", {}), saved.get("orders", [])
            self.conversations = saved.get("conversations", {})
            self.ids = itertools.count(int(saved.get("next_id", 1)))

    def api_calls(self) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.path.startswith("/api/")]

    def sell(self, item_id: int) -> int:
        """A buyer buys the item: it is sold and an order and a conversation appear."""
        with self.lock:
            item = self.items.get(item_id)
            if item is None:
                raise KeyError(item_id)
            item.update(status="sold", is_closed=True)
            transaction_id = 9000 + next(self.ids)
            conversation_id = 7000 + next(self.ids)
            now = dt.datetime.now(dt.UTC).isoformat()
            self.orders.append(
                {
                    "transaction_id": transaction_id,
                    "conversation_id": conversation_id,
                    "item_id": item_id,
                    "title": item["title"],
                    "price": {"amount": str(item["price"]), "currency_code": "EUR"},
                    "status": "Payment successful",
                    "transaction_user_status": "needs_action",
                    "date": now,
                    "user": {"login": "sandbox-buyer"},
                }
            )
            self.conversations[conversation_id] = {
                "id": conversation_id,
                "item_count": 1,
                "unread": True,
                "description": f"sandbox-buyer bought {item['title']}",
                "updated_at": now,
                "opposite_user": {"id": 654, "login": "sandbox-buyer"},
                "messages": [
                    {"id": 1, "entity_type": "message", "body": "Bonjour, je viens de l'acheter !", "user_id": 654}
                ],
            }
            return transaction_id

    def remove(self, item_id: int) -> bool:
        """Vinted hides an item on its own (moderation)."""
        with self.lock:
            item = self.items.get(item_id)
            if item is None:
                return False
            item.update(is_hidden=True, status="hidden")
            return True

    def view(self) -> dict[str, Any]:
        with self.lock:
            return {
                "logged_in": self.logged_in,
                "datadome_next_upload": self.datadome_next_upload,
                "rate_limited_calls": self.rate_limited_calls,
                "outage_until": dt.datetime.fromtimestamp(self.outage_until, dt.UTC).isoformat()
                if self.outage_until > time.time()
                else None,
                "items": [
                    {"id": i, "title": v["title"], "status": v["status"], "price": v["price"]}
                    for i, v in self.items.items()
                ],
                "api_calls": sum(1 for c in self.calls if c.path.startswith("/api/")),
            }


def _paged(items: list[dict[str, Any]], query: dict[str, str]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    page = max(1, int(query.get("page", "1") or 1))
    per_page = max(1, min(96, int(query.get("per_page", "20") or 20)))
    total_pages = max(1, -(-len(items) // per_page))
    return items[(page - 1) * per_page : page * per_page], {
        "current_page": page,
        "total_pages": total_pages,
        "total_entries": len(items),
        "per_page": per_page,
    }


def _handler(state: VintedState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # Headers and body leave in one write (flushed after each request): two small writes
        # meet the client's delayed ACK and cost ~40 ms a request.
        wbufsize = 1 << 16

        def log_message(self, *args: Any) -> None:
            pass

        def _send(
            self,
            status: int,
            body: Any,
            content_type: str = "application/json",
            headers: list[tuple[str, str]] | None = None,
        ) -> None:
            raw = (
                body
                if isinstance(body, bytes)
                else (json.dumps(body) if content_type.endswith("json") else str(body)).encode()
            )
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(raw)))
            for name, value in headers or []:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(raw)

        def _body(self) -> bytes:
            length = int(self.headers.get("content-length") or 0)
            return self.rfile.read(length) if length else b""

        def _problems(self) -> list[str]:
            problems = []
            if self.headers.get("x-csrf-token") != CSRF_TOKEN:
                problems.append(f"x-csrf-token {self.headers.get('x-csrf-token')!r}")
            if self.headers.get("x-anon-id") != ANON_ID:
                problems.append(f"x-anon-id {self.headers.get('x-anon-id')!r}")
            if SESSION_COOKIE not in (self.headers.get("cookie") or ""):
                problems.append("no session cookie")
            return problems

        def _record(self, call: Call) -> None:
            with state.lock:
                state.calls.append(call)
                del state.calls[:-5000]

        def _refused(self, problems: list[str]) -> bool:
            """Answers what Vinted would answer before doing anything; True when it did."""
            with state.lock:
                logged_in = state.logged_in
                limited = state.rate_limited_calls > 0
                if limited:
                    state.rate_limited_calls -= 1
                wait = int(state.outage_until - time.time())
                if wait > 0:
                    limited, retry_after = True, wait
                else:
                    retry_after = state.retry_after_s
            if not logged_in or "no session cookie" in problems:
                self._send(401, {"code": 100, "message": "invalid_authentication_token", "message_code": "login"})
                return True
            if state.strict and problems:
                log.warning("vinted sandbox refused %s: %s", self.path, problems)
                self._send(401, {"code": 106, "message": "Invalid authenticity token", "errors": problems})
                return True
            if limited:
                self._send(
                    429, {"code": 429, "message": "Too Many Requests"}, headers=[("retry-after", str(retry_after))]
                )
                return True
            return False

        def do_GET(self) -> None:
            path, _, raw_query = self.path.partition("?")
            query = dict(parse_qsl(raw_query))
            if path.startswith("/photos/"):
                data = state.photos.get(path.rsplit("/", 1)[-1])
                if data is None:
                    self._send(404, {"error": "no such photo"})
                else:
                    self._send(200, data, "image/jpeg")
                return
            if path == "/" or path.startswith("/items/") or path == "/member/signup":
                page = (
                    f'<!doctype html><html><head><meta name="csrf-token" content="{CSRF_TOKEN}">'
                    "<title>Vinted (StoFlow local sandbox)</title></head>"
                    "<body>Vinted, the StoFlow local sandbox: logged in as "
                    f"{VINTED_LOGIN}</body></html>"
                )
                self._send(
                    200,
                    page,
                    "text/html; charset=utf-8",
                    [
                        ("set-cookie", f"anon_id={ANON_ID}; Path=/; Secure"),
                        # The logged-in session: HttpOnly, the page cannot read it, fetch sends it.
                        ("set-cookie", f"{SESSION_COOKIE}; Path=/; Secure; HttpOnly"),
                    ],
                )
                return
            problems = self._problems()
            self._record(Call(time.time(), "GET", path, problems))
            if self._refused(problems):
                return
            with state.lock:
                if path == "/api/v2/users/current":
                    self._send(200, {"user": {"id": VINTED_USER_ID, "login": VINTED_LOGIN}})
                elif m := re.fullmatch(r"/api/v2/item_upload/items/(\d+)", path):
                    item = state.items.get(int(m.group(1)))
                    self._send(*((200, {"item": item}) if item else (404, {"code": 404, "message": "not found"})))
                elif re.fullmatch(rf"/api/v2/wardrobe/{VINTED_USER_ID}/items", path):
                    listed = [i for i in reversed(state.items.values()) if not i.get("is_deleted")]
                    found, pagination = _paged(listed, query)
                    self._send(200, {"items": found, "pagination": pagination})
                elif path == "/api/v2/my_orders":
                    found, pagination = _paged(list(reversed(state.orders)), query)
                    self._send(200, {"my_orders": found, "pagination": pagination})
                elif m := re.fullmatch(r"/api/v2/conversations/(\d+)", path):
                    conv = state.conversations.get(int(m.group(1)))
                    self._send(
                        *((200, {"conversation": conv}) if conv else (404, {"code": 404, "message": "not found"}))
                    )
                elif path == "/api/v2/conversations":
                    convs = [{k: v for k, v in c.items() if k != "messages"} for c in state.conversations.values()]
                    found, pagination = _paged(convs, query)
                    self._send(200, {"conversations": found, "pagination": pagination})
                else:
                    self._send(404, {"code": 404, "message": "not found"})

        def do_PUT(self) -> None:
            path = self.path.split("?", 1)[0]
            body = self._body()
            problems = self._problems()
            payload = json.loads(body or b"{}")
            self._record(Call(time.time(), "PUT", path, problems, payload))
            if self._refused(problems):
                return
            if m := re.fullmatch(r"/api/v2/items/(\d+)/is_hidden", path):
                # Vinted's web client hides or shows an item: {"is_hidden": true | false}.
                hidden = payload.get("is_hidden")
                with state.lock:
                    item = state.items.get(int(m.group(1)))
                    if item is None or not isinstance(hidden, bool):
                        self._send(*((404, {"code": 404, "message": "not found"}) if item is None else (400, {})))
                        return
                    item.update(is_hidden=hidden, status="hidden" if hidden else "active")
                    self._send(200, {"code": 0})
                return
            m = re.fullmatch(r"/api/v2/item_upload/items/(\d+)", path)
            with state.lock:
                item = state.items.get(int(m.group(1))) if m else None
                if item is None:
                    self._send(404, {"code": 404, "message": "not found"})
                    return
                sent = payload.get("item", {})
                item.update({k: sent[k] for k in ("title", "description", "price") if k in sent})
                self._send(200, {"item": item})

        def do_POST(self) -> None:
            path = self.path.split("?", 1)[0]
            body = self._body()
            problems = self._problems()
            if path == "/api/v2/photos":
                parser = email.parser.BytesParser(policy=email.policy.default)
                message = parser.parsebytes(f"content-type: {self.headers.get('content-type')}\r\n\r\n".encode() + body)
                files, fields = [], {}
                for part in message.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    if part.get_filename():
                        files.append(part.get_payload(decode=True))
                    else:
                        fields[name] = part.get_content().strip()
                if fields.get("photo[type]") != "item" or len(files) != 1:
                    problems.append(f"bad photo upload {fields}")
                self._record(Call(time.time(), "POST", path, problems, fields, files))
                if self._refused(problems):
                    return
                self._send(200, {"id": 100 + next(state.ids)})
                return
            payload = json.loads(body or b"{}")
            self._record(Call(time.time(), "POST", path, problems, payload))
            if self._refused(problems):
                return
            if path == "/api/v2/item_upload/items":
                with state.lock:
                    datadome, state.datadome_next_upload = state.datadome_next_upload, False
                if datadome:
                    self._send(403, DATADOME_PAGE, "text/html", [("x-datadome", "protected")])
                    return
                sent = payload.get("item", {})
                with state.lock:
                    item_id = 5000 + next(state.ids)
                    state.items[item_id] = {
                        "id": item_id,
                        "url": f"https://www.vinted.fr/items/{item_id}",
                        "title": sent.get("title"),
                        "description": sent.get("description"),
                        "price": sent.get("price"),
                        "currency": sent.get("currency", "EUR"),
                        "status": "active",
                        "photos": [{"id": p.get("id")} for p in sent.get("assigned_photos", []) if isinstance(p, dict)],
                        "is_closed": False,
                        "is_hidden": False,
                        "is_draft": False,
                    }
                    self._send(200, {"item": state.items[item_id]})
                return
            if m := re.fullmatch(r"/api/v2/items/(\d+)/delete", path):
                with state.lock:
                    item = state.items.pop(int(m.group(1)), None)
                self._send(*((200, {"code": 0}) if item else (404, {"code": 404, "message": "not found"})))
                return
            if m := re.fullmatch(r"/api/v2/conversations/(\d+)/replies", path):
                with state.lock:
                    conv = state.conversations.get(int(m.group(1)))
                    if conv is None:
                        self._send(404, {"code": 404, "message": "not found"})
                        return
                    reply_id = 100 + len(conv["messages"]) + next(state.ids)
                    text = str(payload.get("reply", {}).get("body", ""))
                    conv["messages"].append(
                        {"id": reply_id, "entity_type": "message", "body": text, "user_id": VINTED_USER_ID}
                    )
                    self._send(200, {"reply": {"id": reply_id, "body": text}})
                return
            self._send(404, {"code": 404, "message": "not found"})

    return Handler


def spki_sha256(cert_path: Path) -> str:
    """The certificate's public key hash, as Chromium's --ignore-certificate-errors-spki-list takes
    it: the browser then trusts this one certificate, not every bad one."""
    import base64
    import hashlib

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    der = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


class VintedSandbox:
    """The HTTPS origin (and a plain-HTTP photo server on loopback), each in its own thread."""

    def __init__(self, directory: Path, *, host: str = "127.0.0.1", port: int = 0, strict: bool = False) -> None:
        self.state = VintedState(strict=strict)
        self.https = ThreadingHTTPServer((host, port), _handler(self.state))
        self.cert, key = self_signed(directory)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, key)
        self.https.socket = context.wrap_socket(self.https.socket, server_side=True)
        self.photos = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self._threads = [
            threading.Thread(target=server.serve_forever, name="vinted-sandbox", daemon=True)
            for server in (self.https, self.photos)
        ]
        for thread in self._threads:
            thread.start()

    @property
    def port(self) -> int:
        return self.https.server_address[1]

    def photo_url(self, name: str, data: bytes) -> str:
        self.state.photos[name] = data
        return f"http://127.0.0.1:{self.photos.server_address[1]}/photos/{name}"

    def close(self) -> None:
        for server in (self.https, self.photos):
            server.shutdown()
            server.server_close()
