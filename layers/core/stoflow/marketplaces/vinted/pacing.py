"""How fast one Vinted account may be driven: the plan (from the settings, floors included), and
the arithmetic on the lane row (stoflow.models.vinted.VintedConnection) that the lane and the
seller's view share. No queries, no job changes: the lane calls these inside its transaction,
its row locked.

Why these figures: the original system's own reverse-engineering notes observed that Vinted
tolerates about 50 mutating requests an hour, advised 20-50 s between mutating requests and 60
minutes or more of rest after a 403 block; users of other tools report 403s after 10-20 minutes of
automated reads. So, per Vinted account:

- writes (publish, update, delete, send message) start at least 20-50 s (randomised) after the
  previous write ended, at most `vinted_writes_per_hour` in any rolling hour and
  `vinted_writes_per_day` in any rolling day; a publish's photo uploads belong to its publish (the
  extension spaces them a few seconds apart inside the command);
- reads (wardrobe, orders, conversations, one item) are spaced and capped per rolling hour on
  their own, so a burst of writes does not starve the sold-orders check, nor a sync the writes;
- any command waits for the read gap after the previous one (never two calls back to back);
- a DataDome page, captcha, 403 or 429 pauses the account for `vinted_pause_base_s` (>= 1 h),
  doubling on a repeat within a day up to `vinted_pause_max_s` (24 h), and until the seller
  confirms in the dashboard that the Vinted session is fine, whichever comes later.

Issue-facing helper for other lanes of work (the sold-orders check): `read_slot` says when the
next read may go for an account, from the same numbers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from stoflow.config import Settings, get_settings
from stoflow.marketplaces.vinted.commands import is_read
from stoflow.models.vinted_account import VintedConnection

Kind = Literal["read", "write"]
HOUR_S = 3600
DAY_S = 24 * 3600
# A repeat of trouble within this long after the previous pause ended doubles the next pause.
REPEAT_WINDOW_S = DAY_S


def kind_of(command: str) -> Kind:
    return "read" if is_read(command) else "write"


@dataclass(frozen=True)
class Plan:
    """The pacing in force, every interval already multiplied by the (test-only) time scale."""

    write_gap_s: tuple[float, float]
    read_gap_s: tuple[float, float]
    writes_per_hour: int
    writes_per_day: int
    reads_per_hour: int
    pause_base_s: float
    pause_max_s: float
    hour: timedelta
    day: timedelta
    scale: float

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Plan:
        s = settings or get_settings()
        k = s.vinted_time_scale
        return cls(
            write_gap_s=(s.vinted_write_gap_min_s * k, s.vinted_write_gap_max_s * k),
            read_gap_s=(s.vinted_read_gap_min_s * k, s.vinted_read_gap_max_s * k),
            writes_per_hour=s.vinted_writes_per_hour,
            writes_per_day=s.vinted_writes_per_day,
            reads_per_hour=s.vinted_reads_per_hour,
            pause_base_s=s.vinted_pause_base_s * k,
            pause_max_s=s.vinted_pause_max_s * k,
            hour=timedelta(seconds=HOUR_S * k),
            day=timedelta(seconds=DAY_S * k),
            scale=k,
        )

    def for_extension(self) -> dict[str, Any]:
        """What execute_job carries: the extension never goes faster than this (nor than its own
        floors, whichever is slower)."""
        return {
            "write_gap_min_s": self.write_gap_s[0],
            "write_gap_max_s": self.write_gap_s[1],
            "writes_per_hour": self.writes_per_hour,
            "writes_per_day": self.writes_per_day,
            "pause_base_s": self.pause_base_s,
            "pause_max_s": self.pause_max_s,
            "time_scale": self.scale,
        }


def _gap(rng: random.Random, bounds: tuple[float, float]) -> timedelta:
    return timedelta(seconds=rng.uniform(*bounds))


def _recent(log: list[datetime] | None, now: datetime, window: timedelta) -> list[datetime]:
    return sorted(t for t in (log or []) if t > now - window)


def prune(lane: VintedConnection, now: datetime, plan: Plan) -> None:
    """Forget sends older than the longest window they count in."""
    lane.write_log = _recent(lane.write_log, now, plan.day)
    lane.read_log = _recent(lane.read_log, now, plan.hour)


def used(lane: VintedConnection, now: datetime, plan: Plan) -> dict[str, int]:
    return {
        "writes_this_hour": len(_recent(lane.write_log, now, plan.hour)),
        "writes_today": len(_recent(lane.write_log, now, plan.day)),
        "reads_this_hour": len(_recent(lane.read_log, now, plan.hour)),
    }


def _cap_frees(log: list[datetime], limit: int, window: timedelta) -> datetime | None:
    """When a full window lets one more through: the oldest send that counts leaves it."""
    if len(log) < limit:
        return None
    return log[len(log) - limit] + window


def slot(lane: VintedConnection, kind: Kind, now: datetime, plan: Plan) -> datetime:
    """The earliest moment a command of this kind may be sent (ignoring pauses and the command
    in flight, which the lane checks itself). `now` or earlier means: now."""
    moments = [now, lane.next_command_at or now]
    if kind == "write":
        moments.append(lane.next_write_at or now)
        writes = sorted(lane.write_log or [])
        for limit, window in ((plan.writes_per_hour, plan.hour), (plan.writes_per_day, plan.day)):
            frees = _cap_frees(_recent(writes, now, window), limit, window)
            if frees is not None:
                moments.append(frees)
    else:
        frees = _cap_frees(_recent(lane.read_log, now, plan.hour), plan.reads_per_hour, plan.hour)
        if frees is not None:
            moments.append(frees)
    return max(moments)


def read_slot(lane: VintedConnection, now: datetime, plan: Plan | None = None) -> datetime:
    """When the account's next read may go (the sold-orders check asks this before queueing)."""
    return slot(lane, "read", now, plan or Plan.from_settings())


