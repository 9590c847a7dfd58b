"""Least privilege: every action each function (and each schedule) may take, on which resource.

The full list lives in iam_permissions.txt beside this file, so that a change of privileges shows
up as a diff in review. Regenerate it after a deliberate change:

    .venv/bin/python -m tests.support.iam > tests/contract/iam_permissions.txt

A wildcard in a resource must be justified: by a `# wildcard: <why>` comment on its line in
template.yaml, or, for an AWS managed policy, by the reason given in tests/support/iam.py. An
action wildcard (`s3:*`, `sqs:SendMessage*`) is never accepted.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from infra.local.template import TEMPLATE_PATH
from tests.support.iam import AWS_MANAGED, Permission, function_roles, listing, role_permissions

EXPECTED = Path(__file__).with_name("iam_permissions.txt")


def unjustified_wildcards(permissions: list[Permission], template_text: str) -> list[str]:
    justified_lines = [line for line in template_text.splitlines() if "# wildcard:" in line]
    problems = []
    for permission in permissions:
        if "*" in permission.action:
            problems.append(f"action wildcard: {permission.line()}")
            continue
        if "*" not in permission.resource:
            continue
        if permission.source.startswith("aws:"):
            if not AWS_MANAGED[permission.source[4:]][1]:
                problems.append(f"{permission.source} grants {permission.action} on every resource: {permission.role}")
            continue
        text = permission.resource.removeprefix("!Sub ")
        if not any(text in line.split("#", 1)[0] for line in justified_lines):
            problems.append(f"no `# wildcard:` comment on the line of {permission.line()}")
    return problems


def test_every_action_and_resource_per_function_is_the_reviewed_list():
    actual = listing()
    expected = EXPECTED.read_text()
    diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), "expected", "template"))
    assert actual == expected, f"privileges changed; review, then regenerate iam_permissions.txt:\n{diff}"


def test_no_wildcard_without_a_reason():
    assert unjustified_wildcards(role_permissions(), TEMPLATE_PATH.read_text()) == []


def test_the_wildcard_check_does_catch_unjustified_wildcards():
    template = "Resource: !Sub ${Bucket.Arn}/a/*  # wildcard: keys per upload\n"
    justified = Permission("R", "s3:GetObject", "!Sub ${Bucket.Arn}/a/*", "inline")
    unjustified = Permission("R", "s3:GetObject", "!Sub ${Bucket.Arn}/b/*", "inline")
    action = Permission("R", "sqs:SendMessage*", "!GetAtt Q.Arn", "inline")
    every_queue = Permission("R", "sqs:ReceiveMessage", "*", "aws:AWSLambdaSQSQueueExecutionRole")
    assert unjustified_wildcards([justified], template) == []
    assert len(unjustified_wildcards([unjustified, action, every_queue], template)) == 3


def test_every_function_is_listed():
    listed = listing()
    for function, role in function_roles().items():
        assert f"{function} ({role}):" in listed, function


def test_only_the_worker_consumes_the_jobs_queue_and_only_that_queue():
    roles = function_roles()
    consumers = {p.role for p in role_permissions() if p.action in ("sqs:ReceiveMessage", "sqs:DeleteMessage")}
    assert consumers == {roles["JobWorkerFunction"]}
    for permission in role_permissions():
        if permission.action.startswith("sqs:"):
            assert permission.resource != "*", permission.line()


def test_no_function_may_change_bucket_settings_or_acls():
    for permission in role_permissions():
        if permission.action.startswith("s3:"):
            assert permission.action in {
                "s3:GetObject",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:ListBucket",
            }, permission.line()


def test_email_is_sent_only_as_the_configured_identity():
    sends = [p for p in role_permissions() if p.action.startswith("ses:")]
    assert sends and all(p.resource.endswith("identity/${EmailIdentity}") and p.conditional for p in sends)
