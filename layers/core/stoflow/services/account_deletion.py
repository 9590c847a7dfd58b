"""Account deletion: explicit (the password and a typed confirmation), complete and final.

What goes: the tenant schema (dropped, with every product, image row, listing, job and order),
the tenant's files in the images bucket, and every row of the `public` schema that names the user
or the tenant — found from the tables' own columns (`user_id`, `tenant_id`), so a shared table
added later is covered without touching this module — plus the rate-limit and lockout counters
keyed by the account. The user row goes last, in the same transaction.

The files go first: a failure there leaves the account intact, and asking again finishes the job.
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, Integer, Table, delete, or_

from stoflow.auth.principal import Principal
from stoflow.db.tenancy import known_tenants, shared_session
from stoflow.services import rate_limits
from stoflow.services.passwords import confirm_password

__all__ = ["delete_account", "public_tables_naming_users"]

_OWNER_COLUMNS = ("user_id", "tenant_id")


def public_tables_naming_users() -> list[tuple[Table, list[Column]]]:
    """Every table of the shared `public` schema with a column naming a user or a tenant."""
    from stoflow.models import load_all, metadata

    load_all()
    found = []
    for table in metadata.sorted_tables:
        if table.schema != "public" or table.name == "users":
            continue
        # Our ids are integers: a text `user_id` names someone else's user (eBay's, on a deletion notice).
        columns = [table.c[n] for n in _OWNER_COLUMNS if n in table.c and isinstance(table.c[n].type, Integer)]
        if columns:
            found.append((table, columns))
    return found


def _account_counters(email: str, user_id: int) -> list[str]:
    key = rate_limits.account_key(email)
    return [
        rate_limits.lockout_key(email),
        *(f"{what}:acct:{key}" for what in ("login", "verify", "reset")),
        f"password:user:{user_id}",
    ]


def _delete_public_rows(connection: Connection, user_id: int, email: str) -> None:
    from stoflow.models.identity import RateLimitBucket
    from stoflow.models.public import User

    # Children first (reverse dependency order), the user row last.
    for table, columns in reversed(public_tables_naming_users()):
        connection.execute(delete(table).where(or_(*(column == user_id for column in columns))))
    connection.execute(delete(RateLimitBucket).where(RateLimitBucket.key.in_(_account_counters(email, user_id))))
    connection.execute(delete(User).where(User.id == user_id))


def delete_account(principal: Principal, password: str) -> None:
    """Delete the caller's account for good. The confirmation words are checked by the route's
    body; the password here (400 `wrong_password` if wrong)."""
    from stoflow.db.provisioning import drop_in
    from stoflow.storage.account_files import delete_tenant_files

    email = confirm_password(principal, password, "account deletion", "the password is wrong").email
    delete_tenant_files(principal.tenant_id)
    with shared_session() as session:
        connection = session.connection()
        drop_in(connection, principal.tenant_id)
        _delete_public_rows(connection, principal.user_id, email)
    known_tenants.forget(principal.tenant_id)
