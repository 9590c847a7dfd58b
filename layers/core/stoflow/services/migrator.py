"""The migrator function's use case: the same fan-out code as the CLI, with a JSON report."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from stoflow.config import get_settings
from stoflow.db import migrations
from stoflow.db.engine import engine_from_settings
from stoflow.errors import InvalidInput


def run(event: dict[str, Any]) -> dict[str, Any]:
    action = event.get("action", "upgrade")
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
