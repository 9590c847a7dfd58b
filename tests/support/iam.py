"""Every action each role of the stack may take, on which resource, read from the transformed template.

Inline policies, our own managed policies (resolved by Ref) and AWS managed policies (their
documented contents, below) are flattened into (role, action, resource) lines. Intrinsics are
rendered as short text (`!GetAtt JobsQueue.Arn`, `!Sub ...`) so that a listing is readable and
stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.support.sam import transformed_template

# AWS managed policies SAM attaches, with their documented statements (IAM console, policy
# versions as of this writing) and why their wildcards are acceptable.
AWS_MANAGED: dict[str, tuple[list[tuple[str, str]], str]] = {
    "AWSLambdaBasicExecutionRole": (
        [("logs:CreateLogGroup", "*"), ("logs:CreateLogStream", "*"), ("logs:PutLogEvents", "*")],
        "wildcard: Lambda's own logging; the log group is the function's (/aws/lambda/<name>)",
    ),
    "AWSLambdaVPCAccessExecutionRole": (
        [
            ("logs:CreateLogGroup", "*"),
            ("logs:CreateLogStream", "*"),
            ("logs:PutLogEvents", "*"),
            ("ec2:CreateNetworkInterface", "*"),
            ("ec2:DescribeNetworkInterfaces", "*"),
            ("ec2:DescribeSubnets", "*"),
            ("ec2:DeleteNetworkInterface", "*"),
            ("ec2:AssignPrivateIpAddresses", "*"),
            ("ec2:UnassignPrivateIpAddresses", "*"),
        ],
        "wildcard: Lambda's ENIs in the VPC; EC2 Describe/Create ENI calls take no resource scoping",
    ),
    "AWSXrayWriteOnlyAccess": (
        [
            ("xray:PutTraceSegments", "*"),
            ("xray:PutTelemetryRecords", "*"),
            ("xray:GetSamplingRules", "*"),
            ("xray:GetSamplingTargets", "*"),
            ("xray:GetSamplingStatisticSummaries", "*"),
        ],
        "wildcard: X-Ray has no resource-level permissions for writing traces",
    ),
    "AWSLambdaSQSQueueExecutionRole": (
        [
            ("sqs:ReceiveMessage", "*"),
            ("sqs:DeleteMessage", "*"),
            ("sqs:GetQueueAttributes", "*"),
            ("logs:CreateLogGroup", "*"),
            ("logs:CreateLogStream", "*"),
            ("logs:PutLogEvents", "*"),
        ],
        "",  # never justified: every queue of the account
    ),
}


@dataclass(frozen=True, order=True)
class Permission:
    role: str
    action: str
    resource: str
    source: str  # "inline", "managed:<logical id>" or "aws:<policy name>"
    conditional: bool = False

    def line(self) -> str:
        condition = " (with condition)" if self.conditional else ""
        return f"{self.role}: {self.action} {self.resource}{condition}"


def render(value: Any) -> str:
    """An ARN or intrinsic as short, stable text."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((key, inner),) = value.items()
        if key == "Ref":
            return f"!Ref {inner}"
        if key == "Fn::GetAtt":
            return f"!GetAtt {'.'.join(inner) if isinstance(inner, list) else inner}"
        if key == "Fn::Sub":
            if isinstance(inner, str):
                return f"!Sub {inner}"
            template, variables = inner
            for name, replacement in variables.items():
                template = template.replace("${" + name + "}", "{" + render(replacement) + "}")
            return f"!Sub {template}"
    return repr(value)


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _listify(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _expand(role: str, document: dict[str, Any], source: str) -> list[Permission]:
    found = []
    for statement in _statements(document):
        assert statement.get("Effect") == "Allow", f"{role}: only Allow statements are expected"
        assert "NotAction" not in statement and "NotResource" not in statement, role
        conditional = bool(statement.get("Condition"))
        for action in _listify(statement["Action"]):
            for resource in _listify(statement["Resource"]):
                found.append(Permission(role, action, render(resource), source, conditional))
    return found


def role_permissions() -> list[Permission]:
    template = transformed_template()
    resources = template["Resources"]
    permissions: list[Permission] = []
    for role_id, resource in resources.items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        properties = resource["Properties"]
        for policy in properties.get("Policies") or []:
            permissions += _expand(role_id, policy["PolicyDocument"], "inline")
        for arn in properties.get("ManagedPolicyArns") or []:
            if isinstance(arn, dict) and "Ref" in arn:
                managed = resources[arn["Ref"]]
                assert managed["Type"] == "AWS::IAM::ManagedPolicy", arn
                permissions += _expand(role_id, managed["Properties"]["PolicyDocument"], f"managed:{arn['Ref']}")
                continue
            text = arn if isinstance(arn, str) else render(arn)
            name = text.rsplit("/", 1)[-1]
            if name not in AWS_MANAGED:
                raise AssertionError(f"{role_id}: AWS managed policy {text} is not described in tests/support/iam.py")
            for action, scope in AWS_MANAGED[name][0]:
                permissions.append(Permission(role_id, action, scope, f"aws:{name}"))
    return sorted(set(permissions))


def function_roles() -> dict[str, str]:
    """Function logical id -> the logical id of the role it runs as."""
    roles = {}
    for logical_id, resource in transformed_template()["Resources"].items():
        if resource["Type"] == "AWS::Lambda::Function":
            role = resource["Properties"]["Role"]
            assert isinstance(role, dict) and "Fn::GetAtt" in role, logical_id
            roles[logical_id] = role["Fn::GetAtt"][0]
    return roles


def listing() -> str:
    """One line per role, action and resource: what tests/contract/iam_permissions.txt holds."""
    by_role = {role: function for function, role in function_roles().items()}
    lines = []
    for permission in role_permissions():
        owner = by_role.get(permission.role)
        label = f"{owner} ({permission.role})" if owner else permission.role
        condition = " (with condition)" if permission.conditional else ""
        lines.append(f"{label}: {permission.action} {permission.resource}{condition}")
    # The same grant from two policies (logs in two AWS managed policies) is listed once.
    return "\n".join(sorted(set(lines))) + "\n"


if __name__ == "__main__":
    print(listing(), end="")
