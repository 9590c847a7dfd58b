"""What every API sandbox shares: one `handle(httpx.Request) -> httpx.Response` that the tests
call through `httpx.MockTransport` and the local cloud calls from its HTTP server, so the same
code answers in both places.

On every request: it is recorded, checked against the marketplace's official OpenAPI files
(contracts.py), faults and outages are applied, the marketplace's own behaviour answers, and
the answer is checked against the same files. A sandbox started by the local cloud is `strict`:
a request the contract refuses is answered 400 with what is wrong (a client bug shows at once);
the tests keep the lenient mode and assert that `contract_problems` stays empty.
"""

from __future__ import annotations

import html
import itertools
import logging
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from infra.local.sandboxes.contracts import check_request, check_response, spec_for

log = logging.getLogger("stoflow.local.sandbox")

Clock = Callable[[], datetime]
# What a sandbox remembers of the requests it received (the tests read them; a long local run
# must not grow without bound).
MAX_RECORDED = 5000


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Fault:
    method: str
    path: str  # regex on the path
    status: int | None = None  # None: the connection breaks after the request was sent
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    times: int = 1
    # With status None: True = the server did the work, then the answer was lost.
    after: bool = False


@dataclass
class Outage:
    """The service fails every API call until `until`: 503, or 429 with Retry-After."""

    until: datetime
    status: int = 503


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def html_response(status: int, body: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, text=body, headers={"content-type": "text/html; charset=utf-8", **(headers or {})})


def redirect(location: str) -> httpx.Response:
    return httpx.Response(302, headers={"location": location})


def page(title: str, body: str) -> str:
    """A small self-contained HTML page (no CDN, no script)."""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font:16px system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}"
        "button{font-size:1rem;padding:.5rem 1.5rem;margin-right:1rem}code,pre{background:#f3f3f3;padding:.1rem .3rem}"
        "pre{padding:.8rem;white-space:pre-wrap;word-break:break-all}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}</style></head>"
        f"<body><p><small>StoFlow local sandbox, not the real marketplace</small></p>{body}</body></html>"
    )


