"""Least privilege to the database, as deployed: the RDS Proxy takes IAM tokens only, and each
function may log in as the one database role it is configured with (stoflow.db.roles), never
with the master user's secret."""

from __future__ import annotations

from typing import Any

import pytest

from infra.local.template import REPO_ROOT, load_template, load_yaml
from stoflow.db.roles import APP_ROLE, MIGRATOR_ROLE, ROLES
from tests.support.iam import function_roles, role_permissions

DATABASE = load_yaml((REPO_ROOT / "infra" / "database.yaml").read_text())
TEMPLATE = load_template()
MASTER_USER = "stoflow"  # infra/database.yaml's DatabaseSecret
DBUSER = "arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:${Database.Outputs.ProxyResourceId}/"


def database_users() -> dict[str, str]:
    """Function logical id -> the STOFLOW_DATABASE_USER it logs in as."""
    return {f.logical_id: f.properties["Environment"]["Variables"]["STOFLOW_DATABASE_USER"] for f in TEMPLATE.functions}


def connects_as() -> dict[str, set[str]]:
    """Function logical id -> the database users its role may rds-db:connect as."""
    by_role = {role: function for function, role in function_roles().items()}
    found: dict[str, set[str]] = {function: set() for function in function_roles()}
    for permission in role_permissions():
        if permission.action.startswith("rds-db:"):
            assert permission.action == "rds-db:connect", permission.line()
            resource = permission.resource.removeprefix("!Sub ")
            assert resource.startswith(DBUSER), permission.line()
            found[by_role[permission.role]].add(resource.removeprefix(DBUSER))
    return found


def test_the_proxy_takes_iam_tokens_only_over_tls():
    proxy = DATABASE["Resources"]["Proxy"]["Properties"]
    assert proxy["RequireTLS"] is True
    assert proxy["Auth"] and all(auth["IAMAuth"] == "REQUIRED" for auth in proxy["Auth"])


def test_the_proxy_knows_the_master_user_and_every_role_and_reads_only_their_secrets():
    resources: dict[str, Any] = DATABASE["Resources"]
    users = set()
    for auth in resources["Proxy"]["Properties"]["Auth"]:
        secret = resources[auth["SecretArn"]["Ref"]]["Properties"]["GenerateSecretString"]["SecretStringTemplate"]
        text = secret["Fn::Sub"] if isinstance(secret, dict) else secret  # the master's names the database
        users.add(load_yaml(text.replace("${DatabaseName}", "x"))["username"])
    assert users == {MASTER_USER, *ROLES}
    readable = resources["ProxyRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Resource"]
    assert sorted(r["Ref"] for r in readable) == sorted(
        a["SecretArn"]["Ref"] for a in resources["Proxy"]["Properties"]["Auth"]
    )


@pytest.mark.parametrize("function", sorted(f.logical_id for f in TEMPLATE.functions))
def test_each_function_may_log_in_as_its_own_role_only(function):
    user = database_users()[function]
    allowed = connects_as()[function]
    if function == "MigratorFunction":
        # The master user for bootstrap-roles (creating the roles), the migrator for the rest.
        assert user == MIGRATOR_ROLE and allowed == {MIGRATOR_ROLE, MASTER_USER}
    else:
        assert user == APP_ROLE
        assert allowed in ({APP_ROLE}, set()), allowed  # set(): a function that never connects


def test_the_functions_that_touch_the_database_may_log_in():
    # Every function but the key rotation (Secrets Manager only) reads or writes rows.
    without = {function for function, users in connects_as().items() if not users}
    assert without == {"KeyRotationFunction"}


def test_no_function_reads_a_database_password():
    database_secrets = {"!GetAtt Database.Outputs.SecretArn", "!Sub {!GetAtt Database.Outputs.SecretArn}"}
    roles = function_roles()
    for permission in role_permissions():
        if permission.action == "secretsmanager:GetSecretValue" and "Database.Outputs" in permission.resource:
            assert permission.resource not in database_secrets, permission.line()
            # Only the migrator reads the roles' secrets, to set the passwords the proxy presents.
            assert permission.role == roles["MigratorFunction"], permission.line()


def test_functions_sign_iam_tokens_over_tls():
    variables = TEMPLATE.document["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["STOFLOW_DATABASE_IAM_AUTH"] == "true" and variables["STOFLOW_DATABASE_TLS"] == "true"
    assert "STOFLOW_DATABASE_SECRET_ARN" not in variables
