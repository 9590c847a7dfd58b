"""The template's ScheduleV2 schedules, fired in-process as EventBridge Scheduler fires them.

Expressions (EventBridge Scheduler user guide, "Schedule types"): rate(value unit) with unit
minute(s), hour(s) or day(s); cron(minutes hours day-of-month month day-of-week year) with *, ?,
ranges, lists, increments, month names JAN-DEC and day names SUN-SAT (1-7 = SUN-SAT), in UTC
unless ScheduleExpressionTimezone says otherwise; one of day-of-month and day-of-week must be ?.
L, W and # are refused with a clear error rather than half supported. The target receives the
schedule's Input as its event, as a Lambda target does. A rate schedule first fires when the
local cloud starts (a schedule created now starts now); a cron schedule at its next match.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from infra.local.functions import FunctionRuntime
from infra.local.template import Template

log = logging.getLogger("stoflow.local.scheduler")


class ScheduleError(ValueError):
    pass


_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_MONTHS = {
    name: i + 1
    for i, name in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"))
}
_DAYS = {name: i + 1 for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}


@dataclass(frozen=True)
class Rate:
    period: timedelta

    def next_after(self, moment: datetime) -> datetime:
        return moment + self.period


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int] | None:
    """The values a cron field allows; None for `?` (no constraint from this field)."""
    if text == "?":
        return None
    values: set[int] = set()

    def number(token: str) -> int:
        token = token.upper()
        if names and token in names:
            return names[token]
        if not token.isdigit():
            if any(mark in token for mark in ("L", "W", "#")):
                raise ScheduleError(f"cron field {text!r}: L, W and # are not supported locally")
            raise ScheduleError(f"cron field {text!r}: {token!r} is not a number")
        value = int(token)
        if not low <= value <= high:
            raise ScheduleError(f"cron field {text!r}: {value} is outside {low}-{high}")
        return value

    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step_text and (not step_text.isdigit() or step < 1):
            raise ScheduleError(f"cron field {text!r}: bad increment")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-", 1)
            start, end = number(first), number(last)
        else:
            start = number(base)
            end = high if step_text else start
        if start > end:
            raise ScheduleError(f"cron field {text!r}: range runs backwards")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None
    months: frozenset[int]
    days_of_week: frozenset[int] | None  # 1 = Sunday
    years: frozenset[int] | None
    timezone: str = "UTC"

    def _day_matches(self, day: datetime) -> bool:
        if day.month not in self.months or (self.years is not None and day.year not in self.years):
            return False
        if self.days_of_month is not None and day.day not in self.days_of_month:
            return False
        # Python: Monday = 0 ... Sunday = 6; AWS: Sunday = 1 ... Saturday = 7.
        return self.days_of_week is None or (day.weekday() + 1) % 7 + 1 in self.days_of_week

    def next_after(self, moment: datetime) -> datetime:
        """The first matching minute strictly after `moment`."""
        zone = ZoneInfo(self.timezone)
        local = moment.astimezone(zone).replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = local.replace(hour=0, minute=0)
        for _ in range(366 * 5):
            if self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = day.replace(hour=hour, minute=minute)
                        if candidate >= local:
                            return candidate.astimezone(UTC)
            day = (day + timedelta(days=1)).replace(hour=0, minute=0)
        raise ScheduleError("the cron expression never fires in the next five years")


def parse_schedule(expression: str, timezone: str = "UTC") -> Rate | Cron:
    expression = expression.strip()
    rate = _RATE.match(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        if value < 1:
            raise ScheduleError(f"{expression}: the rate must be positive")
        if (value == 1) != (not rate.group(2).endswith("s")):
            raise ScheduleError(f"{expression}: use `{unit}` for 1 and `{unit}s` for more")
        return Rate(timedelta(**{f"{unit}s": value}))
    cron = _CRON.match(expression)
    if cron:
        fields = cron.group(1).split()
        if len(fields) != 6:
            raise ScheduleError(f"{expression}: cron takes six fields (minutes hours day month weekday year)")
        minutes, hours, dom, month, dow, year = fields
        days_of_month = _field(dom, 1, 31)
        days_of_week = _field(dow, 1, 7, _DAYS)
        if (days_of_month is None) == (days_of_week is None):
            raise ScheduleError(f"{expression}: exactly one of day-of-month and day-of-week must be ?")
        return Cron(
            minutes=_field(minutes, 0, 59) or frozenset(),
            hours=_field(hours, 0, 23) or frozenset(),
            days_of_month=days_of_month,
            months=_field(month, 1, 12, _MONTHS) or frozenset(),
            days_of_week=days_of_week,
            years=_field(year, 1970, 2199),
            timezone=timezone,
        )
    raise ScheduleError(f"not a schedule expression: {expression!r} (rate(...) or cron(...))")


@dataclass
class Schedule:
    function_id: str
    event_name: str
    expression: Rate | Cron
    input: dict[str, Any]
    next_run: datetime

    @property
    def label(self) -> str:
        return f"{self.function_id}.{self.event_name}"


def schedules_from(template: Template, now: datetime) -> list[Schedule]:
    schedules = []
    for function in template.functions:
        for event in function.events_of_type("ScheduleV2"):
            props = event.properties
            if str(props.get("State", "ENABLED")).upper() == "DISABLED":
                continue
            expression = parse_schedule(
                str(props["ScheduleExpression"]), str(props.get("ScheduleExpressionTimezone") or "UTC")
            )
            payload = json.loads(props["Input"]) if isinstance(props.get("Input"), str) else {}
            first = now if isinstance(expression, Rate) else expression.next_after(now)
            schedules.append(Schedule(function.logical_id, event.name, expression, payload, first))
    return schedules


class Scheduler:
    """A Part: one thread waking at the next due schedule; stop() wakes it at once."""

    name = "scheduler"

    def __init__(
        self, runtime: FunctionRuntime, template: Template, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.runtime = runtime
        self.template = template
        self.clock = clock
        self.schedules: list[Schedule] = []
        self.fired: list[tuple[str, Any]] = []  # (label, result) of the last runs, for the curious
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.schedules = schedules_from(self.template, self.clock())
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def describe(self) -> list[str]:
        lines = ["Scheduler    the template's ScheduleV2 schedules"]
        for schedule in self.schedules:
            lines.append(f"  {schedule.label:<48} next {schedule.next_run:%Y-%m-%d %H:%M:%S} UTC")
        return lines

    def run_due(self) -> list[Schedule]:
        """Fire every schedule that is due now; returns them (each then moves to its next run)."""
        now = self.clock()
        due = [s for s in self.schedules if s.next_run <= now]
        for schedule in due:
            self.fire(schedule)
            # Missed runs are not replayed (the local cloud may have been suspended): next from now.
            schedule.next_run = schedule.expression.next_after(max(schedule.next_run, now))
            while schedule.next_run <= now:
                schedule.next_run = schedule.expression.next_after(schedule.next_run)
        return due

    def fire(self, schedule: Schedule) -> Any:
        log.info("schedule %s fired", schedule.label)
        try:
            result = self.runtime.invoke(schedule.function_id, dict(schedule.input))
        except Exception:
            # EventBridge Scheduler retries per its RetryPolicy; the template asks for none.
            log.exception("schedule %s: %s failed", schedule.label, schedule.function_id)
            result = None
        else:
            log.info(
                "schedule %s: %s answered %s",
                schedule.label,
                schedule.function_id,
                json.dumps(result, default=str)[:500],
            )
        self.fired = [*self.fired[-49:], (schedule.label, result)]
        return result

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_due()
            if not self.schedules:
                self._stop.wait()
                return
            wait = (min(s.next_run for s in self.schedules) - self.clock()).total_seconds()
            self._stop.wait(max(0.05, min(wait, 60.0)))
