"""Schedules after the SAM transform: named per stage in the stage's own group, retries chosen.

Two stacks (stoflow-dev, stoflow-prod) in one account and region must not collide: EventBridge
Scheduler names are unique per group, and SAM names a schedule after its logical id in the
default group unless told otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from infra.local.template import load_template
from tests.support.sam import transformed_template

TEMPLATE = load_template()
SCHEDULED = sorted({f.logical_id for f in TEMPLATE.functions if f.events_of_type("ScheduleV2")})


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == kind}


def substituted(value: Any, stage: str) -> str:
    """A schedule's Name as CloudFormation resolves it for a stage (only ${Stage} is allowed)."""
    if isinstance(value, str):
        return value
    template = value["Fn::Sub"]
    assert isinstance(template, str), "a schedule name is a plain !Sub of ${Stage}"
    return template.replace("${Stage}", stage)


def schedules() -> dict[str, dict[str, Any]]:
    return resources_of(transformed_template(), "AWS::Scheduler::Schedule")


def test_every_schedule_is_in_the_stages_own_group():
    (group_id,) = resources_of(transformed_template(), "AWS::Scheduler::ScheduleGroup")
    group = transformed_template()["Resources"][group_id]["Properties"]
    assert substituted(group["Name"], "dev") == "stoflow-dev"
    assert schedules()
    for logical_id, schedule in schedules().items():
        assert schedule.get("GroupName") == {"Ref": group_id}, logical_id


def test_schedule_names_differ_between_stages_and_within_one():
    dev = [substituted(s.get("Name", logical_id), "dev") for logical_id, s in schedules().items()]
    prod = [substituted(s.get("Name", logical_id), "prod") for logical_id, s in schedules().items()]
    assert len(set(dev)) == len(dev), "two schedules of one stage share a name"
    assert set(dev).isdisjoint(prod), "a dev schedule would collide with a prod one"
    for name in dev:
        assert len(name) <= 64, f"{name}: Scheduler names are at most 64 characters"


def test_the_name_check_does_catch_a_logical_id_name():
    # What SAM does without Name: the logical id, identical in every stack.
    assert substituted("VintedTickFunctionEveryMinute", "dev") == substituted("VintedTickFunctionEveryMinute", "prod")


@pytest.mark.parametrize("logical_id", SCHEDULED)
def test_scheduled_functions_retry_deliberately_and_keep_what_failed(logical_id):
    configs = resources_of(transformed_template(), "AWS::Lambda::EventInvokeConfig")
    (config,) = [c for c in configs.values() if c["FunctionName"] == {"Ref": logical_id}]
    # Lambda's default is two asynchronous retries: a retried fan-out or tick doubles its work.
    assert config["MaximumRetryAttempts"] == 0
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["ScheduledFailuresQueue", "Arn"]}


def test_every_schedule_has_a_dead_letter_queue_and_no_scheduler_retry():
    for logical_id, schedule in schedules().items():
        target = schedule["Target"]
        assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["ScheduledFailuresQueue", "Arn"]}, logical_id
        assert target["RetryPolicy"]["MaximumRetryAttempts"] == 0, logical_id
