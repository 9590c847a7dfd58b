"""The statement guard: on a tenant connection, SQL that names another tenant's schema or the bare
placeholder schema is refused before it reaches the server. A bug becomes an error, never a leak.

`text()` is not translated by schema_translate_map: raw SQL written as `tenant.products` would reach
PostgreSQL untouched (and fail, or worse, hit whatever table the default path finds); raw SQL naming
`user_7` from tenant 3's session would read tenant 7. Both are caught here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, event

from stoflow.errors import TenantIsolationViolation

TENANT_SCHEMA_OPTION = "stoflow_tenant_schema"

_SCHEMA_NAME = re.compile(r'(?<![\w$])"?(user_\d+)"?(?![\w$])', re.IGNORECASE)
_PLACEHOLDER = re.compile(r'(?<![\w$."])"?tenant"?\s*\.', re.IGNORECASE)


# A container sends the same compiled statements again and again: each (statement, schema) is
# read once. A refused statement raises and is not kept, so it is refused every time.
@lru_cache(maxsize=4096)
def check_tenant_statement(statement: str, own_schema: str) -> None:
    for match in _SCHEMA_NAME.finditer(statement):
        if match.group(1).lower() != own_schema:
            raise TenantIsolationViolation(
                f"statement names schema {match.group(1)!r} inside the session of {own_schema!r}"
            )
    if _PLACEHOLDER.search(statement):
        raise TenantIsolationViolation(
            "statement names the placeholder schema 'tenant' untranslated: raw SQL on a tenant table, or "
            "a tenant migration operation given schema='tenant' (use schema=tenant_schema())"
        )


def _before_cursor_execute(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    options = context.execution_options if context is not None else conn.get_execution_options()
    own_schema = options.get(TENANT_SCHEMA_OPTION)
    if own_schema is not None:
        check_tenant_statement(statement, own_schema)


def install_statement_guard(engine: Engine) -> None:
    if not event.contains(engine, "before_cursor_execute", _before_cursor_execute):
        event.listen(engine, "before_cursor_execute", _before_cursor_execute)
