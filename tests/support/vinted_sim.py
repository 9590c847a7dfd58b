"""A session-level simulation of one seller's Vinted account on a simulated clock (no real
waiting): the real lane (its WebSocket routes, on PostgreSQL, through the ws_message function),
the real job worker, the real extension logic (extension/sim/session.mjs runs createApp under
node) and a fake Vinted that blocks an account the way Vinted does.

The fake Vinted counts as writes what creates or changes what buyers see (an item created,
updated or deleted, a reply); a publish's photo uploads belong to their publish (they create
nothing visible). It blocks the account (a DataDome page, then a 403 for an hour) when it sees
more than 50 writes in an hour, two writes less than 20 s apart, or any call during a block; it
may also block at random, lose the answer to a write after doing it, or have no page to run in.
"""

from __future__ import annotations

import json
import math
import random
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from stoflow.db.tenancy import tenant_session
from stoflow.jobs.messages import JobMessage
from stoflow.models.jobs import FINAL_STATUSES, MarketplaceJob
from stoflow.models.vinted_account import VintedConnection

REPO = Path(__file__).resolve().parents[2]
SESSION = REPO / "extension" / "sim" / "session.mjs"
CALL_S = 0.4  # what one Vinted call takes, simulated
BLOCK = timedelta(hours=1)
WRITE_GAP = timedelta(seconds=20)
WRITES_PER_HOUR = 50


class SimClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def ms(self) -> int:
        return int(self.now.timestamp() * 1000)

    def to(self, moment: datetime) -> None:
        if moment > self.now:
            self.now = moment

    def to_ms(self, ms: float) -> None:
        self.to(datetime.fromtimestamp(ms / 1000, UTC))


@dataclass
class Call:
    at: datetime
    method: str
    path: str
    write: bool
    blocked: bool = False
    reached: bool = True
    during_pause: bool = False


