"""`stoflow jobs dlq list|redrive` against a FIFO jobs queue and its DLQ (moto)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from stoflow import runtime
from stoflow.cli import main
from stoflow.config import get_settings


@pytest.fixture
def queues(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("STOFLOW_AWS_ENDPOINT_URL", raising=False)
    get_settings.cache_clear()
    runtime.reset()
    with mock_aws():
        sqs = boto3.client("sqs", region_name=get_settings().aws_region)
        dlq = sqs.create_queue(QueueName="jobs-dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        url = sqs.create_queue(
            QueueName="jobs.fifo",
            Attributes={
                "FifoQueue": "true",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"}),
            },
        )["QueueUrl"]
        monkeypatch.setenv("STOFLOW_JOBS_QUEUE_URL", url)
        get_settings.cache_clear()
        yield sqs, url, dlq
        runtime.reset()
    get_settings.cache_clear()


def dead(sqs, dlq, tenant, job):
    body = json.dumps({"tenant_id": tenant, "job_id": job, "marketplace": "ebay"})
    sqs.send_message(QueueUrl=dlq, MessageBody=body, MessageGroupId=f"{tenant}:ebay", MessageDeduplicationId=str(job))


def test_list_shows_each_dead_letter_and_leaves_it_there(queues, capsys):
    sqs, _, dlq = queues
    dead(sqs, dlq, 7, 41)
    dead(sqs, dlq, 8, 42)
    assert main(["jobs", "dlq", "list"]) == 0
    out = capsys.readouterr().out
    assert "tenant 7 job 41 (ebay)" in out and "group 8:ebay" in out
    assert "2 message(s)" in out
    attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "2"  # listed, not deleted


def test_redrive_sends_them_back_in_their_groups_and_empties_the_dlq(queues, capsys):
    sqs, url, dlq = queues
    dead(sqs, dlq, 7, 41)
    dead(sqs, dlq, 7, 43)
    assert main(["jobs", "dlq", "redrive"]) == 0
    assert "2 message(s) sent back" in capsys.readouterr().out
    back = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])["Messages"]
    assert [json.loads(m["Body"])["job_id"] for m in back] == [41, 43]  # order kept
    assert {m["Attributes"]["MessageGroupId"] for m in back} == {"7:ebay"}
    counts = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessages"] == "0" and counts["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_without_a_queue_url_it_says_which_variable_to_set(monkeypatch, capsys):
    monkeypatch.delenv("STOFLOW_JOBS_QUEUE_URL", raising=False)
    get_settings.cache_clear()
    assert main(["jobs", "dlq", "list"]) == 2
    assert "STOFLOW_JOBS_QUEUE_URL" in capsys.readouterr().err
    get_settings.cache_clear()
