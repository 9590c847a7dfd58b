"""The local scheduler: EventBridge Scheduler expressions, next runs, and firing with the Input."""

from datetime import UTC, datetime, timedelta

import pytest

from infra.local.scheduler import Cron, Rate, ScheduleError, Scheduler, parse_schedule, schedules_from
from infra.local.template import parse_template


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "period"),
    [
        ("rate(1 minute)", timedelta(minutes=1)),
        ("rate(5 minutes)", timedelta(minutes=5)),
        ("rate(2 hours)", timedelta(hours=2)),
        ("rate(1 day)", timedelta(days=1)),
    ],
)
def test_rates(expression, period):
    assert parse_schedule(expression) == Rate(period)


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(0 minutes)",
        "rate(5 weeks)",
        "every 5 minutes",
        "cron(0 12 * * * *)",  # both day fields set
        "cron(0 12 ? * ? *)",  # neither
        "cron(0 12 * *)",  # five fields
        "cron(61 * * * ? *)",
        "cron(0 25 * * ? *)",
        "cron(0 12 L * ? *)",
        "cron(0 12 ? * 6#3 *)",
        "cron(0 12 * FOO ? *)",
    ],
)
def test_invalid_expressions_are_refused(expression):
    with pytest.raises(ScheduleError):
        parse_schedule(expression)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("cron(0/15 * * * ? *)", "2026-11-22 03:07:30", "2026-11-22 03:15:00"),
        ("cron(0/15 * * * ? *)", "2026-11-22 03:15:00", "2026-11-22 03:30:00"),  # strictly after
        ("cron(0 10 * * ? *)", "2026-11-22 10:00:00", "2026-11-23 10:00:00"),
        ("cron(30 2 ? * MON-FRI *)", "2026-11-21 12:00:00", "2026-11-23 02:30:00"),  # Saturday -> Monday
        ("cron(0 8 1 JAN,JUL ? *)", "2026-11-22 00:00:00", "2027-01-01 08:00:00"),
        ("cron(0 0 ? * 1 *)", "2026-11-22 00:00:00", "2026-11-29 00:00:00"),  # 1 = Sunday; the 22nd is one
        ("cron(15 4 29 2 ? 2028)", "2026-01-01 00:00:00", "2028-02-29 04:15:00"),
    ],
)
def test_cron_next_runs(expression, after, expected):
    schedule = parse_schedule(expression)
    assert isinstance(schedule, Cron)
    assert schedule.next_after(at(after)) == at(expected)


def test_a_cron_in_a_time_zone():
    schedule = parse_schedule("cron(0 9 * * ? *)", "Europe/Paris")
    assert schedule.next_after(at("2026-11-22 07:00:00")) == at("2026-11-22 08:00:00")  # 09:00 CET


TEMPLATE = """
Resources:
  Tick:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Events:
        Often:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: rate(5 minutes)
            Input: '{"task": "often"}'
        Nightly:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(0 3 * * ? *)
            Input: '{"task": "nightly"}'
        Off:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: rate(1 minute)
            State: DISABLED
"""


class FakeRuntime:
    def __init__(self):
        self.calls = []

    def invoke(self, logical_id, event):
        self.calls.append((logical_id, event))
        return {"ok": True}


def test_schedules_fire_with_their_input_when_due(tmp_path):
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text("def handler(event, context):\n    return event\n")
    template = parse_template(TEMPLATE, root=tmp_path)
    now = [at("2026-11-22 02:59:00")]
    runtime = FakeRuntime()
    scheduler = Scheduler(runtime, template, clock=lambda: now[0])
    scheduler.schedules = schedules_from(template, now[0])
    assert [s.event_name for s in scheduler.schedules] == ["Often", "Nightly"]  # the disabled one is not there

    # A rate schedule starts when created; the cron one waits for 03:00.
    assert [s.event_name for s in scheduler.run_due()] == ["Often"]
    assert runtime.calls == [("Tick", {"task": "often"})]
    now[0] = at("2026-11-22 03:00:00")
    assert [s.event_name for s in scheduler.run_due()] == ["Nightly"]
    now[0] = at("2026-11-22 03:03:00")
    assert scheduler.run_due() == []
    now[0] = at("2026-11-22 03:30:00")  # missed runs are not replayed one by one
    assert [s.event_name for s in scheduler.run_due()] == ["Often"]
    assert runtime.calls[-1] == ("Tick", {"task": "often"})
    often = scheduler.schedules[0]
    assert often.next_run > now[0]


def test_a_failing_target_does_not_stop_the_scheduler(tmp_path):
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text("")
    template = parse_template(TEMPLATE, root=tmp_path)

    class Broken(FakeRuntime):
        def invoke(self, logical_id, event):
            raise RuntimeError("boom")

    now = at("2026-11-22 02:59:00")
    scheduler = Scheduler(Broken(), template, clock=lambda: now)
    scheduler.schedules = schedules_from(template, now)
    assert len(scheduler.run_due()) == 1
    assert scheduler.fired[-1] == ("Tick.Often", None)
