"""Operations in the template: log retention, alarms to one topic, a dashboard, data that outlives
the stack, concurrency that protects the database proxy."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra.local.template import REPO_ROOT, load_template, load_yaml
from tests.support.sam import transformed_template

TEMPLATE = load_template()
RESOURCES = TEMPLATE.resources
FUNCTIONS = [f.logical_id for f in TEMPLATE.functions]


def of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in RESOURCES.items() if v["Type"] == kind}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_logs_to_a_group_kept_for_its_stages_retention(function):
    logging = TEMPLATE.function(function).properties["LoggingConfig"]
    group = RESOURCES[logging["LogGroup"]["Ref"]]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["RetentionInDays"] == {
        "Fn::FindInMap": ["StageSettings", {"Ref": "Stage"}, "LogRetentionDays"]
    }
    retention = {stage: v["LogRetentionDays"] for stage, v in TEMPLATE.document["Mappings"]["StageSettings"].items()}
    assert set(retention) == {"dev", "prod"} and retention["prod"] >= retention["dev"] > 0


def test_every_alarm_notifies_the_alarm_topic():
    alarms = of_type("AWS::CloudWatch::Alarm")
    assert len(alarms) >= 8
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
    assert RESOURCES["AlarmTopic"]["Type"] == "AWS::SNS::Topic"


def alarmed_functions(metric: str) -> set[str]:
    covered = set()
    for alarm in of_type("AWS::CloudWatch::Alarm").values():
        for query in alarm["Properties"].get("Metrics", []):
            stat = query.get("MetricStat", {}).get("Metric", {})
            if stat.get("Namespace") == "AWS/Lambda" and stat.get("MetricName") == metric:
                covered |= {d["Value"]["Ref"] for d in stat["Dimensions"] if d["Name"] == "FunctionName"}
    return covered


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_functions_errors_and_throttles_are_alarmed(metric):
    assert alarmed_functions(metric) == set(FUNCTIONS)


def test_the_dead_letter_queues_the_job_failure_rate_the_proxy_and_5xx_are_alarmed():
    watched = set()
    for alarm in of_type("AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        queries = [q["MetricStat"]["Metric"] for q in properties.get("Metrics", []) if "MetricStat" in q]
        for metric in [properties, *queries]:
            if "MetricName" in metric:
                dimensions = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
                queue = dimensions.get("QueueName", {})
                target = queue["Fn::GetAtt"][0] if isinstance(queue, dict) and "Fn::GetAtt" in queue else ""
                watched.add((metric["Namespace"], metric["MetricName"], target))
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "JobsDeadLetterQueue") in watched
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "ScheduledFailuresQueue") in watched
    assert {("StoFlow", "JobsFailed", ""), ("StoFlow", "JobsCompleted", "")} <= watched
    assert ("AWS/RDS", "ClientConnections", "") in watched
    assert ("AWS/ApiGateway", "5xx", "") in watched


def test_the_dashboard_body_is_json_once_substituted():
    body = RESOURCES["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    # What CloudFormation substitutes (${Name} and ${Name.Attr}); everything else must be JSON.
    names = set(re.findall(r"\$\{([^}]+)\}", body))
    for name in names:
        resource = name.split(".")[0]
        assert resource in RESOURCES or resource in TEMPLATE.document["Parameters"] or name.startswith("AWS::"), name
    document = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))
    assert len(document["widgets"]) >= 6


def test_the_metrics_the_alarms_and_dashboard_read_are_the_ones_the_code_emits():
    from stoflow import observability

    body = RESOURCES["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    ours = set(observability.METRIC_NAMES)
    shown = {name for name in ours if f'"{name}"' in body}
    assert shown == ours, "every metric the code emits is on the dashboard"
    assert {"JobsCompleted", "JobsFailed", "JobsUnknownOutcome", "PublishDuration", "SaleToDelistSeconds"} <= ours
    assert {"WebSocketConnected", "VintedPaused"} <= ours


@pytest.mark.parametrize(
    "logical_id", ["ImagesBucket", "JwtKeysSecret", "MarketplaceTokenKeysSecret", "EbayAppSecret", "EtsyAppSecret"]
)
def test_data_and_keys_outlive_the_stack(logical_id):
    assert RESOURCES[logical_id]["DeletionPolicy"] == "Retain"
    assert RESOURCES[logical_id]["UpdateReplacePolicy"] == "Retain"


def test_the_database_and_its_credentials_outlive_the_stack():
    database = load_yaml((REPO_ROOT / "infra" / "database.yaml").read_text())["Resources"]
    for resource in database.values():
        if resource["Type"] in ("AWS::RDS::DBCluster", "AWS::SecretsManager::Secret"):
            assert resource["DeletionPolicy"] == "Retain" and resource["UpdateReplacePolicy"] == "Retain"


def test_the_worker_reserves_at_least_its_triggers_maximum_concurrency():
    worker = TEMPLATE.function("JobWorkerFunction")
    (trigger,) = worker.events_of_type("SQS")
    reserved = worker.properties["ReservedConcurrentExecutions"]["Fn::If"]
    assert reserved[0] == "ReservesConcurrency" and reserved[2] == {"Ref": "AWS::NoValue"}
    assert reserved[1] >= trigger.properties["ScalingConfig"]["MaximumConcurrency"]
    migrator = TEMPLATE.function("MigratorFunction").properties["ReservedConcurrentExecutions"]["Fn::If"]
    assert migrator[1] == 1  # never two migrations at once


def test_the_signing_and_token_keys_are_rotated_on_a_schedule():
    rotation = TEMPLATE.function("KeyRotationFunction")
    tasks = {json.loads(e.properties["Input"])["task"] for e in rotation.events_of_type("ScheduleV2")}
    assert tasks == {"rotate_jwt_keys", "rotate_token_keys"}
    schedules = transformed_template()["Resources"]
    assert any(
        r["Type"] == "AWS::Scheduler::Schedule" and "rotate-jwt-keys" in str(r["Properties"]["Name"])
        for r in schedules.values()
    )