def record_sent(lane: VintedConnection, kind: Kind, now: datetime, plan: Plan) -> None:
    """A command is sent: it counts in its kind's caps from now (sent is spent, whatever comes)."""
    prune(lane, now, plan)
    if kind == "write":
        lane.write_log = [*lane.write_log, now]
    else:
        lane.read_log = [*lane.read_log, now]


def record_done(lane: VintedConnection, kind: Kind | None, now: datetime, plan: Plan, rng: random.Random) -> None:
    """A command ended (answered or its deadline missed): the gaps start now."""
    lane.next_command_at = now + _gap(rng, plan.read_gap_s)
    if kind != "read":  # unknown kind (a late answer): the slower rule
        lane.next_write_at = now + _gap(rng, plan.write_gap_s)


def paused(lane: VintedConnection, now: datetime) -> bool:
    """No call at all: the pause has not run out, or the seller has not resumed yet."""
    return bool(lane.resume_required) or (lane.paused_until is not None and lane.paused_until > now)


def pause(lane: VintedConnection, reason: str, retry_after_s: float | None, now: datetime, plan: Plan) -> bool:
    """Trouble seen: pause the account. A signal during a running pause only lengthens it to
    Vinted's retry-after; a new pause doubles the last one when trouble repeats within a day of
    its end. Returns True when a new pause began."""
    retry = timedelta(seconds=min(max(retry_after_s or 0.0, 0.0), plan.pause_max_s))
    if lane.paused_until is not None and lane.paused_until > now:
        lane.paused_until = max(lane.paused_until, now + retry)
        lane.resume_required = True
        return False
    repeat = (
        lane.pause_s > 0
        and lane.paused_until is not None
        and now - lane.paused_until < timedelta(seconds=REPEAT_WINDOW_S * plan.scale)
    )
    length = min(max(lane.pause_s * 2, plan.pause_base_s), plan.pause_max_s) if repeat else plan.pause_base_s
    lane.pause_s = round(length)
    lane.paused_at = now
    lane.paused_until = now + max(timedelta(seconds=length), retry)
    lane.pause_reason = reason[:32]
    lane.resume_required = True
    return True


def resume(lane: VintedConnection, now: datetime) -> None:
    """The seller says the Vinted session is fine. The lane goes again once the pause has also run
    out (whichever is later); the doubling memory stays."""
    lane.resume_required = False
    lane.resumed_at = now