@dataclass
class FakeVinted:
    random_block_p: float = 0.0
    lose_every: int = 0  # lose the answer of every n-th item creation (after creating it)
    no_page_every: int = 0  # every n-th call finds no page to run in (Chrome's error page)
    seed: int = 1
    calls: list[Call] = field(default_factory=list)
    blocks: list[tuple[datetime, str]] = field(default_factory=list)
    blocked_until: datetime | None = None
    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    replies: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    creates: list[tuple[datetime, str]] = field(default_factory=list)
    sends: list[tuple[datetime, int, str]] = field(default_factory=list)
    wardrobe_reads: list[datetime] = field(default_factory=list)
    conversation_reads: list[tuple[datetime, int]] = field(default_factory=list)
    next_id: int = 1000

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    @property
    def writes(self) -> list[Call]:
        return [c for c in self.calls if c.write and c.reached and not c.blocked]

    def _block(self, at: datetime, why: str) -> dict[str, Any]:
        self.blocked_until = at + BLOCK
        self.blocks.append((at, why))
        challenge = '<script src="https://ct.captcha-delivery.com/c.js"></script>'
        return {"status": 403, "text": challenge, "datadomeHeader": True}

    def handle(self, req: dict[str, Any], at: datetime, paused: bool) -> dict[str, Any]:
        method, path = req["method"], req["path"]
        write = method != "GET" and path != "/api/v2/photos"
        call = Call(at, method, path, write, during_pause=paused)
        self.calls.append(call)
        if self.no_page_every and len(self.calls) % self.no_page_every == 0:
            call.reached = False
            return {"throw": "Frame with ID 0 is showing error page"}
        if self.blocked_until is not None and at < self.blocked_until:
            call.blocked = True
            self.blocks.append((at, "call during a block"))
            self.blocked_until = at + BLOCK
            return {"status": 403, "text": "Forbidden"}
        if write:
            previous = [c.at for c in self.calls[:-1] if c.write and c.reached and not c.blocked]
            if previous and at - previous[-1] < WRITE_GAP:
                call.blocked = True
                return self._block(at, f"writes {(at - previous[-1]).total_seconds():.0f} s apart")
            if len([t for t in previous if t > at - timedelta(hours=1)]) >= WRITES_PER_HOUR:
                call.blocked = True
                return self._block(at, "more than 50 writes in an hour")
        if self.random_block_p and self.rng.random() < self.random_block_p:
            call.blocked = True
            return self._block(at, "at random")
        return self._route(method, path, req, at)

    def _route(self, method: str, path: str, req: dict[str, Any], at: datetime) -> dict[str, Any]:
        ok = lambda body: {"status": 200, "json": body}  # noqa: E731
        if path == "/api/v2/users/current":
            return ok({"user": {"id": 5, "login": "sim-seller"}})
        if path == "/api/v2/photos":
            self.next_id += 1
            return ok({"id": self.next_id})
        if path == "/api/v2/item_upload/items" and method == "POST":
            self.next_id += 1
            item = req["json"]["item"]
            self.items[self.next_id] = {"id": self.next_id, "title": item["title"], "price": str(item["price"])}
            self.creates.append((at, item["title"]))
            if self.lose_every and len(self.creates) % self.lose_every == 0:
                return {"networkError": "net::ERR_CONNECTION_RESET"}
            return ok({"item": {"id": self.next_id, "url": f"https://www.vinted.fr/items/{self.next_id}"}})
        if match := re.fullmatch(r"/api/v2/item_upload/items/(\d+)", path):
            item_id = int(match[1])
            if item_id not in self.items:
                return {"status": 404, "json": {"message": "not found"}}
            return ok({"item": {"id": item_id, "photos": []}})
        if match := re.fullmatch(r"/api/v2/items/(\d+)/delete", path):
            self.items.pop(int(match[1]), None)
            return ok({})
        if match := re.fullmatch(r"/api/v2/items/(\d+)/is_hidden", path):
            item_id = int(match[1])
            if item_id not in self.items or method != "PUT":
                return {"status": 404, "json": {"message": "not found"}}
            self.items[item_id]["is_hidden"] = bool(req["json"]["is_hidden"])
            return ok({})
        if re.fullmatch(r"/api/v2/wardrobe/\d+/items", path):
            self.wardrobe_reads.append(at)
            page, per_page = int(req["query"]["page"]), int(req["query"]["per_page"])
            newest = sorted(self.items.values(), key=lambda i: -i["id"])
            chunk = newest[(page - 1) * per_page : page * per_page]
            pages = max(1, math.ceil(len(newest) / per_page))
            return ok({"items": chunk, "pagination": {"total_pages": pages}})
        if path == "/api/v2/my_orders":
            return ok({"my_orders": [], "pagination": {"total_pages": 1}})
        if path == "/api/v2/conversations":
            return ok({"conversations": [{"id": 70, "unread": False}], "pagination": {"total_pages": 1}})
        if match := re.fullmatch(r"/api/v2/conversations/(\d+)/replies", path):
            conversation = int(match[1])
            self.next_id += 1
            body = req["json"]["reply"]["body"]
            self.replies.setdefault(conversation, []).append({"id": self.next_id, "body": body})
            self.sends.append((at, conversation, body))
            if self.lose_every and len(self.sends) % self.lose_every == 0:
                return {"networkError": "net::ERR_CONNECTION_RESET"}
            return ok({"reply": {"id": self.next_id}})
        if match := re.fullmatch(r"/api/v2/conversations/(\d+)", path):
            conversation = int(match[1])
            self.conversation_reads.append((at, conversation))
            messages = [{"id": m["id"], "entity": {"body": m["body"]}} for m in self.replies.get(conversation, [])]
            return ok({"conversation": {"id": conversation, "messages": messages}})
        return {"status": 404, "json": {"message": "not found"}}


class ExtensionProcess:
    """extension/sim/session.mjs: the extension's logic under node, one JSON line at a time."""

    def __init__(self, start_ms: int, log_path: Path) -> None:
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            ["node", str(SESSION), str(start_ms)],
            cwd=REPO / "extension",
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        ready = self.read()
        assert ready["type"] == "ready", ready

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the extension's simulation exited ({self.process.poll()})")
        return json.loads(line)

    def close(self) -> None:
        if self.process.poll() is None:
            self.send({"type": "quit"})
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log.close()


