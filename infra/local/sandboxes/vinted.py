"""A fake Vinted origin for the extension's end-to-end tests: https://www.vinted.fr is mapped to it
by Chromium's host resolver rules, with a self-signed certificate. It checks what a real session
would carry (cookies, x-csrf-token, x-anon-id) on every API call, records the calls and the
uploaded photos, and can answer the next item upload with a DataDome challenge.

Also serves the product photos over plain HTTP on loopback (the URLs the backend hands out)."""

from __future__ import annotations

import datetime as dt
import email.parser
import email.policy
import itertools
import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CSRF_TOKEN = "csrf-e2e-5f1c2b7a9d"
ANON_ID = "anon-e2e-42"
SESSION_COOKIE = "_vinted_fr_session=e2e-session"
VINTED_USER_ID = 321


def self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "www.vinted.fr")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("www.vinted.fr")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "vinted.crt", directory / "vinted.key"
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
    datadome_next_upload: bool = False
    photos: dict[str, bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def api_calls(self) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.path.startswith("/api/")]


def _handler(state: VintedState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
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

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path.startswith("/photos/"):
                data = state.photos.get(path.rsplit("/", 1)[-1])
                if data is None:
                    self._send(404, {"error": "no such photo"})
                else:
                    self._send(200, data, "image/jpeg")
                return
            if path == "/":
                page = (
                    f'<!doctype html><html><head><meta name="csrf-token" content="{CSRF_TOKEN}">'
                    "<title>Vinted</title></head><body>fake Vinted</body></html>"
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
            if path == "/api/v2/users/current":
                self._send(200, {"user": {"id": VINTED_USER_ID, "login": "e2e-seller"}})
            else:
                self._send(404, {"message": "not found"})

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
                self._send(200, {"id": 100 + next(state.ids)})
                return
            if path == "/api/v2/item_upload/items":
                payload = json.loads(body or b"{}")
                self._record(Call(time.time(), "POST", path, problems, payload))
                with state.lock:
                    datadome, state.datadome_next_upload = state.datadome_next_upload, False
                if datadome:
                    self._send(
                        403, '<html><script src="https://ct.captcha-delivery.com/c.js"></script></html>', "text/html"
                    )
                    return
                item_id = 5000 + next(state.ids)
                self._send(
                    200,
                    {
                        "item": {
                            "id": item_id,
                            "url": f"https://www.vinted.fr/items/{item_id}",
                            "title": payload.get("item", {}).get("title"),
                        }
                    },
                )
                return
            self._record(Call(time.time(), "POST", path, problems))
            self._send(404, {"message": "not found"})

    return Handler


class FakeVinted:
    def __init__(self, directory: Path) -> None:
        self.state = VintedState()
        self.https = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        cert, key = self_signed(directory)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.https.socket = context.wrap_socket(self.https.socket, server_side=True)
        self.photos = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self._threads = [
            threading.Thread(target=server.serve_forever, daemon=True) for server in (self.https, self.photos)
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