class ApiSandbox:
    """Base of the eBay and Etsy sandboxes; subclasses implement `route` (and `token_paths`)."""

    marketplace = ""
    # OAuth token and consent paths are documented outside the Sell/Open API files.
    unchecked_paths: frozenset[str] = frozenset()
    # APIs of the marketplace that no contract file of ours describes.
    unchecked_prefixes: tuple[str, ...] = ()
    # What survives a restart of the local cloud (the backend keeps its tokens and listings).
    persisted: tuple[str, ...] = ("access_tokens", "refresh_tokens", "refreshes")

    def __init__(self, *, strict: bool = False, clock: Clock = utcnow) -> None:
        self.strict = strict
        self.clock = clock
        self.requests: list[httpx.Request] = []
        self.contract_problems: list[str] = []
        self.response_problems: list[str] = []
        self.faults: list[Fault] = []
        self.outage: Outage | None = None
        self.lock = threading.RLock()
        self.ids = itertools.count(1)
        self.access_tokens: dict[str, datetime] = {}
        self.refresh_tokens: set[str] = set()
        self.refreshes = 0

    # --- what the marketplace does on its own (the control surface and the tests) --------------

    def fail(
        self,
        method: str,
        path: str,
        status: int | None = None,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
        after: bool = False,
    ) -> None:
        """The next `times` calls matching `method` and the `path` regex fail this way."""
        with self.lock:
            self.faults.append(Fault(method, path, status, headers or {}, body, times, after))

    def fail_for(self, minutes: float, status: int = 503) -> datetime:
        """Every API call fails for `minutes` (503, or 429 with Retry-After); OAuth pages too."""
        if status not in (429, 500, 502, 503, 504):
            raise ValueError("an outage answers 429 or a 5xx status")
        with self.lock:
            self.outage = Outage(self.clock() + timedelta(minutes=minutes), status)
            return self.outage.until

    def recover(self) -> None:
        with self.lock:
            self.outage = None
            self.faults.clear()

    def revoke_tokens(self) -> int:
        """The seller revoked our access on the marketplace: every token stops working."""
        with self.lock:
            count = len(self.access_tokens) + len(self.refresh_tokens)
            self.access_tokens.clear()
            self.refresh_tokens.clear()
            return count

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.access_tokens = {t: self.clock() - timedelta(seconds=1) for t in self.access_tokens}

    def calls(self, method: str | None = None, path: str | None = None) -> list[httpx.Request]:
        with self.lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and (path is None or re.search(path, r.url.path))
            ]

    def new_token(self, prefix: str = "") -> str:
        return prefix + secrets.token_urlsafe(24)

    def issue_access_token(self, prefix: str, lifetime_s: int) -> str:
        token = self.new_token(prefix)
        self.access_tokens[token] = self.clock() + timedelta(seconds=lifetime_s)
        return token

    def bearer_ok(self, request: httpx.Request) -> bool:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        expires = self.access_tokens.get(token)
        return expires is not None and expires > self.clock()

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {"next_id": next(self.ids), **{name: getattr(self, name) for name in self.persisted}}

    def restore(self, saved: dict[str, Any]) -> None:
        with self.lock:
            for name in self.persisted:
                if name in saved:
                    setattr(self, name, saved[name])
            self.ids = itertools.count(int(saved.get("next_id", 1)))

    def state(self) -> dict[str, Any]:
        """What the control page shows."""
        with self.lock:
            outage = self.outage if self.outage and self.outage.until > self.clock() else None
            return {
                "requests": len(self.requests),
                "contract_problems": list(self.contract_problems[-20:]),
                "response_problems": list(self.response_problems[-20:]),
                "outage_until": outage.until.isoformat() if outage else None,
                "outage_status": outage.status if outage else None,
                "live_access_tokens": sum(1 for t in self.access_tokens.values() if t > self.clock()),
            }

    # --- the wire --------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        path = request.url.path
        with self.lock:
            self.requests.append(request)
            del self.requests[:-MAX_RECORDED]
            if self.is_page(request):
                return self.route(request)
            problems: list[str] = []
            if self.checked(path):
                spec = spec_for(self.marketplace, path)
                problems = (
                    [f"{request.method} {path}: in no OpenAPI file"] if spec is None else check_request(spec, request)
                )
                self.contract_problems.extend(problems)
                del self.contract_problems[:-MAX_RECORDED]
            if problems and self.strict:
                log.warning("%s sandbox refused %s %s: %s", self.marketplace, request.method, path, problems)
                return self.contract_error(problems)
            outage = self.outage
            if outage is not None and outage.until > self.clock():
                wait = max(1, int((outage.until - self.clock()).total_seconds()))
                return self.outage_response(outage.status, wait)
            for fault in self.faults:
                if fault.times > 0 and fault.method == request.method and re.search(fault.path, path):
                    fault.times -= 1
                    if fault.status is None:
                        if fault.after:
                            self.route(request)  # done on the server; the answer never arrives
                        raise httpx.ReadTimeout("sandbox: no answer", request=request)
                    body = fault.body if fault.body is not None else {"errors": []}
                    return json_response(fault.status, body, fault.headers)
            response = self.route(request)
            if self.checked(path) and response.status_code < 400:
                spec = spec_for(self.marketplace, path)
                if spec is not None:
                    response.read()
                    found = check_response(spec, request, response)
                    if found:
                        log.warning("%s sandbox answered outside its contract: %s", self.marketplace, found)
                    self.response_problems.extend(found)
                    del self.response_problems[:-MAX_RECORDED]
            return response

    def checked(self, path: str) -> bool:
        """Whether calls to `path` are checked against the marketplace's official contract."""
        return path not in self.unchecked_paths and not path.startswith(self.unchecked_prefixes)

    def is_page(self, request: httpx.Request) -> bool:
        """A consent page (HTML for a browser), not an API call."""
        return False

    def contract_error(self, problems: list[str]) -> httpx.Response:
        raise NotImplementedError

    def outage_response(self, status: int, retry_after_s: int) -> httpx.Response:
        raise NotImplementedError

    def route(self, request: httpx.Request) -> httpx.Response:
        raise NotImplementedError
