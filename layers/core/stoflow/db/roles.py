"""The database roles: who may change the schema, and who may only read and write rows.

- `stoflow_migrator` owns every schema, table and function the migrations create: it runs the
  migrations (DDL) and owns the tenant provisioning functions (db/provisioning).
- `stoflow_app` is what the API, WebSocket, worker and scheduled functions log in as: rows only
  (SELECT, INSERT, UPDATE, DELETE), no CREATE anywhere, not even a temporary table. It gets its
  rights on what the migrator creates by default privileges (shared migration s0011), and creates
  a tenant schema only through the migrator's SECURITY DEFINER function, which can create nothing
  but `user_<id>` at the tenant head.

Roles belong to the server (the cluster), not to one database: `ensure_roles` creates them when
missing, tolerates another process creating them at the same moment, and grants per database, so
that test databases created side by side on one server share the two roles without clashing.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from stoflow.availability import sqlstate

__all__ = ["APP_ROLE", "MIGRATOR_ROLE", "ROLES", "ensure_roles"]

APP_ROLE = "stoflow_app"
MIGRATOR_ROLE = "stoflow_migrator"
ROLES = (APP_ROLE, MIGRATOR_ROLE)


def _literal(value: str) -> str:
    # Role passwords cannot be bound parameters (utility statements take none); with
    # standard_conforming_strings (on since PostgreSQL 9.1) doubling quotes is the whole escaping.
    return "'" + value.replace("'", "''") + "'"


# A role created by someone else between our check and our CREATE: duplicate_object, or the
# unique index of pg_authid when both CREATEs ran at once.
_ALREADY_CREATED = {"42710", "23505"}


def _create_role(admin: Engine, role: str) -> None:
    """CREATE ROLE unless it exists; a concurrent creator winning the race is as good."""
    try:
        with admin.begin() as connection:
            if not connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}):
                connection.execute(text(f"CREATE ROLE {role} LOGIN"))
    except DBAPIError as exc:
        if sqlstate(exc.orig) not in _ALREADY_CREATED:
            raise


def _set_password(admin: Engine, role: str, password: str) -> None:
    try:
        with admin.begin() as connection:
            connection.execute(text(f"ALTER ROLE {role} PASSWORD {_literal(password)}"))
    except DBAPIError as exc:
        # The statement carries the password: never let it reach a log through the error.
        raise RuntimeError(f"setting the password of database role {role} failed ({type(exc.orig).__name__})") from None


def ensure_roles(admin: Engine, passwords: Mapping[str, str] | None = None) -> None:
    """As an administrator connected to the application's database: the roles exist (with these
    passwords, when given: on AWS the proxy presents them to the database) and have their rights
    on this database. Idempotent; run before the first migration."""
    database = admin.url.database
    if not database or not database.replace("_", "").isalnum():
        raise ValueError(f"not a plain database name: {database!r}")
    for role in ROLES:
        _create_role(admin, role)
        if passwords and role in passwords:
            _set_password(admin, role, passwords[role])
    with admin.begin() as connection:
        for statement in (
            f'GRANT CONNECT, CREATE ON DATABASE "{database}" TO {MIGRATOR_ROLE}',
            f'GRANT CONNECT ON DATABASE "{database}" TO {APP_ROLE}',
            # Temporary tables are DDL too: granted to everyone by default, kept for the migrator.
            f'REVOKE TEMPORARY ON DATABASE "{database}" FROM PUBLIC',
            f'GRANT TEMPORARY ON DATABASE "{database}" TO {MIGRATOR_ROLE}',
            f"GRANT USAGE, CREATE ON SCHEMA public TO {MIGRATOR_ROLE}",
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
            f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}",
        ):
            connection.execute(text(statement))
