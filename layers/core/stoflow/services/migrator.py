"""The migrator function's use case: the same fan-out code as the CLI, with a JSON report."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from stoflow.config import get_settings
from stoflow.db import migrations
from stoflow.db.engine import engine_from_settings
from stoflow.errors import InvalidInput


def bootstrap_roles() -> dict[str, Any]:
    """Create the database roles (stoflow.db.roles) as the master user, with the passwords of the
    proxy's secrets for them; run once before the first upgrade, again after rotating a secret."""
    from stoflow.aws import client
    from stoflow.db.roles import ROLES, ensure_roles

    settings = get_settings()
    if not settings.database_admin_user:
        raise InvalidInput("bootstrap-roles needs STOFLOW_DATABASE_ADMIN_USER (the master user)")
    passwords: dict[str, str] = {}
    for arn in settings.database_role_secret_arns:
        secret = json.loads(client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])
        passwords[secret["username"]] = secret["password"]
    if set(passwords) != set(ROLES):
        raise InvalidInput(f"the role secrets name {sorted(passwords)}, not the roles {sorted(ROLES)}")
    admin = engine_from_settings(settings, user=settings.database_admin_user)
    try:
        ensure_roles(admin, passwords)
    finally:
        admin.dispose()
    return {"ok": True, "roles": sorted(passwords)}


def run(event: dict[str, Any]) -> dict[str, Any]:
    action = event.get("action", "upgrade")
    if action == "bootstrap-roles":
        return bootstrap_roles()
    workers = int(event.get("workers", get_settings().migration_workers))
    carry_on = bool(event.get("continue", False))
    engine = engine_from_settings(get_settings(), pool_size=workers + 1)
    try:
        if action == "status":
            return {"ok": True, **asdict(migrations.status(engine, workers=workers))}
        if action == "upgrade":
            shared = migrations.migrate_shared(engine)
            report = migrations.migrate_tenants(engine, workers=workers, continue_on_error=carry_on)
        elif action == "downgrade":
            shared = None
            report = (
                migrations.migrate_tenants(
                    engine, "downgrade", str(event["tenants"]), workers=workers, continue_on_error=carry_on
                )
                if event.get("tenants")
                else None
            )
            if event.get("shared") and (report is None or report.ok):
                shared = migrations.migrate_shared(engine, "downgrade", str(event["shared"]))
        else:
            raise InvalidInput(f"unknown migrator action {action!r}")
        return {
            "ok": report is None or report.ok,
            "shared": shared,
            "tenants": None
            if report is None
            else {
                "summary": report.summary(),
                "failed": [asdict(o) for o in report.failed],
                "skipped": report.skipped,
            },
        }
    finally:
        engine.dispose()