@dataclass
class Session:
    """One account's simulated session. `post(message)` hands an extension message to the real
    ws_message function and returns its reply; `pushed` collects what the server posted to the
    extension's connection; `process(job_id)` runs the real job worker on a job."""

    tenant_id: int
    clock: SimClock
    vinted: FakeVinted
    extension: ExtensionProcess
    post: Callable[[dict[str, Any]], dict[str, Any] | None]
    pushed: list[dict[str, Any]]
    process: Callable[[int], str]
    take_queued: Callable[[], list[JobMessage]]
    seller_resumes_after: timedelta = timedelta(minutes=5)
    in_flight: int | None = None
    overlaps: int = 0
    resumes: list[datetime] = field(default_factory=list)
    pauses: list[tuple[datetime, datetime | None, str | None]] = field(default_factory=list)
    steps: int = 0
    _lane_seen: VintedConnection | None = None
    _lane_stale: bool = True

    # --- the extension side ---------------------------------------------------------------

    def _lane(self) -> VintedConnection | None:
        with tenant_session(self.tenant_id) as session:
            return session.get(VintedConnection, 1)

    def _paused_now(self, at: datetime) -> bool:
        """Whether the account is paused at this call (the lane row is read again only after the
        server was told something: nothing else changes it)."""
        from stoflow.marketplaces.vinted import pacing

        if self._lane_stale:
            self._lane_seen, self._lane_stale = self._lane(), False
        return self._lane_seen is not None and pacing.paused(self._lane_seen, at)

    def _post(self, message: dict[str, Any]) -> dict[str, Any] | None:
        self._lane_stale = True
        return self.post(message)

    def talk(self, message: dict[str, Any]) -> None:
        """Send one message to the extension and play Vinted and the server until it is idle."""
        self.extension.send({**message, "now": self.clock.ms()})
        while True:
            said = self.extension.read()
            kind = said["type"]
            if kind == "vinted":
                self.clock.to_ms(said["now"])
                at = self.clock()
                answer = self.vinted.handle(said["req"], at, self._paused_now(at))
                self.clock.to(at + timedelta(seconds=CALL_S))
                self.extension.send({"type": "answer", "res": answer, "now": self.clock.ms()})
            elif kind == "sleep":
                self.clock.to_ms(said["until"])
                self.extension.send({"type": "time", "now": self.clock.ms()})
            elif kind == "sent":
                self._to_server(said["message"])
            elif kind == "idle":
                self.clock.to_ms(said["now"])
                return

    def _to_server(self, message: dict[str, Any]) -> None:
        if message.get("action") == "job_result" and message["job_id"] == self.in_flight:
            self.in_flight = None
        reply = self._post(message)
        if reply is not None and reply.get("type") == "welcome":
            self.pushed.append(reply)

    # --- the loop -------------------------------------------------------------------------

    def connect(self) -> None:
        self.talk({"type": "open"})

    def _run_worker(self) -> None:
        for message in self.take_queued():
            self.process(message.job_id)
        with tenant_session(self.tenant_id) as session:
            due = list(
                session.scalars(
                    select(MarketplaceJob.id).where(
                        MarketplaceJob.status == "pending",
                        (MarketplaceJob.next_attempt_at.is_(None)) | (MarketplaceJob.next_attempt_at <= self.clock()),
                    )
                )
            )
        for job_id in due:
            self.process(job_id)

    def unfinished(self) -> list[MarketplaceJob]:
        with tenant_session(self.tenant_id) as session:
            return list(session.scalars(select(MarketplaceJob).where(MarketplaceJob.status.not_in(FINAL_STATUSES))))

    def _deliver_pushed(self) -> bool:
        delivered = False
        while self.pushed:
            message = self.pushed.pop(0)
            if message.get("type") == "execute_job":
                if self.in_flight is not None:
                    self.overlaps += 1
                self.in_flight = message["job_id"]
            self.talk({"type": "server", "message": message})
            delivered = True
        return delivered

    def _wait_for_something(self) -> None:
        """Nothing was sent: let time pass to the next moment the lane or a job may move, as
        heartbeats would, and play the seller who resumes after checking Vinted."""
        from stoflow.marketplaces.vinted import lane_view

        now = self.clock()
        with tenant_session(self.tenant_id) as session:
            shown = lane_view.state(session, now)
            pending = session.scalar(
                select(MarketplaceJob.next_attempt_at)
                .where(MarketplaceJob.status.in_(("pending", "waiting_extension")))
                .where(MarketplaceJob.next_attempt_at > now)
                .order_by(MarketplaceJob.next_attempt_at)
                .limit(1)
            )
        if shown["paused"]:
            until = shown["paused_until"]
            if not self.pauses or self.pauses[-1][1] is not None:
                self.pauses.append((now, None, shown["pause_reason"]))
            if until is not None and until > now:
                self.clock.to(until + timedelta(seconds=1))
                return
            if shown["resume_required"]:
                self.clock.to(now + self.seller_resumes_after)
                with tenant_session(self.tenant_id) as session:
                    lane_view.resume(session, self.clock())
                self._lane_stale = True
                self.resumes.append(self.clock())
                start, _, reason = self.pauses[-1]
                self.pauses[-1] = (start, self.clock(), reason)
            return
        moments = [m for m in (shown["next_command_at"], pending) if m is not None and m > now]
        step = min(moments) if moments else now + timedelta(seconds=20)
        self.clock.to(min(step, now + timedelta(minutes=10)) + timedelta(seconds=0.5))

    def drive(self, max_steps: int = 20_000) -> None:
        heartbeat = {"action": "heartbeat"}
        while self.steps < max_steps:
            self.steps += 1
            self._run_worker()
            if self._deliver_pushed():
                continue
            if not self.unfinished():
                return
            self._wait_for_something()
            self._post(heartbeat)  # the extension's beat: the lane sends what may go
        raise AssertionError(f"the simulation did not settle in {max_steps} steps: {self.unfinished()[:5]}")
